"""Leader summaries and rankings over real inspections: every figure equals an independent
computation from the raw rows, the insufficient-data rule, scope (404 outside it, 403 for
inspectors), secrecy of planned visits, and the summary PDF."""

from __future__ import annotations

import io
import math
import re
import statistics
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from pypdf import PdfReader

from reports import charts, rendering, summary_document, summary_service
from server.actions.tables import CorrectiveAction
from server.core.scopes import Principal, Role
from server.inspections.tables import Finding, Inspection, InspectionSectionScore
from server.units.tables import Unit
from tests.conftest import World, build_world, problem_detail
from tests.reports.builders import (
    Sessions,
    add_user,
    empty_tables,
    inspect,
    plan_only,
    start_only,
    verify_action,
)


@dataclass
class Data:
    world: World
    sessions: Sessions
    ids: dict[str, str]
    period: tuple[date, date]
    previous: tuple[date, date]


async def copy_inspection(source_id: str, **changes: Any) -> str:
    """A synthetic inspection: a real one's row with some fields changed (cheaper than a visit)."""
    row = (
        await Inspection.select()
        .where(Inspection.id == uuid.UUID(source_id))
        .first()
        .output(load_json=True)
    )
    row.update(id=uuid.uuid4(), **changes)
    await Inspection.insert(Inspection(**row))
    # And its section scores, as scoring writes them with the score.
    sections = await InspectionSectionScore.select().where(
        InspectionSectionScore.inspection_id == uuid.UUID(source_id)
    )
    for section in sections:
        section.update(id=uuid.uuid4(), inspection_id=row["id"])
        await InspectionSectionScore.insert(InspectionSectionScore(**section))
    return str(row["id"])


async def unit_path(code: str, world: World) -> str:
    row = await Unit.select(Unit.path).where(Unit.id == world.units[code]).first()
    return str(row["path"])


@pytest.fixture(scope="module")
async def data(client: httpx.AsyncClient) -> Data:
    await empty_tables()
    world = await build_world()
    await add_user(world, "leader_c1", "leader", "C1")
    sessions = Sessions(client, world)
    ids = {
        "c1_capped": await inspect(client, world, "C1", {"A5", "C1"}),  # critical: band capped
        "c1_clean": await inspect(client, world, "C1", set()),
        "c2_a": await inspect(client, world, "C2", {"C1"}),
        "c2_b": await inspect(client, world, "C2", {"C1", "B1"}, sign=False),
        "sc": await inspect(client, world, "C1-SC", {"A5"}, sign=False),
        "c2_started": await start_only(client, world, "C2"),
        "c1_planned": await plan_only(client, world, "C1"),
    }
    visit = (await Inspection.select(Inspection.visit_date).first())["visit_date"]
    period = (visit - timedelta(days=3), visit + timedelta(days=3))
    previous = (period[0] - timedelta(days=7), period[0] - timedelta(days=1))
    before = previous[0] + timedelta(days=2)
    # The previous period: C2 did best then, C1 worst, so both move.
    for score in (99.0, 97.0):
        ids[f"prev_c2_{score}"] = await copy_inspection(
            ids["c2_a"], visit_date=before, total_score=score
        )
    for score in (60.0, 70.0):
        ids[f"prev_c1_{score}"] = await copy_inspection(
            ids["c1_clean"], visit_date=before, total_score=score
        )
    # Not counted: cancelled after starting; outside D1 (counted for P).
    ids["c1_cancelled"] = await copy_inspection(ids["c1_clean"], status="cancelled")
    c3 = world.units["C3"]
    ids["c3"] = await copy_inspection(
        ids["c2_a"], unit_id=c3, unit_path=await unit_path("C3", world), total_score=42.0
    )
    # Actions: one verified on time (through the API), one overdue, one verified late.
    actions = await CorrectiveAction.select().where(
        CorrectiveAction.inspection_id == uuid.UUID(ids["c1_capped"])
    )
    by_severity = {row["severity"]: row for row in actions}
    await verify_action(client, sessions, str(by_severity["major"]["id"]), report="Đã niêm yết")
    await CorrectiveAction.update({CorrectiveAction.due_at: days_ago(2)}).where(
        CorrectiveAction.id == by_severity["critical"]["id"]
    )
    await CorrectiveAction.update(
        {
            CorrectiveAction.status: "verified",
            CorrectiveAction.due_at: days_ago(3),
            CorrectiveAction.verified_at: days_ago(1),
        }
    ).where(CorrectiveAction.inspection_id == uuid.UUID(ids["c2_a"]))
    return Data(world, sessions, ids, period, previous)


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


# --- The independent computation, straight from the rows -----------------------------------------


async def raw_rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "inspections": await Inspection.select().output(load_json=True),
        "units": await Unit.select(),
        "findings": await Finding.select(),
        "actions": await CorrectiveAction.select(),
    }


def counted(rows: list[dict[str, Any]], scope: str, period: tuple[date, date]) -> list[dict]:
    return [
        row
        for row in rows
        if row["unit_path"].startswith(scope)
        and row["started_at"] is not None
        and row["status"] != "cancelled"
        and period[0] <= row["visit_date"] <= period[1]
    ]


def unit_table(rows: list[dict[str, Any]], min_n: int) -> dict[uuid.UUID, dict[str, Any]]:
    scores: dict[uuid.UUID, list[float]] = defaultdict(list)
    done: Counter[uuid.UUID] = Counter()
    for row in rows:
        done[row["unit_id"]] += 1
        if row["total_score"] is not None:
            scores[row["unit_id"]].append(row["total_score"])
    table = {
        unit: {
            "inspections": done[unit],
            "scored": len(scores[unit]),
            "average": statistics.fmean(scores[unit]) if scores[unit] else None,
        }
        for unit in done
    }
    eligible = {
        unit: round(entry["average"], 2)
        for unit, entry in table.items()
        if entry["scored"] >= min_n
    }
    for unit, entry in table.items():
        entry["rank"] = (
            1 + sum(other > eligible[unit] for other in eligible.values())
            if unit in eligible
            else None
        )
    return table


def expected_summary(
    raw: dict[str, list[dict[str, Any]]],
    scope: str,
    period: tuple[date, date],
    previous: tuple[date, date],
    min_n: int,
    now: datetime,
) -> dict[str, Any]:
    rows = counted(raw["inspections"], scope, period)
    ids = {row["id"] for row in rows}
    scored = [row["total_score"] for row in rows if row["total_score"] is not None]
    before = [
        row["total_score"]
        for row in counted(raw["inspections"], scope, previous)
        if row["total_score"] is not None
    ]
    sections: dict[tuple[Any, str], list[float]] = defaultdict(list)
    for row in rows:
        for section in (row["score"] or {}).get("sections", []):
            if section["score"] is not None:
                sections[row["unit_id"], section["key"]].append(section["score"])
                sections[None, section["key"]].append(section["score"])
    actions = [row for row in raw["actions"] if row["inspection_id"] in ids]
    verified = [row for row in actions if row["status"] == "verified"]
    return {
        "done": len(rows),
        "by_status": Counter(row["status"] for row in rows),
        "scored": len(scored),
        "average": statistics.fmean(scored) if scored else None,
        "previous_average": statistics.fmean(before) if before else None,
        "bands": Counter(row["rating_band"] for row in rows),
        "units": unit_table(rows, min_n),
        "previous_units": unit_table(counted(raw["inspections"], scope, previous), min_n),
        "sections": {key: statistics.fmean(values) for key, values in sections.items()},
        "findings": Counter(
            (row["category"], row["severity"])
            for row in raw["findings"]
            if row["inspection_id"] in ids
        ),
        "actions": {
            "total": len(actions),
            "open": sum(row["status"] != "verified" for row in actions),
            "overdue": sum(row["status"] != "verified" and row["due_at"] < now for row in actions),
            "verified": len(verified),
            "verified_on_time": sum(row["verified_at"] <= row["due_at"] for row in verified),
        },
    }


async def get_summary(
    client: httpx.AsyncClient, headers: dict[str, str], path: str = "summary", **params: Any
) -> httpx.Response:
    query = {key: str(value) for key, value in params.items() if value is not None}
    return await client.get(f"/api/v1/reports/{path}", params=query, headers=headers)


# --- Figures -------------------------------------------------------------------------------------

VIEWS = [
    # (viewer, unit asked for or None for the home unit, scope unit)
    ("leader_d1", None, "D1"),
    ("leader_p", None, "P"),
    ("admin", "D1", "D1"),
    ("leader_p", "C1", "C1"),
    ("head_c1", None, "C1"),
    ("leader_c1", None, "C1"),
    ("head_d1", None, "D1"),
]


@pytest.mark.parametrize(("viewer", "asked", "scope"), VIEWS)
async def test_summary_figures_equal_an_independent_computation(
    client: httpx.AsyncClient, data: Data, viewer: str, asked: str | None, scope: str
) -> None:
    world = data.world
    now = datetime.now(UTC)
    response = await get_summary(
        client,
        await data.sessions(viewer),
        unit_id=world.units[asked] if asked else None,
        period_from=data.period[0],
        period_to=data.period[1],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    raw = await raw_rows()
    code_of = {row["id"]: row["code"] for row in raw["units"]}
    expected = expected_summary(
        raw, await unit_path(scope, world), data.period, data.previous, 2, now
    )

    assert body["scope_unit"]["code"] == scope
    assert body["previous_period"] == {
        "period_from": data.previous[0].isoformat(),
        "period_to": data.previous[1].isoformat(),
        "days": 7,
    }
    assert body["inspections"]["done"] == expected["done"] > 0
    assert body["inspections"]["by_status"] == dict(expected["by_status"])
    assert body["inspections"]["scored"] == expected["scored"]
    assert body["average_score"] == pytest.approx(expected["average"], abs=0.006)
    assert body["previous_average_score"] == pytest.approx(expected["previous_average"], abs=0.006)
    assert {band["key"]: band["count"] for band in body["bands"] if band["count"]} == {
        key: count for key, count in expected["bands"].items()
    }
    assert sum(band["share"] for band in body["bands"]) == pytest.approx(1.0, abs=0.001)

    # Ranking: ranks, averages, bands of ranked units, previous ranks and the change.
    ranking = body["ranking"]
    ranked = {entry["unit"]["code"]: entry for entry in ranking["ranked"]}
    apart = {entry["unit"]["code"]: entry for entry in ranking["insufficient_data"]}
    for unit_id, entry in expected["units"].items():
        code = code_of[unit_id]
        if entry["rank"] is None:
            assert code in apart and code not in ranked
            assert apart[code]["scored_inspections"] == entry["scored"]
            assert apart[code]["inspections"] == entry["inspections"]
            continue
        got = ranked[code]
        assert got["rank"] == entry["rank"]
        assert got["scored_inspections"] == entry["scored"]
        assert got["inspections"] == entry["inspections"]
        assert got["average_score"] == pytest.approx(entry["average"], abs=0.006)
        previous = expected["previous_units"].get(unit_id, {}).get("rank")
        assert got["previous_rank"] == previous
        assert got["rank_change"] == (None if previous is None else previous - entry["rank"])
    assert set(ranked) | set(apart) == {code_of[unit] for unit in expected["units"]}

    # Per-section results: every cell and the whole-scope row.
    for row in body["section_results"]["rows"]:
        unit_id = uuid.UUID(row["unit"]["id"])
        for cell in row["cells"]:
            key = (unit_id, cell["section_key"])
            assert cell["average_score"] == pytest.approx(
                expected["sections"].get(key), abs=0.006
            ), key
    for cell in body["section_results"]["overall"]["cells"]:
        assert cell["average_score"] == pytest.approx(
            expected["sections"].get((None, cell["section_key"])), abs=0.006
        )
    expected_keys = {key for (unit, key) in expected["sections"] if unit is not None}
    assert {section["key"] for section in body["section_results"]["sections"]} == expected_keys

    # Findings by category and severity; actions open, overdue and verified on time.
    findings = body["findings"]
    assert {
        (cell["category"], cell["severity"]): cell["count"] for cell in findings["cells"]
    } == dict(expected["findings"])
    assert findings["total"] == sum(expected["findings"].values())
    actions = {key: body["actions"][key] for key in expected["actions"]}
    assert actions == expected["actions"]
    assert body["actions"]["verified_late"] == (
        expected["actions"]["verified"] - expected["actions"]["verified_on_time"]
    )
    assert sum(row["total"] for row in body["actions"]["by_responsible_unit"]) == actions["total"]


async def test_the_section_rows_the_summary_adds_up_are_the_sections_of_the_score_json(
    data: Data,
) -> None:
    """The section figures above come from rows, the independent computation from the score
    JSON; here every scored inspection of the world: its rows are exactly its JSON's sections."""
    scored = (
        await Inspection.select(Inspection.id, Inspection.score)
        .where(Inspection.score.is_not_null())
        .output(load_json=True)
    )
    rows: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in await InspectionSectionScore.select():
        rows[row["inspection_id"]].append(row)

    assert len(scored) >= 8
    for inspection in scored:
        from_rows = [
            (row["section_key"], row["score"], row["earned"], row["possible"])
            for row in sorted(rows[inspection["id"]], key=lambda row: row["position"])
        ]
        from_json = [
            (section["key"], section["score"], section["earned"], section["possible"])
            for section in inspection["score"]["sections"]
        ]
        assert from_rows == from_json, inspection["id"]
    assert set(rows) == {inspection["id"] for inspection in scored}


async def test_the_d1_summary_has_every_kind_of_figure(
    client: httpx.AsyncClient, data: Data
) -> None:
    """The fixture is rich enough for the comparison above to mean something."""
    response = await get_summary(
        client,
        await data.sessions("leader_d1"),
        period_from=data.period[0],
        period_to=data.period[1],
    )
    body = response.json()
    ranked = {entry["unit"]["code"]: entry for entry in body["ranking"]["ranked"]}
    apart = {entry["unit"]["code"] for entry in body["ranking"]["insufficient_data"]}

    assert set(ranked) == {"C1", "C2"}
    assert apart == {"C1-SC"}
    # C2 led the previous period and C1 trailed it; now C1 leads: both moved by one.
    assert ranked["C1"]["rank"] == 1 and ranked["C1"]["rank_change"] == 1
    assert ranked["C2"]["rank"] == 2 and ranked["C2"]["rank_change"] == -1
    assert body["inspections"]["by_status"]["in_progress"] == 1
    assert "cancelled" not in body["inspections"]["by_status"]
    assert "planned" not in body["inspections"]["by_status"]
    assert body["findings"]["by_severity"]["critical"] >= 2
    actions = body["actions"]
    assert (actions["overdue"], actions["verified_on_time"], actions["verified_late"]) == (1, 1, 1)
    assert [band["key"] for band in body["bands"]][:4] == ["tot", "kha", "trung_binh", "khong_dat"]
    assert body["section_results"]["sections"][0] == {
        "key": "A",
        "title_vi": body["section_results"]["sections"][0]["title_vi"],
        "title_en": body["section_results"]["sections"][0]["title_en"],
    }
    assert [row["unit"]["code"] for row in body["section_results"]["rows"]] == [
        "C1",
        "C2",
        "C1-SC",
    ]


async def test_ranking_endpoint_applies_the_insufficient_data_rule(
    client: httpx.AsyncClient, data: Data
) -> None:
    leader = await data.sessions("leader_d1")
    period = {"period_from": data.period[0], "period_to": data.period[1]}

    async def ranking(min_inspections: int | None) -> dict[str, Any]:
        response = await get_summary(
            client, leader, "ranking", min_inspections=min_inspections, **period
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    default = await ranking(None)
    assert default["min_inspections"] == 2
    assert [entry["unit"]["code"] for entry in default["ranked"]] == ["C1", "C2"]
    (single,) = default["insufficient_data"]
    assert single["unit"]["code"] == "C1-SC"
    assert (single["scored_inspections"], single["reason"]) == (1, "insufficient_data")
    assert single["average_score"] is not None  # shown for information, not ranked

    everyone = await ranking(1)
    assert {entry["unit"]["code"] for entry in everyone["ranked"]} == {"C1", "C2", "C1-SC"}
    assert everyone["insufficient_data"] == []

    nobody = await ranking(3)
    assert nobody["ranked"] == []
    assert {entry["unit"]["code"] for entry in nobody["insufficient_data"]} == {"C1", "C2", "C1-SC"}

    summary = (await get_summary(client, leader, **period)).json()
    assert summary["ranking"] == default

    invalid = await get_summary(client, leader, "ranking", min_inspections=0, **period)
    assert invalid.status_code == 400 or invalid.status_code == 422
    problem_detail(invalid)


async def test_ranking_ties_share_a_rank(client: httpx.AsyncClient, data: Data) -> None:
    """Two units with the same average share the first rank (C1 gets C2's exact scores)."""
    world = data.world
    c1_path = await unit_path("C1", world)
    later = data.period[1] + timedelta(days=30)
    window = (later - timedelta(days=2), later + timedelta(days=2))
    for source in ("c2_a", "c2_b"):
        await copy_inspection(data.ids[source], visit_date=later)
        await copy_inspection(
            data.ids[source], visit_date=later, unit_id=world.units["C1"], unit_path=c1_path
        )
    response = await get_summary(
        client,
        await data.sessions("leader_d1"),
        "ranking",
        period_from=window[0],
        period_to=window[1],
    )
    ranked = response.json()["ranked"]
    assert [
        (entry["unit"]["code"], entry["rank"])
        for entry in sorted(ranked, key=lambda entry: entry["unit"]["code"])
    ] == [("C1", 1), ("C2", 1)]
    await Inspection.delete().where(Inspection.visit_date == later)


# --- Scope and secrecy ---------------------------------------------------------------------------


async def test_a_planned_visit_is_in_nobodys_summary_or_ranking(
    client: httpx.AsyncClient, data: Data
) -> None:
    planned = (
        await Inspection.select().where(Inspection.id == uuid.UUID(data.ids["c1_planned"])).first()
    )
    assert planned["status"] == "planned"
    assert data.period[0] <= planned["visit_date"] <= data.period[1]
    raw = await raw_rows()
    c1 = await unit_path("C1", data.world)
    started_in_c1 = len(counted(raw["inspections"], c1, data.period))

    for viewer in ("head_c1", "leader_c1", "leader_d1"):
        response = await get_summary(
            client,
            await data.sessions(viewer),
            unit_id=data.world.units["C1"],
            period_from=data.period[0],
            period_to=data.period[1],
        )
        body = response.json()
        assert body["inspections"]["done"] == started_in_c1, viewer
        assert "planned" not in body["inspections"]["by_status"], viewer
        assert data.ids["c1_planned"] not in response.text


async def test_the_asker_of_a_direct_call_cannot_reach_a_planned_visit() -> None:
    """Belt and braces at the service: the counted clauses never admit an unstarted row."""
    row = (
        await Inspection.select(Inspection.unit_id, Inspection.unit_path)
        .where(Inspection.status == "planned")
        .first()
    )
    head = Principal(
        user_id=uuid.uuid4(),
        username="probe",
        role=Role.unit_head,
        home_unit_id=row["unit_id"],
        home_unit_path=row["unit_path"],
    )
    period = summary_service.Period(date(2000, 1, 1), date(2100, 1, 1))
    clauses = await summary_service.counted_clauses(head, row["unit_path"], period)
    statuses = {
        found["status"] for found in await Inspection.select(Inspection.status).where(*clauses)
    }
    assert "planned" not in statuses


async def test_a_summary_and_a_ranking_work_out_the_secrecy_clauses_once(
    data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The current and previous periods share one set of scope clauses per request."""
    calls: list[Principal] = []
    visible = summary_service.inspection_service.visible_clauses

    async def counting(principal: Principal, **kwargs: Any) -> list[Any]:
        calls.append(principal)
        return await visible(principal, **kwargs)

    monkeypatch.setattr(summary_service.inspection_service, "visible_clauses", counting)
    leader = Principal(
        user_id=uuid.uuid4(),
        username="probe",
        role=Role.leader,
        home_unit_id=data.world.units["P"],
        home_unit_path=await unit_path("P", data.world),
    )
    period_from, period_to = data.period
    await summary_service.summary(principal=leader, period_from=period_from, period_to=period_to)
    assert len(calls) == 1
    await summary_service.ranking(principal=leader, period_from=period_from, period_to=period_to)
    assert len(calls) == 2


SCOPE_CASES = [
    ("leader_d1", "D2", 404),  # a sibling district
    ("leader_d1", "P", 404),  # the parent
    ("head_c1", "D1", 404),  # a unit head's parent
    ("head_c1", "C2", 404),  # a sibling commune
    ("inspector", None, 403),  # inspectors read no summaries
    ("head_c1", "C1-SC", 200),  # a unit head's child
]


@pytest.mark.parametrize(
    ("path", "viewer", "unit", "status"),
    [
        (path, *case)
        for path in ("summary", "ranking", "summary.pdf")
        for case in SCOPE_CASES
        # The PDF of an allowed scope is rendered (slowly) in its own test.
        if not (path == "summary.pdf" and case[2] == 200)
    ],
)
async def test_scope_of_summaries(
    client: httpx.AsyncClient, data: Data, path: str, viewer: str, unit: str | None, status: int
) -> None:
    response = await get_summary(
        client,
        await data.sessions(viewer),
        path,
        unit_id=data.world.units[unit] if unit else None,
        period_from=data.period[0],
        period_to=data.period[1],
    )
    assert response.status_code == status, response.text
    if status != 200:
        problem_detail(response)


async def test_an_unknown_unit_is_not_found(client: httpx.AsyncClient, data: Data) -> None:
    response = await get_summary(client, await data.sessions("admin"), unit_id=uuid.uuid4())
    assert response.status_code == 404
    assert "unit" in problem_detail(response)


async def test_a_reversed_period_is_refused_with_a_reason(
    client: httpx.AsyncClient, data: Data
) -> None:
    response = await get_summary(
        client,
        await data.sessions("leader_d1"),
        period_from=date(2026, 3, 31),
        period_to=date(2026, 3, 1),
    )
    assert response.status_code == 422
    assert "period_from" in problem_detail(response)


async def test_the_default_period_is_the_last_90_days(
    client: httpx.AsyncClient, data: Data
) -> None:
    response = await get_summary(client, await data.sessions("leader_d1"))
    assert response.status_code == 200, response.text
    period = response.json()["period"]
    assert period["days"] == 90
    today = date.fromisoformat(period["period_to"])
    assert abs((today - datetime.now(UTC).date()).days) <= 1
    assert response.json()["inspections"]["done"] >= 6


# --- PDF -----------------------------------------------------------------------------------------


async def test_summary_pdf_is_vietnamese_with_its_charts(
    client: httpx.AsyncClient, data: Data
) -> None:
    started = time.perf_counter()
    response = await get_summary(
        client,
        await data.sessions("leader_d1"),
        "summary.pdf",
        period_from=data.period[0],
        period_to=data.period[1],
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for heading in (
        "BÁO CÁO TỔNG HỢP KẾT QUẢ KIỂM TRA",
        "1. Tổng quan",
        "2. Phân bố xếp loại",
        "3. Xếp hạng đơn vị",
        "4. Kết quả theo phần của bảng kiểm",
        "5. Phát hiện theo lĩnh vực và mức độ",
        "6. Yêu cầu khắc phục",
        "Đơn vị chưa đủ dữ liệu để xếp hạng",
    ):
        assert heading in text, heading
    assert "Đơn vị D1" in text and "Đơn vị C1-SC" in text
    # Text drawn by the SVG ranking chart: "<rank>. <unit>" labels and the axis.
    assert "1. Đơn vị C1" in text
    assert "2. Đơn vị C2" in text
    assert elapsed < 30


async def district_leader(data: Data) -> Principal:
    """D1's leader, for the tests that call the summary service directly."""
    return Principal(
        user_id=data.world.users["leader_d1"],
        username="leader_d1",
        role=Role.leader,
        home_unit_id=data.world.units["D1"],
        home_unit_path=await unit_path("D1", data.world),
    )


async def test_rendering_the_pdf_leaves_the_event_loop_free(data: Data) -> None:
    """While the PDF renders, other requests are served: the loop never stalls for long."""
    leader = await district_leader(data)
    longest = 0.0
    done = False

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await anyio.sleep(0.01)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(ticker)
        started = time.perf_counter()
        pdf = await summary_service.summary_pdf(
            principal=leader, period_from=data.period[0], period_to=data.period[1]
        )
        took = time.perf_counter() - started
        done = True
    assert pdf.startswith(b"%PDF-")
    assert longest < max(0.5, took / 3), (longest, took)


async def test_an_identical_summary_pdf_is_not_rendered_again(data: Data) -> None:
    """Same figures a few minutes later: the document rendered for the first request is the
    answer to the second; other figures (here another ranking threshold) are rendered."""
    leader = await district_leader(data)
    at = datetime.now(UTC)
    request = {"principal": leader, "period_from": data.period[0], "period_to": data.period[1]}
    cache = rendering.rendered_cache()

    first = await summary_service.summary_pdf(**request, now=at)
    hits = cache.hits
    again = await summary_service.summary_pdf(**request, now=at + timedelta(minutes=3))
    assert cache.hits == hits + 1
    assert again == first

    other = await summary_service.summary_pdf(**request, now=at, min_inspections=3)
    assert cache.hits == hits + 1
    assert other != first and other.startswith(b"%PDF-")


async def test_markup_in_a_unit_name_is_printed_as_text_not_obeyed(data: Data) -> None:
    """Unit names are typed by admins and section labels come from checklists: the summary
    document escapes them wherever they appear (title, ranking charts and table, heatmap), so a
    name can neither inject markup into the PDF nor make WeasyPrint fetch anything."""
    leader = await district_leader(data)
    summary = await summary_service.summary(
        principal=leader, period_from=data.period[0], period_to=data.period[1]
    )
    hostile = '<img src="http://127.0.0.1:9/x"><b>Xã & Co</b>'
    entry, row = summary.ranking.ranked[0], summary.section_results.rows[0]
    named = summary.model_copy(
        update={
            "scope_unit": summary.scope_unit.model_copy(update={"name_vi": hostile}),
            "ranking": summary.ranking.model_copy(
                update={
                    "ranked": [
                        entry.model_copy(
                            update={"unit": entry.unit.model_copy(update={"name_vi": hostile})}
                        )
                    ]
                }
            ),
            "section_results": summary.section_results.model_copy(
                update={"rows": [row.model_copy(update={"label": hostile})]}
            ),
        }
    )

    html = summary_document.summary_html(named)

    assert '<img src="http://127.0.0.1:9/x">' not in html and "<b>Xã" not in html
    assert html.count("&lt;img") >= 3  # the title, the ranking and the heatmap at least
    assert "&amp; Co" in html


async def test_a_province_sized_ranking_is_split_into_charts_that_fit_a_page(data: Data) -> None:
    """A chart is an image with its text over it, never split across pages: one chart of ninety
    units (2,000 px) would run off its A4 page and be cut. The ranking and the heatmap are cut
    into charts of at most `charts.ROWS_PER_CHART` rows instead, every unit in one of them."""
    leader = await district_leader(data)
    summary = await summary_service.summary(
        principal=leader, period_from=data.period[0], period_to=data.period[1]
    )
    entry, row = summary.ranking.ranked[0], summary.section_results.rows[0]
    many = 90
    ranked = [
        entry.model_copy(
            update={
                "rank": index + 1,
                "unit": entry.unit.model_copy(update={"name_vi": f"Xã số {index + 1:03d}"}),
            }
        )
        for index in range(many)
    ]
    rows = [row.model_copy(update={"label": f"Xã số {index + 1:03d}"}) for index in range(many)]
    large = summary.model_copy(
        update={
            "ranking": summary.ranking.model_copy(update={"ranked": ranked}),
            "section_results": summary.section_results.model_copy(update={"rows": rows}),
        }
    )

    html = summary_document.summary_html(large)

    heights = [
        int(height)
        for height in re.findall(r'<div class="chart" style="width: \d+px; height: (\d+)px"', html)
    ]
    page_height_px = 297 / 25.4 * 96  # the A4 page itself, margins not even taken off
    assert len(heights) >= 2 + 2 * math.ceil(many / charts.ROWS_PER_CHART) - 1
    assert max(heights) < page_height_px * 0.9, heights
    chart_lines = [
        " ".join(line.split())
        for block in re.findall(
            r'<div class="chart-text[^"]*" style="[^"]*">(.*?)</div>', html, re.S
        )
        for line in block.split("\n")
    ]
    for index in range(many):
        label = f"Xã số {index + 1:03d}"
        ranking_bar = [line for line in chart_lines if line.startswith(f"{index + 1}. {label} ")]
        heatmap_row = [line for line in chart_lines if line.startswith(f"{label} ")]
        assert len(ranking_bar) == 1 and len(heatmap_row) == 1, label  # each once
