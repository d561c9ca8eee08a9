"""Inspection plans: sealed plans, the weighted random draw of target units and its commitment,
follow-up visits (``follow_ups``).

May import: the kernel, checklists, inspections, notifications, units and users; the open
actions that weigh in the draw come through ``register_risk_facts``, and the units' dossier
counts for a draw with the dossier indicators (algorithm v2) through
``register_dossier_facts``. Enforced by the contracts in ``.importlinter``.
"""
