"""The unit tree (province → commune/ward → service center), its locations and notification targets;
hooks that other packages register to keep paths and history right; units as notification
recipients (``recipients.py``, registered with notifications in the app factory).

May import: the kernel and notifications (target validation, recipients). Enforced by the contracts in
``.importlinter``.
"""
