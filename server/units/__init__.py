"""The unit tree (province → commune/ward → service center), its locations and notification targets;
hooks that other packages register to keep paths and history right.

May import: the kernel and notifications' target validation. Enforced by the contracts in
``.importlinter``.
"""
