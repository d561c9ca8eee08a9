"""Inspections: their lifecycle (start, answers, findings, submit, sign), secrecy and addenda;
lifecycle hooks other packages register for.

May import: the kernel, checklists, evidence and units. Enforced by the contracts in
``.importlinter``.
"""
