"""The draw preview for the planning screen: the candidates of a draw with their weights and what
the weights come from, and the units left out and why; computed as the real draw does, writing
nothing. A drawn plan shows the same weights afterwards, from its sealed document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from server.core.audit.tables import AuditEvent
from server.inspections.tables import Inspection
from server.notifications.tables import OutboxMessage
from server.plans import draw
from server.plans.tables import Plan
from tests.conftest import World, problem_detail
from tests.helpers import plan_payload, publish_shipped_checklist, run_to_signed
from tests.server.peers import login


async def setting(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """D1 with history at C1, an inactive commune C4 and an inspector who works at C2; returns
    the body of a drawn plan of 2 units over D1 whose team includes that inspector."""
    await run_to_signed(client, world, "C1", {"A5", "C1"})  # a critical and a major finding
    admin = await login(client, world, "admin")
    created = await client.post(
        "/api/v1/units",
        json={
            "code": "C4",
            "name_vi": "Xã C4",
            "name_en": "Commune C4",
            "kind": "commune",
            "parent_id": str(world.units["D1"]),
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    world.units["C4"] = created.json()["id"]
    closed = await client.patch(
        f"/api/v1/units/{world.units['C4']}", json={"active": False}, headers=admin
    )
    assert closed.status_code == 200, closed.text
    await world.add_user("inspector_c2", "inspector", "C2")
    version_id, _ = await publish_shipped_checklist()
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        draw_k=2,
    )
    body["teams"][0]["member_ids"] = [str(world.users["inspector_c2"])]
    return body


def preview_body(plan: dict[str, Any]) -> dict[str, Any]:
    keys = ("scope_unit_id", "window_start", "window_end", "teams", "draw")
    return {key: plan[key] for key in keys}


async def preview(client, headers, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/plans/draw-preview", json=body, headers=headers)


async def counts() -> tuple[int, ...]:
    return (
        await Plan.count(),
        await Inspection.count(),
        await AuditEvent.count(),
        await OutboxMessage.count(),
    )


async def test_preview_lists_candidates_weights_and_left_out_units(
    client: httpx.AsyncClient, world: World
) -> None:
    plan = await setting(client, world)
    leader = await login(client, world, "leader_d1")
    before = await counts()
    response = await preview(client, leader, preview_body(plan))
    assert response.status_code == 200, response.text
    assert await counts() == before  # nothing sealed, drawn or written (not even to the audit log)
    result = response.json()

    code = {str(unit_id): name for name, unit_id in world.units.items()}
    assert (result["k"], result["can_draw"], result["problem"]) == (2, True, None)
    assert sorted(code[c["unit_id"]] for c in result["candidates"]) == ["C1", "C1-SC"]
    assert result["candidate_count"] == 2
    left_out = {code[entry["unit_id"]]: entry for entry in result["left_out"]}
    assert set(left_out) == {"C2", "C4"}
    assert left_out["C2"]["reasons"] == ["team_member_works_there"]
    assert left_out["C2"]["user_ids"] == [str(world.users["inspector_c2"])]
    assert left_out["C4"]["reasons"] == ["inactive"]
    assert left_out["C4"]["name_en"] == "Commune C4"

    by_code = {code[c["unit_id"]]: c for c in result["candidates"]}
    inspected = by_code["C1"]["risk"]
    (row,) = await Inspection.select(Inspection.total_score).where(
        Inspection.unit_id == world.units["C1"]
    )
    assert inspected["last_score"] == round(float(row["total_score"]), 2)
    assert (
        inspected["open_actions"],
        inspected["overdue_actions"],
        inspected["critical_findings_12m"],
        inspected["days_since_last_visit"],
    ) == (2, 0, 1, 0)
    never = by_code["C1-SC"]["risk"]
    assert (never["last_score"], never["days_since_last_visit"], never["open_actions"]) == (
        None,
        None,
        0,
    )
    for candidate in result["candidates"]:
        risk = candidate["risk"]
        inputs = draw.RiskInputs(
            unit_id=candidate["unit_id"],
            **{
                key: value
                for key, value in risk.items()
                if key not in ("terms", "reasons", "dossiers")
            },
        )
        assert candidate["weight"] == draw.risk_weight(inputs)
        assert risk["dossiers"] is None  # a v1 draw: no dossier terms
        parts = sum(Decimal(str(value)) for value in risk["terms"].values() if value is not None)
        assert parts.quantize(Decimal("0.0001")) == Decimal(str(candidate["weight"]))
    assert by_code["C1-SC"]["weight"] == 6.0  # never inspected: 1 + 3 + 2
    assert by_code["C1-SC"]["risk"]["terms"]["score"] == 3.0
    assert by_code["C1"]["risk"]["terms"]["critical_findings"] == 1.0
    weights = [c["weight"] for c in result["candidates"]]
    assert weights == sorted(weights, reverse=True)
    assert sum(c["chance_first"] for c in result["candidates"]) == pytest.approx(1, abs=1e-3)

    # The real draw, made right after with the same inputs, seals the same candidates and weights,
    # and the plan shows each target's weight from its sealed document.
    sealed = await client.post("/api/v1/plans", json=plan, headers=leader)
    assert sealed.status_code == 201, sealed.text
    document = sealed.json()["document"]
    assert {c["unit_id"]: c for c in document["draw"]["candidates"]} == {
        c["unit_id"]: {
            "unit_id": c["unit_id"],
            **{
                key: value
                for key, value in c["risk"].items()
                if key not in ("terms", "reasons", "dossiers")
            },
        }
        for c in result["candidates"]
    }
    shown = await client.get(f"/api/v1/plans/{sealed.json()['id']}", headers=leader)
    assert shown.status_code == 200
    targets = shown.json()["targets"]
    assert len(targets) == 2
    for target in targets:
        expected = next(c for c in result["candidates"] if c["unit_id"] == target["unit_id"])
        assert target["weight"] == expected["weight"]
        assert target["risk"] == expected["risk"]


async def test_preview_says_when_the_draw_is_impossible_as_the_plan_would(
    client: httpx.AsyncClient, world: World
) -> None:
    plan = await setting(client, world)
    plan["draw"] = {"k": 3}
    leader = await login(client, world, "leader_d1")
    result = (await preview(client, leader, preview_body(plan))).json()
    assert result["can_draw"] is False
    refused = await client.post("/api/v1/plans", json=plan, headers=leader)
    assert refused.status_code == 422
    assert result["problem"] == problem_detail(refused)
    assert "1 left out" in result["problem"]


async def test_preview_rules(client: httpx.AsyncClient, world: World) -> None:
    version_id, _ = await publish_shipped_checklist()
    body = preview_body(
        plan_payload(
            checklist_version_id=version_id,
            scope_unit_id=world.units["D1"],
            head_id=world.users["inspector"],
            draw_k=1,
        )
    )
    for who in ("head_c1", "inspector"):
        refused = await preview(client, await login(client, world, who), body)
        assert refused.status_code == 403, (who, refused.text)
    leader = await login(client, world, "leader_d1")
    outside = await preview(client, leader, {**body, "scope_unit_id": str(world.units["D2"])})
    assert outside.status_code == 404
    unit_head_team = {**body, "teams": [{"head_id": str(world.users["head_c2"])}]}
    assert (await preview(client, leader, unit_head_team)).status_code == 422
    extra = await preview(client, leader, {**body, "title": "not a preview field"})
    assert extra.status_code == 422
    # The planning leader's own unit is left out, with its reason.
    with_districts = {**body, "draw": {"k": 1, "candidate_kinds": ["district", "commune"]}}
    result = (await preview(client, leader, with_districts)).json()
    (own,) = [entry for entry in result["left_out"] if entry["unit_id"] == str(world.units["D1"])]
    assert own["reasons"] == ["planner_works_there"]
    assert own["user_ids"] == [str(world.users["leader_d1"])]


async def test_a_listed_plan_has_no_weights(client: httpx.AsyncClient, world: World) -> None:
    version_id, _ = await publish_shipped_checklist()
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        targets=[world.units["C1"]],
    )
    leader = await login(client, world, "leader_d1")
    created = await client.post("/api/v1/plans", json=body, headers=leader)
    assert created.status_code == 201, created.text
    (target,) = created.json()["targets"]
    assert (target["weight"], target["risk"]) == (None, None)
