"""Everything a phone talks to: bootstrap, the idempotent sync protocol and evidence upload; and
the evidence files themselves for every screen, to whoever may see what references them."""
