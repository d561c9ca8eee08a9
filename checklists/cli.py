"""Command-line helpers for checklist files, called by the server's CLI (`spotcheck checklists …`).

Also runnable on its own: `python -m checklists.cli FILE…` validates files without a server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from checklists.validator import Issue, validate_text


def validate_files(paths: list[str], out: TextIO = sys.stdout) -> int:
    """Validate checklist files, print each issue as `file:line:col: path: message` (a valid file
    gets one `file: ok` line) and return the exit code: 0 when every file is valid, 1 otherwise."""
    all_valid = True
    for path in paths:
        issues = _issues_in(path)
        for issue in issues:
            print(issue, file=out)
        if issues:
            all_valid = False
        else:
            print(f"{path}: ok", file=out)
    return 0 if all_valid else 1


def _issues_in(path: str) -> list[Issue]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return [Issue(file=path, line=1, column=1, path="", message=f"cannot read file: {reason}")]
    return validate_text(text, path)


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m checklists.cli FILE…", file=sys.stderr)
        return 2
    return validate_files(paths)


if __name__ == "__main__":
    raise SystemExit(main())
