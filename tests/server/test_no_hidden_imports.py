"""No imports inside functions outside the composition root (server/app.py, server/cli.py): an
import hidden in a function hides a dependency from the reader and from the import-layer check.
(The one deliberate exception loads WeasyPrint only in the PDF worker processes, through
importlib, so the app starts without it.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "checklists", "mobile_api", "reports")
COMPOSITION_ROOT = {Path("server/app.py"), Path("server/cli.py")}


def imports_inside_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(root)}:{node.lineno} in {function.name}")
    return found


def test_no_package_imports_inside_a_function() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "piccolo_migrations" in relative.parts or relative in COMPOSITION_ROOT:
                continue
            offenders += imports_inside_functions(path)
    assert offenders == []


def test_the_check_finds_a_hidden_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("def late():\n    from server.core import db\n    return db\n")
    assert imports_inside_functions(module, root=tmp_path) == ["module.py:2 in late"]
