"""`spotcheck dossiers import`, as an operator runs it: the summary, or every error and nothing
written."""

from __future__ import annotations

import json
from pathlib import Path

from server.core.audit.tables import AuditEvent
from server.dossiers.tables import Dossier, DossierLedgerImport
from tests.conftest import Spotcheck, World
from tests.server.dossiers.test_ledger_import import csv_bytes, small_ledger


async def test_the_cli_imports_a_ledger_and_prints_its_summary(
    spotcheck: Spotcheck, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "so-theo-doi.csv"
    path.write_bytes(csv_bytes(small_ledger(30)))

    result = spotcheck(
        "dossiers", "import", "--unit", "C1", "--layout", "one-stop-export", str(path)
    )

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ledger_import"]["created_count"] == 30
    assert summary["ledger_import"]["imported_by_label"] == "cli"
    assert await Dossier.count().where(Dossier.unit_id == world.units["C1"]) == 30
    assert await AuditEvent.count().where(AuditEvent.action == "dossier_ledger.imported") == 1


async def test_the_cli_prints_every_error_and_writes_nothing(
    spotcheck: Spotcheck, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv"
    text = csv_bytes(small_ledger(5)).decode()
    path.write_text(text.replace(",Trực", ",Bằng bồ câu", 2), encoding="utf-8")

    result = spotcheck(
        "dossiers", "import", "--unit", "C1", "--layout", "one-stop-export", str(path)
    )

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "broken.csv: line" in line]
    assert lines and all("column D" in line for line in lines), result.stderr
    assert "Nothing was saved" in result.stderr
    assert await DossierLedgerImport.count() == 0

    in_vietnamese = spotcheck(
        "dossiers",
        "import",
        "--unit",
        "C1",
        "--layout",
        "one-stop-export",
        "--lang",
        "vi",
        str(path),
    )
    assert in_vietnamese.returncode == 1
    lines = [line for line in in_vietnamese.stderr.splitlines() if "broken.csv: dòng" in line]
    assert lines and all(", cột D (" in line for line in lines), in_vietnamese.stderr
    assert "không phải là hình thức nộp hồ sơ được nhận biết" in lines[0]
    assert "Chưa có dữ liệu nào được lưu" in in_vietnamese.stderr


async def test_the_cli_names_an_unknown_unit(
    spotcheck: Spotcheck, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(small_ledger(3)))

    result = spotcheck("dossiers", "import", "--unit", "NOPE", "--layout", "form-06", str(path))

    assert result.returncode == 1
    assert "No unit with code 'NOPE'" in result.stderr
