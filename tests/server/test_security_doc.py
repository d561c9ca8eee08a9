"""SECURITY.md names the test behind each control; every test it names must exist, so the file
cannot drift into promising controls that nothing checks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py|…)::(\w+)")


def named_tests() -> list[tuple[str, str]]:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named: list[tuple[str, str]] = []
    current = ""
    for file, name in REFERENCE.findall(text):
        current = current if file == "…" else file
        assert current, f"'…::{name}' comes before any file is named"
        named.append((current, name))
    return named


def test_every_test_security_md_names_exists() -> None:
    named = named_tests()
    assert len(named) > 40
    missing = []
    for file, name in named:
        path = ROOT / file
        source = path.read_text(encoding="utf-8") if path.exists() else ""
        if not re.search(rf"^(async )?def {name}\(", source, re.MULTILINE):
            missing.append(f"{file}::{name}")
    assert missing == []


def test_every_file_security_md_names_exists() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    files = set(re.findall(r"`((?:tests|mobile_app/tests|docs|scripts)/[\w/.-]+\.\w+)", text))
    assert files
    assert sorted(f for f in files if not (ROOT / f).exists()) == []
