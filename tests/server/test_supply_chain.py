"""The lock carries hashes that the install enforces, and the dependency audit never reads as clean
when it checked nothing."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _audit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", ROOT / "scripts" / "audit_dependencies.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_locked_package_carries_a_hash() -> None:
    text = (ROOT / "requirements.lock").read_text()
    # One entry per package: "name==version \" followed by its --hash lines.
    entries = re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2])
    pinned = [entry for entry in entries if "==" in entry.split("\n", 1)[0]]
    assert len(pinned) > 50
    unhashed = [entry.split()[0] for entry in pinned if "--hash=sha256:" not in entry]
    assert unhashed == []


def test_the_install_refuses_unhashed_downloads() -> None:
    for name in ("Makefile", "Dockerfile"):
        text = (ROOT / name).read_text()
        assert re.search(r"uv pip sync [^\n]*--require-hashes[^\n]*requirements\.lock", text), name
    assert "--generate-hashes" in (ROOT / "Makefile").read_text()  # `make lock` keeps them


def test_ci_runs_the_audit() -> None:
    assert "scripts/audit_dependencies.py" in (ROOT / ".ci" / "run").read_text()


def test_an_audit_that_looked_nothing_up_says_not_audited() -> None:
    script = _audit_script()
    report = {
        "dependencies": [
            {"name": "uvicorn", "skip_reason": "Dependency not found on PyPI"},
            {"name": "litestar", "skip_reason": "Dependency not found on PyPI"},
        ],
        "fixes": [],
    }
    lines, status = script.summarize(report)
    assert status == 0
    assert any("NOT AUDITED" in line for line in lines)
    assert not any("0 with known vulnerabilities" in line for line in lines)


def test_a_partial_audit_names_what_it_skipped() -> None:
    script = _audit_script()
    report = {
        "dependencies": [
            {"name": "uvicorn", "version": "0.54.0", "vulns": []},
            {"name": "litestar", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    lines, status = script.summarize(report)
    assert status == 0
    assert "INCOMPLETE: 1 package(s) not looked up: litestar" in "\n".join(lines)
    assert lines[-1] == "dependency audit: 1 package(s) checked, 0 with known vulnerabilities"


def test_a_known_vulnerability_fails_the_audit() -> None:
    script = _audit_script()
    report = {
        "dependencies": [
            {
                "name": "jinja2",
                "version": "2.4.1",
                "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}],
            },
            {"name": "uvicorn", "version": "0.54.0", "vulns": []},
        ]
    }
    lines, status = script.summarize(report)
    assert status == 1
    assert "VULNERABLE jinja2 2.4.1: PYSEC-2019-217 (fixed in: 2.10.1)" in lines
