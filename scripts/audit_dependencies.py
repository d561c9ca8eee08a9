#!/usr/bin/env python3
"""Check the locked Python dependencies against the advisory database with pip-audit.

pip-audit prints "No known vulnerabilities found" even when it could not look a single package up
(the PyPI JSON API unreachable, or a mirror without per-version pages): it then skips each one with a
reason and still reports success. This script reads pip-audit's JSON instead and says plainly what
was and was not checked:

- some packages could not be looked up: it names them and says the audit is INCOMPLETE;
- none could be looked up: it says NOT AUDITED (exit 0: an unreachable advisory service is not a
  failure of the project, but the log must not read as a clean bill of health);
- a locked version has a known vulnerability: it lists them and exits 1.

Usage: scripts/audit_dependencies.py [requirements.lock]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"


def main() -> int:
    lock = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "requirements.lock"
    try:
        completed = subprocess.run(  # noqa: S603 (our own venv binary, fixed arguments)
            [
                str(PIP_AUDIT),
                "--requirement",
                str(lock),
                "--require-hashes",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--timeout",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"dependency audit: NOT AUDITED (pip-audit could not run: {error})")
        return 0
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"dependency audit: NOT AUDITED (the advisory service did not answer: {last_line})")
        return 0
    lines, status = summarize(report)
    print("\n".join(lines))
    return status


def summarize(report: dict) -> tuple[list[str], int]:
    """What to print and the exit status, from pip-audit's JSON report."""
    lines: list[str] = []
    dependencies = report.get("dependencies", [])
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    audited = [dep for dep in dependencies if not dep.get("skip_reason")]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    if not audited:
        lines.append(
            f"dependency audit: NOT AUDITED: none of the {len(dependencies)} locked packages "
            "could be looked up in the advisory database (PyPI's JSON API is unreachable or "
            "this index has no per-version pages). This is not a clean result."
        )
        return lines, 0
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            lines.append(
                f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})"
            )
    if skipped:
        names = ", ".join(dep["name"] for dep in skipped)
        lines.append(
            f"dependency audit: INCOMPLETE: {len(skipped)} package(s) not looked up: {names}"
        )
    lines.append(
        f"dependency audit: {len(audited)} package(s) checked, "
        f"{len(vulnerable)} with known vulnerabilities"
    )
    return lines, 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
