"""A ledger without a slip column (form 06) says nothing about apology slips: its late dossiers
are not flagged "late without an apology slip", stored or read back, and dossiers stored before
this was so read as unknown after the migration. The same dossiers in the generic export, whose
slip column is blank, are flagged."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from server.dossiers.mapping import shipped_layout
from server.dossiers.model import DossierRecord, DossierStatus
from server.dossiers.tables import Dossier, DossierLedgerImport
from server.dossiers.writing import write_csv
from tests import engines
from tests.conftest import World
from tests.server.dossiers.builders import at, dossier
from tests.server.test_migrations import migrate, migrate_server_to

PERIOD = (date(2024, 3, 1), date(2024, 3, 31))


def ledger() -> list[DossierRecord]:
    """Two dossiers: one on time, one resolved the day after its appointment with no slip."""
    return [
        dossier(dossier_code="ON-TIME"),
        dossier(
            dossier_code="LATE",
            resolved=at("08/03/2024 10:00"),
            returned=at("08/03/2024 15:00"),
            status=DossierStatus.returned,
        ),
    ]


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], unit_id: Any, layout: str
) -> httpx.Response:
    text = io.StringIO(newline="")
    write_csv(shipped_layout(layout), ledger(), text)
    return await client.post(
        f"/api/v1/units/{unit_id}/dossier-ledgers",
        headers=headers,
        files={"file": ("ledger.csv", text.getvalue().encode(), "text/csv")},
        data={
            "layout": layout,
            "period_start": PERIOD[0].isoformat(),
            "period_end": PERIOD[1].isoformat(),
        },
    )


async def flagged_rules(client: httpx.AsyncClient, headers: dict[str, str], unit_id: Any) -> dict:
    response = await client.get(f"/api/v1/units/{unit_id}/dossier-ledgers/flagged", headers=headers)
    assert response.status_code == 200, response.text
    return {row["dossier_code"]: {f["rule"] for f in row["flags"]} for row in response.json()}


async def stored_slips(unit_id: Any) -> dict[str, Any]:
    rows = (
        await Dossier.select(Dossier.dossier_code, Dossier.apology_slips)
        .where(Dossier.unit_id == unit_id)
        .output(load_json=True)
    )
    return {row["dossier_code"]: row["apology_slips"] for row in rows}


async def test_a_form_06_ledger_does_not_accuse_a_late_dossier_of_a_missing_slip(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    form_06, export = world.units["C1"], world.units["C2"]

    answer = await upload(client, headers, form_06, "form-06")
    assert answer.status_code == 200, answer.text
    # Returned after its appointment is evidence the book does show.
    assert answer.json()["flags"]["by_rule"] == {"returned_late": 1}
    assert await stored_slips(form_06) == {"ON-TIME": None, "LATE": None}
    assert await flagged_rules(client, headers, form_06) == {"LATE": {"returned_late"}}

    # The export has a slip column, blank for both: the late dossier had no slip.
    answer = await upload(client, headers, export, "one-stop-export")
    assert answer.status_code == 200, answer.text
    assert answer.json()["flags"]["by_rule"] == {"late_without_apology": 1, "returned_late": 1}
    assert await stored_slips(export) == {"ON-TIME": [], "LATE": []}
    assert await flagged_rules(client, headers, export) == {
        "LATE": {"late_without_apology", "returned_late"}
    }


async def test_a_later_export_makes_unknown_slips_known(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    unit = world.units["C1"]
    assert (await upload(client, headers, unit, "form-06")).status_code == 200

    answer = await upload(client, headers, unit, "one-stop-export")

    assert answer.status_code == 200, answer.text
    # Unknown and none differ, so the export updates both dossiers (with history).
    assert answer.json()["ledger_import"]["updated_count"] == 2
    assert await flagged_rules(client, headers, unit) == {
        "LATE": {"late_without_apology", "returned_late"}
    }


async def test_a_summary_emptied_by_the_migration_is_worked_out_again_when_the_file_returns(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    unit = world.units["C1"]
    first = (await upload(client, headers, unit, "form-06")).json()
    await DossierLedgerImport.update({DossierLedgerImport.summary: {}}, force=True)

    again = await upload(client, headers, unit, "form-06")

    assert again.status_code == 200, again.text
    body = again.json()
    assert body["already_imported"] is True
    assert body["flags"] == first["flags"] and body["indicators"] == first["indicators"]
    stored = await DossierLedgerImport.select(DossierLedgerImport.summary).output(load_json=True)
    assert stored[0]["summary"]["flags"] == first["flags"]


# --- the migration: dossiers stored from form 06 before it ---------------------------------------

BEFORE = "2026-12-01T11:00:00:000000"  # the last migration before slips could be unknown
FALSE_SUMMARY = {"flags": {"by_rule": {"late_without_apology": 1}}, "indicators": None}


def import_rows() -> list[tuple[Any, ...]]:
    """(id, layout) of two imports and (id, import, code) of a dossier from each."""
    return [
        (uuid.UUID(int=1, version=4), "form-06"),
        (uuid.UUID(int=2, version=4), "one-stop-export"),
    ]


IMPORT_SQL = (
    "INSERT INTO dossier_ledger_import (id, unit_id, layout, file_format, sha256, file_name, "
    "row_count, created_count, updated_count, unchanged_count, imported_by_label, imported_at, "
    "summary) VALUES "
)
DOSSIER_SQL = (
    "INSERT INTO dossier (id, unit_id, dossier_code, import_id, received_day, "
    "appointed_return_day, apology_slips, new_appointed_returns, updated_at) VALUES "
)
UNIT = uuid.UUID(int=9, version=4)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def assert_migrated(slips: dict[str, Any], summaries: dict[str, Any]) -> None:
    assert slips == {"form-06": None, "one-stop-export": []}
    assert summaries == {"form-06": {}, "one-stop-export": FALSE_SUMMARY}


@pytest.mark.sqlite_only
def test_the_migration_makes_stored_form_06_slips_unknown_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "upgraded.sqlite3"
    url = f"sqlite:///{path}"
    migrate_server_to(url, BEFORE)
    with sqlite3.connect(path) as connection:
        for import_id, layout in import_rows():
            connection.execute(
                IMPORT_SQL + "(?, ?, ?, 'csv', ?, 'l.csv', 1, 1, 0, 0, 'x', ?, ?)",
                (
                    str(import_id),
                    str(UNIT),
                    layout,
                    layout,
                    NOW.isoformat(),
                    json.dumps(FALSE_SUMMARY),
                ),
            )
            connection.execute(
                DOSSIER_SQL + "(?, ?, ?, ?, '2024-03-05', '2024-03-07', '[]', '[]', ?)",
                (str(uuid.uuid4()), str(UNIT), layout, str(import_id), NOW.isoformat()),
            )

    migrate(url)

    with sqlite3.connect(path) as connection:
        slips = dict(connection.execute("SELECT dossier_code, apology_slips FROM dossier"))
        summaries = dict(connection.execute("SELECT layout, summary FROM dossier_ledger_import"))
    assert_migrated(
        {code: json.loads(value) for code, value in slips.items()},
        {layout: json.loads(value) for layout, value in summaries.items()},
    )


@pytest.mark.postgres_only
async def test_the_migration_makes_stored_form_06_slips_unknown_postgres() -> None:
    url = await engines.create()
    try:
        migrate_server_to(url, BEFORE)
        connection = await asyncpg.connect(url, timeout=10)
        try:
            for import_id, layout in import_rows():
                await connection.execute(
                    IMPORT_SQL + "($1, $2, $3, 'csv', $4, 'l.csv', 1, 1, 0, 0, 'x', $5, $6)",
                    import_id,
                    UNIT,
                    layout,
                    layout,
                    NOW,
                    json.dumps(FALSE_SUMMARY),
                )
                await connection.execute(
                    DOSSIER_SQL + "($1, $2, $3, $4, '2024-03-05', '2024-03-07', '[]', '[]', $5)",
                    uuid.uuid4(),
                    UNIT,
                    layout,
                    import_id,
                    NOW,
                )
        finally:
            await connection.close()

        migrate(url)

        connection = await asyncpg.connect(url, timeout=10)
        try:
            slips = await connection.fetch("SELECT dossier_code, apology_slips FROM dossier")
            summaries = await connection.fetch("SELECT layout, summary FROM dossier_ledger_import")
        finally:
            await connection.close()
        assert_migrated(
            {row[0]: json.loads(row[1]) for row in slips},
            {row[0]: json.loads(row[1]) for row in summaries},
        )
    finally:
        await engines.drop(url)
