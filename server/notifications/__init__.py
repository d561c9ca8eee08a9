"""The notification outbox (written in the same transaction as the change), its Apprise worker, the
guard on targets (``targets``, ``egress``) and the runner of timed triggers.

May import: the kernel, units and users (to resolve recipients). Enforced by the contracts in
``.importlinter``.
"""
