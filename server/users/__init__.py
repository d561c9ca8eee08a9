"""Users: accounts with a role and a home unit, scoped listing and administration."""
