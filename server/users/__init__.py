"""Users: accounts with a role and a home unit, scoped listing and administration; a hook ends
sessions when credentials change; users as notification recipients (``recipients.py``).

May import: the kernel, units and notifications (target validation, recipients). Enforced by the contracts in
``.importlinter``.
"""
