"""Corrective actions: one per finding, owned by a unit, moved through a fixed state machine."""
