"""Every date that comes in is bounded to 2000-01-01 .. 2100-12-31: in request bodies (plans, draw
previews, follow-ups, every sync op's device_time, a batch's sent_at) and in date query parameters
(inspection lists, summaries, rankings, exports). Outside it the answer is 422 with the field's
name and the range, and nothing changes; a follow-up window that ends before it starts is 422 too.
"""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from server.core.audit.tables import AuditEvent
from server.core.timeutil import SaneDate, SaneDatetime
from server.plans.tables import Plan
from tests.conftest import World, problem_detail
from tests.helpers import create_plan_for, now_iso, op, plan_payload, publish_shipped_checklist

RANGE = ("2000-01-01", "2100-12-31")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("2000-01-01T00:00:00Z", True),
        ("2100-12-31T23:59:59.999999Z", True),
        ("2100-12-31T23:00:00-07:00", False),  # 2101-01-01 06:00 UTC
        ("2000-01-01T06:00:00+07:00", False),  # 1999-12-31 23:00 UTC
        ("1999-12-31T23:59:59Z", False),
        ("0001-01-01T00:00:00+07:00", False),  # cannot even be converted to UTC
        ("9999-12-31T23:59:59-07:00", False),
    ],
)
def test_a_time_is_accepted_only_between_2000_and_the_end_of_2100_utc(
    value: str, accepted: bool
) -> None:
    adapter = TypeAdapter(SaneDatetime)
    if accepted:
        assert adapter.validate_python(value).year in (2000, 2100)
    else:
        with pytest.raises(ValidationError, match="between 2000-01-01 and 2100-12-31"):
            adapter.validate_python(value)


def test_a_time_without_its_utc_offset_is_still_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        TypeAdapter(SaneDatetime).validate_python("2026-05-01T09:00:00")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("2000-01-01", True), ("2100-12-31", True), ("1999-12-31", False), ("2101-01-01", False)],
)
def test_a_date_is_accepted_only_between_2000_and_2100(value: str, accepted: bool) -> None:
    adapter = TypeAdapter(SaneDate)
    if accepted:
        assert adapter.validate_python(value) == date.fromisoformat(value)
    else:
        with pytest.raises(ValidationError, match="between 2000-01-01 and 2100-12-31"):
            adapter.validate_python(value)


async def counts() -> tuple[int, int]:
    return await Plan.count(), await AuditEvent.count()


def assert_out_of_range(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    detail = problem_detail(response)
    assert field in detail and all(bound in detail for bound in RANGE), detail


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("window_start", "1999-12-31T00:00:00+00:00"),
        ("window_end", "9999-12-31T23:59:59+00:00"),
        ("visit_date", "2101-01-01"),
    ],
)
async def test_a_plan_with_a_date_outside_the_range_is_refused_and_nothing_is_sealed(
    client: httpx.AsyncClient, world: World, field: str, value: str
) -> None:
    version_id, _ = await publish_shipped_checklist()
    leader = await world.login(client, "leader_d1")
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        targets=[world.units["C1"]],
    )
    if field == "visit_date":
        body["targets"][0]["visit_date"] = value
    else:
        body[field] = value
    before = await counts()

    response = await client.post("/api/v1/plans", json=body, headers=leader)

    assert_out_of_range(response, field)
    assert await counts() == before


async def test_a_draw_preview_with_a_window_outside_the_range_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    leader = await world.login(client, "leader_d1")
    body = {
        "scope_unit_id": str(world.units["D1"]),
        "window_start": now_iso(),
        "window_end": "2200-01-01T00:00:00+00:00",
        "teams": [{"head_id": str(world.users["inspector"]), "member_ids": []}],
        "draw": {"k": 1},
    }

    response = await client.post("/api/v1/plans/draw-preview", json=body, headers=leader)

    assert_out_of_range(response, "window_end")


def follow_up_body(world: World, start: str, end: str) -> dict[str, Any]:
    return {
        "window_start": start,
        "window_end": end,
        "team_head_id": str(world.users["inspector2"]),
    }


async def test_a_follow_up_whose_window_ends_before_it_starts_is_refused_and_nothing_is_planned(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id = (await create_plan_for(client, world, "C1"))["targets"][0]["inspection_id"]
    leader = await world.login(client, "leader_d1")
    path = f"/api/v1/inspections/{inspection_id}/follow-ups"
    before = await counts()

    backwards = await client.post(
        path,
        json=follow_up_body(world, "2026-06-10T08:00:00+07:00", "2026-06-01T08:00:00+07:00"),
        headers=leader,
    )
    empty = await client.post(
        path,
        json=follow_up_body(world, "2026-06-10T08:00:00+07:00", "2026-06-10T08:00:00+07:00"),
        headers=leader,
    )
    far = await client.post(
        path,
        json=follow_up_body(world, "2026-06-10T08:00:00+07:00", "9999-12-31T23:59:59+00:00"),
        headers=leader,
    )

    for response in (backwards, empty):
        assert response.status_code == 422, response.text
        assert "window_end must be after window_start" in problem_detail(response)
    assert_out_of_range(far, "window_end")
    assert await counts() == before


async def test_every_sync_op_with_a_device_time_outside_the_range_is_rejected_with_its_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    """Validated for every op type, the corrective actions' `action_transition` included, before
    anything is looked up (so unknown ids do not matter here)."""
    inspector = await world.login(client, "inspector")
    some_id = str(uuid.uuid4())
    far = "2101-01-01T00:00:00+00:00"
    ops = [
        op("start", inspection_id=some_id, device_time=far),
        op("answer", inspection_id=some_id, item_key="A1", value="yes", device_time=far),
        op(
            "finding",
            inspection_id=some_id,
            finding_id=str(uuid.uuid4()),
            category="facilities",
            severity="minor",
            description="Không có ghế chờ",
            device_time=far,
        ),
        op(
            "sign", inspection_id=some_id, signer_role="team_head", signer_name="A", device_time=far
        ),
        op("submit", inspection_id=some_id, device_time=far),
        op(
            "action_transition",
            action_id=some_id,
            to="acknowledged",
            expected_status="open",
            device_time=far,
        ),
    ]

    response = await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-1", "sent_at": now_iso(), "ops": ops},
        headers=inspector,
    )

    assert response.status_code == 200, response.text
    for sent, result in zip(ops, response.json()["results"], strict=True):
        assert result["status"] == "rejected", (sent["type"], result)
        assert "device_time" in result["reason"], (sent["type"], result)
        assert all(bound in result["reason"] for bound in RANGE), result


DATE_QUERY_PATHS = [
    "/api/v1/inspections",
    "/api/v1/reports/summary",
    "/api/v1/reports/ranking",
    "/api/v1/exports/findings.csv",
]


async def test_a_date_query_parameter_outside_the_range_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    leader = await world.login(client, "leader_d1")
    for path in DATE_QUERY_PATHS:
        for name, value in (("period_from", "1999-12-31"), ("period_to", "9999-12-31")):
            response = await client.get(path, params={name: value}, headers=leader)
            assert_out_of_range(response, name)


async def test_a_changes_cursor_outside_the_range_asks_the_phone_to_bootstrap_again(
    client: httpx.AsyncClient, world: World
) -> None:
    inspector = await world.login(client, "inspector")
    for moment in ("9999-12-31T23:59:59-07:00", "1999-12-31T23:59:59+00:00"):
        cursor = base64.urlsafe_b64encode(moment.encode()).decode()

        response = await client.get(
            "/mobile/v1/changes", params={"cursor": cursor}, headers=inspector
        )

        assert response.status_code == 422, response.text
        assert "bootstrap again" in problem_detail(response)


async def test_date_query_parameters_at_the_bounds_are_accepted(
    client: httpx.AsyncClient, world: World
) -> None:
    leader = await world.login(client, "leader_d1")
    for path, params in (
        ("/api/v1/inspections", {"period_from": "2000-01-01", "period_to": "2100-12-31"}),
        ("/api/v1/reports/ranking", {"period_from": "2100-01-01", "period_to": "2100-12-31"}),
        ("/api/v1/exports/findings.csv", {"period_from": "2000-01-01", "period_to": "2100-12-31"}),
    ):
        response = await client.get(path, params=params, headers=leader)
        assert response.status_code == 200, (path, response.text)


async def test_out_of_range_periods_and_cursors_are_clear_errors(client, world: World) -> None:
    leader = await world.login(client, "leader_d1")
    for path in (
        "/api/v1/reports/summary?period_from=0001-01-01&period_to=0001-01-02",
        "/api/v1/reports/ranking?period_to=0001-01-05",
    ):
        response = await client.get(path, headers=leader)
        assert response.status_code == 422, (path, response.text)
        assert "out of range" in problem_detail(response)
    inspector = await world.login(client, "inspector")
    ancient = base64.urlsafe_b64encode(b"0001-01-01T00:00:00+00:00").decode()
    response = await client.get(f"/mobile/v1/changes?cursor={ancient}", headers=inspector)
    assert response.status_code == 422
    problem_detail(response)
