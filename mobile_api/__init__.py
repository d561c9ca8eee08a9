"""Everything a phone talks to: bootstrap, the idempotent sync protocol and evidence upload."""
