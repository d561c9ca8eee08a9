"""Authentication: short-lived JWT access tokens, rotating refresh-token families, login throttling,
the bearer middleware. (Password hashing is in the kernel.)

May import: the kernel and users. Enforced by the contracts in ``.importlinter``.
"""
