"""The checklist templates shipped with Spotcheck, as YAML files next to this module.

A package (rather than a plain folder) so that the files are installed with the code.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent


def shipped_template_paths() -> list[Path]:
    """Every shipped template file, sorted by name (the demo loader publishes them all)."""
    return sorted(TEMPLATES_DIR.glob("*.yaml"))
