"""Dossier indicators in the leader's summary: each unit's figures equal an independent
computation over its stored dossiers, the change from the previous period, the scope's totals,
and the section of the summary PDF (a province-sized table paginates, it is not cut)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from pypdf import PdfReader

from reports import rendering, summary_document, summary_service
from reports.schemas import SummaryOut
from server.dossiers import services as dossier_service
from server.dossiers.fees import rule_context
from server.dossiers.indicators import period_indicators
from server.dossiers.tables import Dossier
from tests.conftest import World, build_world
from tests.helpers import store_generated_ledger
from tests.reports.builders import Sessions, empty_tables

LAYOUT = "one-stop-export"
CURRENT = (date(2024, 4, 1), date(2024, 6, 30))
PREVIOUS = (date(2024, 1, 1), date(2024, 3, 31))  # the 91 days before


@dataclass
class Data:
    world: World
    sessions: Sessions


async def store_ledger(world: World, code: str, seed: int, period: tuple[date, date]) -> None:
    await store_generated_ledger(world.units[code], seed=seed, period=period, count=150)


@pytest.fixture(scope="module")
async def data(client: httpx.AsyncClient) -> Data:
    await empty_tables()
    world = await build_world()
    await store_ledger(world, "C1", 1, PREVIOUS)
    await store_ledger(world, "C1", 2, CURRENT)
    await store_ledger(world, "C2", 3, CURRENT)  # no previous period
    await store_ledger(world, "C3", 4, CURRENT)  # outside D1
    return Data(world, Sessions(client, world))


async def summary_of(data: Data, username: str = "leader_d1") -> dict[str, Any]:
    response = await data.sessions.client.get(
        "/api/v1/reports/summary",
        headers=await data.sessions(username),
        params={"period_from": CURRENT[0].isoformat(), "period_to": CURRENT[1].isoformat()},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def stored_records(unit_id: Any) -> list[Any]:
    rows = await Dossier.select().where(Dossier.unit_id == unit_id).output(load_json=True)
    return [dossier_service.record_from_row(row, ZoneInfo("Asia/Ho_Chi_Minh")) for row in rows]


def by_hand(records: list[Any], period: tuple[date, date]) -> dict[str, Any]:
    """The indicators counted straight from the records (the flags from the pure function over
    every stored dossier of the unit, not only those the summary's query reads)."""
    start, end = period
    received = [record for record in records if start <= record.received.day <= end]
    known = [record for record in received if record.channel is not None]
    resolved = [
        record
        for record in records
        if record.resolved is not None and start <= record.resolved.day <= end
    ]
    whole = period_indicators(
        records,
        period_start=start,
        period_end=end,
        context=rule_context(end),
    )
    return {
        "dossiers": len(received),
        "online": [sum(record.channel.value == "online" for record in known), len(known)],
        "on_time": [
            sum(record.resolved.day <= record.appointed_return.day for record in resolved),
            len(resolved),
        ],
        "backlog": whole.backlog,
        "flagged": [whole.flagged.numerator, whole.flagged.denominator],
    }


def shown(indicators: dict[str, Any]) -> dict[str, Any]:
    return {
        "dossiers": indicators["dossiers"],
        "online": [indicators["online"]["numerator"], indicators["online"]["denominator"]],
        "on_time": [indicators["on_time"]["numerator"], indicators["on_time"]["denominator"]],
        "backlog": indicators["backlog"],
        "flagged": [indicators["flagged"]["numerator"], indicators["flagged"]["denominator"]],
    }


async def test_each_units_indicators_equal_a_computation_over_its_stored_dossiers(
    data: Data,
) -> None:
    body = await summary_of(data)
    section = body["dossier_indicators"]
    rows = {row["unit"]["code"]: row for row in section["units"]}

    assert set(rows) == {"C1", "C2"}  # C3 is outside D1; D1 itself has no ledger
    for code in ("C1", "C2"):
        records = await stored_records(data.world.units[code])
        assert shown(rows[code]["current"]) == by_hand(records, CURRENT)
    c1_records = await stored_records(data.world.units["C1"])
    assert shown(rows["C1"]["previous"]) == by_hand(c1_records, PREVIOUS)
    assert rows["C1"]["current"]["dossiers"] > 100  # the comparison is over real data
    assert rows["C1"]["current"]["flagged"]["numerator"] > 0


async def test_the_change_is_in_points_for_shares_and_in_dossiers_for_the_backlog(
    data: Data,
) -> None:
    rows = {
        row["unit"]["code"]: row for row in (await summary_of(data))["dossier_indicators"]["units"]
    }
    c1 = rows["C1"]
    for name in ("online", "on_time", "flagged", "online_payment"):
        now, before = c1["current"][name]["value"], c1["previous"][name]["value"]
        assert c1["change"][f"{name}_points"] == pytest.approx(round((now - before) * 100, 1))
    assert c1["change"]["backlog"] == c1["current"]["backlog"] - c1["previous"]["backlog"]
    # C2 has no ledger before April: no previous figures, so no change to show.
    assert rows["C2"]["previous"] is None and rows["C2"]["change"] is None


async def test_the_scope_totals_add_up_numerators_and_denominators(data: Data) -> None:
    section = (await summary_of(data))["dossier_indicators"]
    totals = section["totals"]["current"]
    for name in ("online", "online_payment", "on_time", "flagged"):
        for part in ("numerator", "denominator"):
            assert totals[name][part] == sum(row["current"][name][part] for row in section["units"])
    assert totals["backlog"] == sum(row["current"]["backlog"] for row in section["units"])
    assert section["totals"]["unit"] is None
    # The previous total is C1's alone: C2 had nothing then.
    c1 = next(row for row in section["units"] if row["unit"]["code"] == "C1")
    assert section["totals"]["previous"] == c1["previous"]


async def test_a_scope_without_ledgers_has_no_indicator_section(data: Data) -> None:
    response = await data.sessions.client.get(
        "/api/v1/reports/summary",
        headers=await data.sessions("leader_d1"),
        params={
            "period_from": "2025-04-01",
            "period_to": "2025-06-30",
            "unit_id": str(data.world.units["C1-SC"]),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["dossier_indicators"] is None


async def test_the_summary_pdf_has_the_indicator_table(data: Data) -> None:
    response = await data.sessions.client.get(
        "/api/v1/reports/summary.pdf",
        headers=await data.sessions("leader_d1"),
        params={"period_from": CURRENT[0].isoformat(), "period_to": CURRENT[1].isoformat()},
    )
    assert response.status_code == 200, response.text
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = "\n".join(page.extract_text() for page in pages)
    assert "Chỉ số hồ sơ" in text
    assert "Đơn vị C1" in text and "Đơn vị C2" in text
    assert "Tổng" in text and "điểm" in text


def province_summary(units: int) -> SummaryOut:
    """A summary of ``units`` units with ledger data and nothing else."""
    indicators = {
        "period_start": "2024-04-01",
        "period_end": "2024-06-30",
        "dossiers": 300,
        "online": {"numerator": 120, "denominator": 300, "value": 0.4},
        "online_payment": {"numerator": 30, "denominator": 60, "value": 0.5},
        "on_time": {"numerator": 270, "denominator": 290, "value": 270 / 290},
        "backlog": 4,
        "pending_at_end": 9,
        "flagged": {"numerator": 21, "denominator": 300, "value": 0.07},
    }
    change = {
        "online_points": 2.5,
        "online_payment_points": -1.0,
        "on_time_points": 0.0,
        "flagged_points": -3.2,
        "backlog": 2,
    }
    rows = [
        {
            "unit": {
                "id": str(uuid4()),
                "code": f"X{n:03d}",
                "name_vi": f"Xã số {n:03d}",
                "name_en": f"Commune {n:03d}",
            },
            "current": indicators,
            "previous": indicators,
            "change": change,
        }
        for n in range(units)
    ]
    empty_period = {"period_from": "2024-04-01", "period_to": "2024-06-30", "days": 91}
    return SummaryOut.model_validate(
        {
            "scope_unit": {
                "id": str(uuid4()),
                "code": "P",
                "name_vi": "Tỉnh",
                "name_en": "Province",
            },
            "period": empty_period,
            "previous_period": empty_period
            | {"period_from": "2024-01-01", "period_to": "2024-03-31"},
            "generated_at": datetime(2024, 7, 1, tzinfo=UTC).isoformat(),
            "time_zone": "Asia/Ho_Chi_Minh",
            "min_inspections": 1,
            "inspections": {"done": 0, "scored": 0, "by_status": {}},
            "average_score": None,
            "previous_average_score": None,
            "bands": [],
            "ranking": {
                "scope_unit": {
                    "id": str(uuid4()),
                    "code": "P",
                    "name_vi": "Tỉnh",
                    "name_en": "Province",
                },
                "period": empty_period,
                "previous_period": empty_period,
                "min_inspections": 1,
                "ranked": [],
                "insufficient_data": [],
            },
            "section_results": {
                "sections": [],
                "overall": {"unit": None, "label": "Tỉnh", "cells": []},
                "rows": [],
            },
            "findings": {"total": 0, "by_severity": {}, "by_category": {}, "cells": []},
            "actions": {
                "total": 0,
                "open": 0,
                "overdue": 0,
                "verified": 0,
                "verified_on_time": 0,
                "verified_late": 0,
                "by_responsible_unit": [],
            },
            "dossier_indicators": {
                "units": rows,
                "totals": {
                    "unit": None,
                    "current": indicators,
                    "previous": indicators,
                    "change": change,
                },
            },
        }
    )


async def test_a_province_table_runs_over_pages_with_every_unit_and_signed_changes() -> None:
    """WeasyPrint splits a long table between rows and repeats its header: no unit is cut."""
    data = province_summary(204)
    html = summary_document.summary_html(data)
    assert "+2,5 điểm" in html and "−3,2 điểm" in html and "±0,0 điểm" in html
    pdf = await rendering.render_built_async(
        summary_service.SUMMARY_BUILDER,
        data.model_dump_json(),
        stylesheet=summary_document.STYLESHEET,
    )
    # Each page's text extracted once (pypdf takes most of this test's time on a long table).
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    text = "\n".join(pages)
    assert len(pages) >= 4
    for n in range(204):
        assert f"Xã số {n:03d}" in text
    assert sum("Bị gắn cờ" in page for page in pages) >= 3  # header repeated


async def test_a_new_import_shows_at_once_although_figures_are_kept_between_requests(
    data: Data,
) -> None:
    """The indicators of a unit are kept per latest import: asking again costs no pass over the
    dossiers, and a new import of the unit is seen by the next summary."""

    async def c3_row() -> dict[str, Any]:
        response = await data.sessions.client.get(
            "/api/v1/reports/summary",
            headers=await data.sessions("leader_p"),
            params={
                "period_from": CURRENT[0].isoformat(),
                "period_to": CURRENT[1].isoformat(),
                "unit_id": str(data.world.units["D2"]),
            },
        )
        assert response.status_code == 200, response.text
        (row,) = response.json()["dossier_indicators"]["units"]
        return row

    before = await c3_row()
    assert before["previous"] is None
    calls = 0
    original = dossier_service._compute_indicators

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)

    dossier_service._compute_indicators = counted  # type: ignore[assignment]
    try:
        assert await c3_row() == before
        assert calls == 0  # kept from the first request
        await store_ledger(data.world, "C3", 5, PREVIOUS)
        after = await c3_row()
        assert calls == 1
    finally:
        dossier_service._compute_indicators = original  # type: ignore[assignment]
    records = await stored_records(data.world.units["C3"])
    assert shown(after["previous"]) == by_hand(records, PREVIOUS)
    assert shown(after["current"]) == by_hand(records, CURRENT)
