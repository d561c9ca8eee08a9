"""The README's folder table names every top-level folder of the project and every package of
the server, so the map of the house does not fall behind the house."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def folder_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| Folder | Owns |")
    return readme[start : readme.index("\n\n", start)]


def test_every_top_level_folder_is_in_the_readme() -> None:
    table = folder_table()
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    folders = sorted({path.split("/")[0] for path in tracked if "/" in path} - {".ci"})
    assert "server" in folders
    missing = [name for name in folders if not re.search(rf"`{name}/", table)]
    assert missing == []


def test_every_server_package_is_in_the_readme() -> None:
    table = folder_table()
    packages = sorted(
        path.name
        for path in (ROOT / "server").iterdir()
        if (path / "__init__.py").exists() and path.name != "piccolo_migrations"
    )
    assert {"core", "evidence", "demo"} <= set(packages)
    missing = [name for name in packages if not re.search(rf"`(server/)?{name}/`", table)]
    assert missing == []
