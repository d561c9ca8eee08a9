"""Inspections: their lifecycle (start, answers, findings, submit, sign), secrecy and addenda;
lifecycle hooks other packages register for. A score is kept as the scoring engine's JSON and,
for the reports' aggregations, its sections as rows (``InspectionSectionScore``), both written
together.

May import: the kernel, checklists, evidence and units. Enforced by the contracts in
``.importlinter``.
"""
