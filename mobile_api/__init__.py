"""Everything a phone talks to: bootstrap, the idempotent sync protocol, evidence upload; and the
built app served at ``/app/``. Evidence itself is ``server.evidence``.

May import: the kernel, checklists and the domain packages (never reports or the composition root).
Enforced by the contracts in ``.importlinter``.
"""
