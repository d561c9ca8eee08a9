"""Inspection plans: sealed plans, the weighted random draw of target units and its commitment,
follow-up visits (``follow_ups``).

May import: the kernel, checklists, actions (risk weights), inspections, notifications, units and
users. Enforced by the contracts in ``.importlinter``.
"""
