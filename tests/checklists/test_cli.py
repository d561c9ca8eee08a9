from __future__ import annotations

import io
from pathlib import Path

from checklists.cli import main, validate_files
from checklists.templates import TEMPLATES_DIR
from tests.checklists.builders import column_of, line_of
from tests.checklists.test_validator import VALID


def test_valid_files_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(VALID, encoding="utf-8")
    out = io.StringIO()
    shipped = str(TEMPLATES_DIR / "one-stop-shop.yaml")
    assert validate_files([str(path), shipped], out=out) == 0
    assert out.getvalue() == f"{path}: ok\n{shipped}: ok\n"


def test_issues_are_printed_and_exit_1(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(VALID, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    source = VALID.replace("version: 1", "version: 0").replace("B1 > 50", "B1 >> 50")
    bad.write_text(source, encoding="utf-8")
    out = io.StringIO()
    assert validate_files([str(good), str(bad)], out=out) == 1
    assert out.getvalue().splitlines() == [
        f"{good}: ok",
        f"{bad}:2:10: version: must be greater than or equal to 1",
        f"{bad}:{line_of(source, 'B1 >> 50')}:{column_of(source, '> 50')}: "
        "sections[1].items[1].show_if: expected a value, found '>'",
    ]


def test_unreadable_files_are_issues(tmp_path: Path) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    out = io.StringIO()
    assert validate_files([str(tmp_path / "missing.yaml"), str(binary)], out=out) == 1
    lines = out.getvalue().splitlines()
    assert (
        lines[0] == f"{tmp_path / 'missing.yaml'}:1:1: cannot read file: No such file or directory"
    )
    assert lines[1].startswith(f"{binary}:1:1: cannot read file:")


def test_main_without_files_prints_usage() -> None:
    assert main([]) == 2
