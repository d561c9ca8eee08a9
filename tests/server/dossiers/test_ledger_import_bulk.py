"""A large import's fast paths keep its behaviour: the upload reaches the reader as a file on
disk (never the body held whole), stored dossiers are compared by their columns (an unchanged
dossier is not rewritten, whatever file it comes in; a moved slip time is a change), and the
rows go by COPY on PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from server.core import db
from server.dossiers import indicators as indicators_module
from server.dossiers import services as dossier_service
from server.dossiers.model import DossierRecord
from server.dossiers.tables import Dossier, DossierHistory
from tests.conftest import World
from tests.server.dossiers.builders import at, day
from tests.server.dossiers.test_ledger_import import (
    ACTOR,
    csv_bytes,
    file_arguments,
    small_ledger,
    upload,
    xlsx_bytes,
)


def with_slip(record: DossierRecord, slip_time: str) -> DossierRecord:
    return dataclasses.replace(
        record,
        apology_slips=(at(slip_time),),
        new_appointed_returns=(day("11/03/2024"),),
    )


async def test_the_same_dossiers_in_another_file_change_nothing_and_a_moved_slip_time_does(
    world: World, tmp_path: Path
) -> None:
    unit = await dossier_service.unit_by_code("C1")
    records = small_ledger(50)
    records[3] = with_slip(records[3], "06/03/2024 10:00")
    first = tmp_path / "first.csv"
    first.write_bytes(csv_bytes(records))
    await dossier_service.import_for_unit(unit, actor=ACTOR, **file_arguments(first))

    # The same dossiers as a workbook, rows reversed: every value read back compares equal.
    again = tmp_path / "again.xlsx"
    again.write_bytes(xlsx_bytes(records[::-1]))
    same = await dossier_service.import_for_unit(
        unit, actor=ACTOR, **{**file_arguments(again), "file_format": "xlsx"}
    )
    counted = same.ledger_import
    assert (counted.created_count, counted.updated_count, counted.unchanged_count) == (0, 0, 50)
    assert await DossierHistory.count() == 0

    # One slip an hour later is a change, kept as history with the time it had.
    later = tmp_path / "later.csv"
    later.write_bytes(csv_bytes([*records[:3], with_slip(records[3], "06/03/2024 11:00")]))
    moved = await dossier_service.import_for_unit(unit, actor=ACTOR, **file_arguments(later))
    counted = moved.ledger_import
    assert (counted.created_count, counted.updated_count, counted.unchanged_count) == (0, 1, 3)
    (history,) = await DossierHistory.select().output(load_json=True)
    assert history["dossier_code"] == records[3].dossier_code
    assert history["previous"]["apology_slips"] == [
        {"day": "2024-03-06", "at": "2024-03-06T10:00:00+07:00"}
    ]
    assert await Dossier.count() == 50


async def test_an_upload_reaches_the_reader_as_a_file_on_disk_hashed_while_copied(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_bytes(small_ledger(6000, seed=3))
    assert len(data) > 1024 * 1024  # beyond what Litestar keeps of a file part in memory
    seen: dict[str, Any] = {}
    real_spool, real_read = dossier_service.spool_to_file, dossier_service.load_ledger

    def spool(source: Any, suffix: str) -> dossier_service.SpooledUpload:
        seen["rolled_to_disk"] = source._rolled  # Litestar's SpooledTemporaryFile
        return real_spool(source, suffix)

    def read(path_or_file: Any, **options: Any) -> Any:
        seen["read_from"] = path_or_file
        seen["bytes_there"] = path_or_file.read_bytes()
        return real_read(path_or_file, **options)

    monkeypatch.setattr(dossier_service, "spool_to_file", spool)
    monkeypatch.setattr(dossier_service, "load_ledger", read)
    headers = await world.login(client, "leader_d1")

    response = await upload(client, headers, world.units["C1"], data)

    assert response.status_code == 200, response.text
    assert response.json()["ledger_import"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.json()["ledger_import"]["created_count"] == 6000
    assert seen["rolled_to_disk"] is True
    assert isinstance(seen["read_from"], Path)
    assert seen["bytes_there"] == data
    assert not seen["read_from"].exists()  # deleted after the request


async def test_bulk_rows_upsert_on_their_key_in_one_transaction(world: World) -> None:
    unit = await dossier_service.unit_by_code("C1")
    record = small_ledger(1)[0]
    first_import, second_import = uuid4(), uuid4()
    now = datetime.now(UTC)

    first_id = uuid4()

    def row(import_id: Any, record: DossierRecord) -> tuple[Any, ...]:
        values = {
            "id": first_id if import_id == first_import else uuid4(),
            "unit_id": unit.id,
            "dossier_code": record.dossier_code,
            "import_id": import_id,
            "updated_at": now,
            **dossier_service.record_values(record),  # lists as Python values: encoded there
        }
        return tuple(values[name] for name in db.column_names(Dossier))

    first_row = row(first_import, record)
    async with db.write_transaction():
        await db.insert_rows_in_bulk(
            Dossier,
            [first_row],
            conflict_target=(Dossier.unit_id, Dossier.dossier_code),
            update=dossier_service._UPSERTED,
        )
    changed = with_slip(record, "06/03/2024 10:00")
    async with db.write_transaction():
        await db.insert_rows_in_bulk(
            Dossier,
            [row(second_import, changed)],
            conflict_target=(Dossier.unit_id, Dossier.dossier_code),
            update=dossier_service._UPSERTED,
        )

    (stored,) = await Dossier.select().output(load_json=True)
    assert stored["id"] == first_id  # the key's row is updated, not replaced
    assert stored["import_id"] == second_import
    assert stored["apology_slips"] == [{"day": "2024-03-06", "at": "2024-03-06T10:00:00+07:00"}]


async def test_an_import_runs_the_rules_once_for_its_flags_and_indicators(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = await dossier_service.unit_by_code("C1")
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes(small_ledger(60)))

    def second_pass(*_: Any) -> Any:
        raise AssertionError("the indicators ran the rules again")

    monkeypatch.setattr(indicators_module, "check_dossier", second_pass)
    summary = await dossier_service.import_for_unit(
        unit,
        actor=ACTOR,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        **file_arguments(path),
    )

    assert summary.indicators is not None
    assert summary.flags.flagged_dossiers > 0
    assert summary.indicators.flagged.numerator == summary.flags.flagged_dossiers
    assert summary.indicators.flagged.denominator == summary.flags.dossiers == 60
