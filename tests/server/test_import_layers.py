"""The import layers hold: `make lint` runs import-linter on the contracts in `.importlinter`, and
a wrong import (the kernel reaching up into the composition, a loop between domain packages)
fails it. Checked on a copy of the tree, so the test never edits the real one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "checklists", "mobile_api", "reports")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "piccolo_migrations", "*.ttf", "*.png"),
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_import(module: Path, line: str) -> None:
    text = module.read_text()
    marker = "from __future__ import annotations\n"
    assert marker in text
    module.write_text(text.replace(marker, f"{marker}\n{line}\n", 1))


def test_the_tree_keeps_its_contracts(tree_copy: Path) -> None:
    result = lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_kernel_importing_the_composition_fails(tree_copy: Path) -> None:
    add_import(tree_copy / "server" / "core" / "geo.py", "import server.app  # noqa")

    result = lint(tree_copy)

    assert result.returncode != 0
    assert "server.core.geo -> server.app" in result.stdout


def test_a_loop_between_domain_packages_fails(tree_copy: Path) -> None:
    # Inspections do not depend on corrective actions; actions depend on inspections.
    add_import(
        tree_copy / "server" / "inspections" / "schemas.py", "import server.actions.rules  # noqa"
    )

    result = lint(tree_copy)

    assert result.returncode != 0
    assert "No two packages import each other in a loop BROKEN" in result.stdout
