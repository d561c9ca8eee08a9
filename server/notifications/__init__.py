"""The notification outbox (written in the same transaction as the change), its Apprise worker, the
guard on targets (``targets``, ``egress``) and the runner of timed triggers.

May import: the kernel only. Units and users register how their recipients are found
(``RecipientDirectory``). Enforced by the contracts in
``.importlinter``.
"""
