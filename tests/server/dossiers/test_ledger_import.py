"""Importing a unit's dossier ledger over HTTP: every error at once with its line and column and
nothing written, all or nothing, idempotent by file, overlapping re-imports with history, who may
import and read."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.core.audit.services import Actor
from server.core.audit.tables import AuditEvent
from server.core.errors import Conflict
from server.dossiers import services as dossier_service
from server.dossiers.fees import rule_context, use_fee_catalogue
from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.model import DossierRecord
from server.dossiers.rules import check_ledger
from server.dossiers.tables import Dossier, DossierHistory, DossierLedgerImport
from server.dossiers.writing import write_csv, write_xlsx
from tests.conftest import World, problem_detail

LAYOUT = "one-stop-export"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(records: list[DossierRecord]) -> bytes:
    text = io.StringIO(newline="")
    write_csv(shipped_layout(LAYOUT), records, text)
    return text.getvalue().encode("utf-8")


def xlsx_bytes(records: list[DossierRecord]) -> bytes:
    data = io.BytesIO()
    write_xlsx(shipped_layout(LAYOUT), records, data)
    return data.getvalue()


def small_ledger(count: int = 60, seed: int = 7) -> list[DossierRecord]:
    return generate_ledger(seed, unit_code="C1", count=count).records


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    unit_id: Any,
    data: bytes,
    *,
    name: str = "ledger.csv",
    content_type: str = CSV,
    layout: str = LAYOUT,
    period: tuple[date, date] | None = None,
) -> httpx.Response:
    form = {"layout": layout}
    if period is not None:
        form |= {"period_start": period[0].isoformat(), "period_end": period[1].isoformat()}
    return await client.post(
        f"/api/v1/units/{unit_id}/dossier-ledgers",
        headers=headers,
        files={"file": (name, data, content_type)},
        data=form,
    )


async def counts() -> tuple[int, int, int]:
    return (
        await DossierLedgerImport.count(),
        await Dossier.count(),
        await DossierHistory.count(),
    )


async def test_a_ledger_imports_with_its_flags_and_indicators(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    ledger = generate_ledger(3, unit_code="C1", count=400)

    period = (ledger.period_start, ledger.period_end)
    expected = check_ledger(ledger.records, rule_context(ledger.period_end))
    planted = set(ledger.planted)

    response = await upload(
        client, headers, world.units["C1"], csv_bytes(ledger.records), period=period
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["already_imported"] is False
    assert body["ledger_import"]["row_count"] == 400
    assert body["ledger_import"]["created_count"] == 400
    assert body["ledger_import"]["period_end"] == ledger.period_end.isoformat()
    assert body["flags"]["by_rule"] == dict(expected.totals.by_rule)
    assert planted <= set(expected.flags) and planted
    assert body["indicators"]["dossiers"] == 400
    assert await Dossier.count().where(Dossier.unit_id == world.units["C1"]) == 400
    events = await AuditEvent.select().where(AuditEvent.action == "dossier_ledger.imported")
    assert len(events) == 1

    flagged = await client.get(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers/flagged",
        headers=headers,
        params={"limit": 500},
    )
    assert flagged.status_code == 200, flagged.text
    codes = {row["dossier_code"] for row in flagged.json()}
    assert codes == set(expected.flags)
    assert planted <= codes
    assert int(flagged.headers["X-Total-Count"]) == body["flags"]["flagged_dossiers"]


def fee_cases() -> tuple[list[DossierRecord], dict[str, set[str]]]:
    """A clean ledger with a fee on a free procedure, a wrong amount, and a per-page fee that
    the ledger cannot show to be wrong; the dossier codes → the fee rules each must trip."""
    records = generate_ledger(11, unit_code="C1", count=80, plant=False).records
    free = next(i for i, r in enumerate(records) if r.procedure_code == "2.000635")  # birth
    paid = next(i for i, r in enumerate(records) if r.procedure_code == "2.000986")  # 8,000
    per_page = next(i for i, r in enumerate(records) if r.procedure_code == "2.000908")
    records[free] = dataclasses.replace(records[free], fee=30_000, paid_online=False)
    records[paid] = dataclasses.replace(records[paid], fee=18_000)
    records[per_page] = dataclasses.replace(records[per_page], fee=6_000)  # three pages
    return records, {
        records[free].dossier_code: {"fee_not_due"},
        records[paid].dossier_code: {"fee_differs"},
    }


async def flagged_fee_rules(
    client: httpx.AsyncClient, headers: dict[str, str], unit_id: Any
) -> dict[str, set[str]]:
    response = await client.get(
        f"/api/v1/units/{unit_id}/dossier-ledgers/flagged",
        headers=headers,
        params={"limit": 500, "lang": "en"},
    )
    assert response.status_code == 200, response.text
    fee_rules = {"fee_not_due", "fee_differs"}
    return {
        row["dossier_code"]: {flag["rule"] for flag in row["flags"] if flag["rule"] in fee_rules}
        for row in response.json()
        if any(flag["rule"] in fee_rules for flag in row["flags"])
    }


async def test_the_fee_rules_flag_against_the_posted_fee_catalogue(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    records, expected = fee_cases()

    response = await upload(client, headers, world.units["C1"], csv_bytes(records))

    assert response.status_code == 200, response.text
    assert response.json()["flags"]["by_rule"].get("fee_not_due") == 1
    assert response.json()["flags"]["by_rule"].get("fee_differs") == 1
    assert await flagged_fee_rules(client, headers, world.units["C1"]) == expected
    flagged = await client.get(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers/flagged",
        headers=headers,
        params={"limit": 500, "lang": "en"},
    )
    details = {
        flag["detail_en"]
        for row in flagged.json()
        for flag in row["flags"]
        if flag["rule"] == "fee_differs"
    }
    assert details == {"18,000 VND collected, the posted fee is 8,000 VND"}


async def test_an_unknown_rule_is_refused_not_read_as_nothing_flagged(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    response = await upload(client, headers, world.units["C1"], csv_bytes(small_ledger(10)))
    assert response.status_code == 200, response.text

    flagged = await client.get(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers/flagged",
        headers=headers,
        params={"rule": "late_without_apologies"},
    )

    assert flagged.status_code == 422, flagged.text
    assert "late_without_apology" in problem_detail(flagged)


async def test_without_a_fee_catalogue_the_fee_rules_stay_silent(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    records, _ = fee_cases()
    use_fee_catalogue("none")
    try:
        response = await upload(client, headers, world.units["C1"], csv_bytes(records))
        assert response.status_code == 200, response.text
        assert await flagged_fee_rules(client, headers, world.units["C1"]) == {}
    finally:
        use_fee_catalogue("ninh-binh")


async def test_an_xlsx_ledger_imports_like_its_csv(client: httpx.AsyncClient, world: World) -> None:
    headers = await world.login(client, "admin")
    records = small_ledger()

    response = await upload(
        client, headers, world.units["C1"], xlsx_bytes(records), name="so.xlsx", content_type=XLSX
    )

    assert response.status_code == 200, response.text
    assert response.json()["ledger_import"]["file_format"] == "xlsx"
    again = await upload(client, headers, world.units["C1"], csv_bytes(records))
    assert again.json()["ledger_import"]["unchanged_count"] == len(records)


async def test_every_error_comes_back_with_line_and_column_and_nothing_is_written(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    rows = list(csv.reader(io.StringIO(csv_bytes(small_ledger(10)).decode())))
    column = rows[0].index("Ngày tiếp nhận")
    rows[3][column] = "31/02/2024"  # line 4
    rows[7][column] = "hôm qua"  # line 8
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    data = text.getvalue().encode()

    response = await upload(client, headers, world.units["C1"], data)

    assert response.status_code == 422, response.text
    detail = problem_detail(response)
    # In the user's language (Vietnamese here), and in both beside it.
    assert "Chưa có dữ liệu nào được lưu" in detail
    assert "Nothing was saved" in response.json()["detail_en"]
    issues = response.json()["issues"]
    assert response.json()["issue_count"] == 2
    assert [issue["line"] for issue in issues] == [4, 8]
    letter = chr(ord("A") + column)
    assert {issue["column"] for issue in issues} == {letter}
    assert {issue["value"] for issue in issues} == {"31/02/2024", "hôm qua"}
    assert all(issue["message"] and issue["header"] for issue in issues)
    assert await counts() == (0, 0, 0)


async def test_a_nul_character_in_a_text_cell_is_an_issue_with_its_line_and_column(
    client: httpx.AsyncClient, world: World
) -> None:
    """On both engines alike: PostgreSQL cannot store the character, and SQLite would."""
    headers = await world.login(client, "leader_d1")
    rows = list(csv.reader(io.StringIO(csv_bytes(small_ledger(10)).decode())))
    column = rows[0].index("Tên thủ tục")
    rows[5][column] = "Đăng ký\x00 khai sinh"  # line 6
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)

    response = await upload(client, headers, world.units["C1"], text.getvalue().encode())

    assert response.status_code == 422, response.text
    issues = response.json()["issues"]
    assert [(issue["line"], issue["column"]) for issue in issues] == [(6, chr(ord("A") + column))]
    assert "NUL" in issues[0]["message_en"]
    assert await counts() == (0, 0, 0)


async def test_an_error_on_the_last_row_writes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    records = small_ledger(50)
    data = csv_bytes(records) + csv_bytes(records[-1:]).splitlines()[-1] + b"\n"  # a repeated code

    response = await upload(client, headers, world.units["C1"], data)

    assert response.status_code == 422, response.text
    assert response.json()["issues"][0]["line"] == 52
    assert await counts() == (0, 0, 0)


async def test_the_same_file_again_answers_with_its_first_import(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    data = csv_bytes(small_ledger())
    first = await upload(client, headers, world.units["C1"], data)
    assert first.status_code == 200, first.text

    second = await upload(client, headers, world.units["C1"], data, name="renamed.csv")

    assert second.status_code == 200, second.text
    assert second.json()["already_imported"] is True
    assert second.json()["ledger_import"] == first.json()["ledger_import"]
    assert second.json()["flags"] == first.json()["flags"]
    assert second.json()["indicators"] == first.json()["indicators"]
    assert await counts() == (1, 60, 0)
    events = await AuditEvent.count().where(AuditEvent.action == "dossier_ledger.imported")
    assert events == 1


async def test_an_overlapping_import_updates_by_code_with_history_and_keeps_missing_dossiers(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    records = small_ledger(40)
    first = await upload(client, headers, world.units["C1"], csv_bytes(records[:30]))
    assert first.status_code == 200, first.text
    changed = dataclasses.replace(records[5], resolved=None, returned=None, status=None)
    later = [*records[:5], changed, *records[6:20], *records[30:40]]  # 0-19 and 30-39; 20-29 gone

    second = await upload(client, headers, world.units["C1"], csv_bytes(later))

    assert second.status_code == 200, second.text
    summary = second.json()["ledger_import"]
    assert (summary["created_count"], summary["updated_count"], summary["unchanged_count"]) == (
        10,
        1,
        19,
    )
    assert await Dossier.count().where(Dossier.unit_id == world.units["C1"]) == 40
    history = await DossierHistory.select().output(load_json=True)
    assert len(history) == 1
    assert history[0]["dossier_code"] == records[5].dossier_code
    assert str(history[0]["previous_import_id"]) == first.json()["ledger_import"]["id"]
    assert str(history[0]["replaced_by_import_id"]) == summary["id"]
    assert history[0]["previous"]["resolved"]["day"] == records[5].resolved.day.isoformat()
    row = await Dossier.select().where(Dossier.dossier_code == records[5].dossier_code).first()
    assert row["resolved_day"] is None
    assert str(row["import_id"]) == summary["id"]
    kept = await Dossier.select().where(Dossier.dossier_code == records[25].dossier_code).first()
    assert str(kept["import_id"]) == first.json()["ledger_import"]["id"]


async def test_moments_round_trip_through_the_tables_exactly(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "admin")
    records = small_ledger(300)
    assert any(record.received.at for record in records)
    assert any(record.apology_slips and record.new_appointed_returns for record in records)
    await upload(client, headers, world.units["C1"], csv_bytes(records))

    # The same records in another file (another hash): every one is unchanged, none rewritten.
    again = await upload(client, headers, world.units["C1"], csv_bytes(records) + b"\n")

    assert again.json()["ledger_import"]["unchanged_count"] == 300
    assert await DossierHistory.count() == 0


@pytest.mark.parametrize(
    ("username", "unit", "status"),
    [
        ("inspector", "C1", 403),  # not a role that imports
        ("head_c1", "C1", 403),  # a unit head reads, never imports
        ("leader_d1", "C3", 404),  # another district's unit is not in their tree
        ("leader_d1", "D1", 403),  # nobody judges their own unit
    ],
)
async def test_who_may_not_import(
    client: httpx.AsyncClient, world: World, username: str, unit: str, status: int
) -> None:
    headers = await world.login(client, username)

    response = await upload(client, headers, world.units[unit], csv_bytes(small_ledger(5)))

    assert response.status_code == status, response.text
    problem_detail(response)
    assert await counts() == (0, 0, 0)


async def test_a_unit_head_reads_their_own_units_results_only(
    client: httpx.AsyncClient, world: World
) -> None:
    leader = await world.login(client, "leader_d1")
    for unit in ("C1", "C2"):
        response = await upload(client, leader, world.units[unit], csv_bytes(small_ledger(20)))
        assert response.status_code == 200, response.text
    head = await world.login(client, "head_c1")
    inspector = await world.login(client, "inspector")
    base = "/api/v1/units/{}/dossier-ledgers"

    own = await client.get(base.format(world.units["C1"]), headers=head)
    other = await client.get(base.format(world.units["C2"]) + "/indicators", headers=head)
    refused = await client.get(base.format(world.units["C1"]) + "/flagged", headers=inspector)

    assert own.status_code == 200 and len(own.json()) == 1
    assert other.status_code == 404
    assert refused.status_code == 403
    indicators = await client.get(base.format(world.units["C1"]) + "/indicators", headers=head)
    assert indicators.status_code == 200 and indicators.json()["dossiers"] == 20


async def test_a_file_that_is_not_a_ledger_is_refused_as_unsupported(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "admin")

    pdf = await upload(client, headers, world.units["C1"], b"%PDF-1.7", name="a.pdf")
    fake = await upload(
        client, headers, world.units["C1"], b"a,b\n", name="a.xlsx", content_type=XLSX
    )
    layout = await upload(client, headers, world.units["C1"], b"a,b\n", layout="nope")

    assert (pdf.status_code, fake.status_code, layout.status_code) == (415, 415, 422)
    assert "form-06" in problem_detail(layout)
    assert await counts() == (0, 0, 0)


async def test_an_import_that_another_overtook_while_reading_saves_nothing(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two different files for one unit at once: the one whose comparison was made before the
    other committed is refused (409) instead of overwriting without history; the same file at
    once answers with the import that won."""
    unit = await dossier_service.unit_by_code("C1")
    records = small_ledger(30)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(csv_bytes(records[:20]))
    second.write_bytes(csv_bytes(records[10:]))
    real = dossier_service._stored_dossiers
    overtaking: list[Path] = [second]

    async def overtaken(unit_facts: Any) -> Any:
        if overtaking:  # the other import runs, and commits, while this one compares
            await dossier_service.import_for_unit(
                unit_facts, actor=ACTOR, **file_arguments(overtaking.pop())
            )
        return await real(unit_facts)

    monkeypatch.setattr(dossier_service, "_stored_dossiers", overtaken)

    with pytest.raises(Conflict, match="Đề nghị gửi lại tệp") as caught:
        await dossier_service.import_for_unit(unit, actor=ACTOR, **file_arguments(first))
    assert caught.value.extra["detail_en"].endswith("Send the file again.")

    assert await DossierLedgerImport.count() == 1
    assert await Dossier.count() == 20  # the second file's rows only
    overtaking.append(first)
    same = await dossier_service.import_for_unit(unit, actor=ACTOR, **file_arguments(first))
    assert same.already_imported is True
    assert await DossierLedgerImport.count() == 2


ACTOR = Actor(id=None, label="test")


def file_arguments(path: Path) -> dict[str, Any]:
    return {"path": path, "file_name": path.name, "file_format": "csv", "layout": LAYOUT}
