"""Corrective actions: one per finding, owned by a unit, moved through a fixed state machine; their
history, hand-overs, follow-up links and timed reminders (``scheduled``).

May import: the kernel, evidence, inspections, notifications, units, users, and plans (its tables, to
name a plan's leader, and follow-up scheduling). Enforced by the contracts in ``.importlinter``.
"""
