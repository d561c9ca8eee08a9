"""Inspections: their lifecycle (start, answers, findings, submit, sign), secrecy and addenda."""
