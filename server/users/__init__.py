"""Users: accounts with a role and a home unit, scoped listing and administration; a hook ends
sessions when credentials change.

May import: the kernel, units and notifications' target validation. Enforced by the contracts in
``.importlinter``.
"""
