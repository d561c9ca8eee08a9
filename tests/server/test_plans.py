"""Sealed plans over HTTP: the risk-weighted draw, reveal after the window, verification that
catches tampering with the document, the nonce or the inspections, and refusals of bad plans.

The draw's fixed vectors live in test_draw.py; here the API is checked against that pure code."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from server.core.audit.tables import AuditEvent
from server.inspections.tables import Inspection
from server.plans import draw
from server.plans.tables import Plan
from tests.conftest import World, problem_detail
from tests.helpers import plan_payload, publish_shipped_checklist

D1_CANDIDATES = ("C1", "C1-SC", "C2")  # D1's units of the default candidate kinds
PAST_WINDOW = (-10, -1)  # ended yesterday: the nonce may be revealed


async def login(client: httpx.AsyncClient, world: World, name: str) -> dict[str, str]:
    """Log in once per user and test: Argon2 makes every login cost real time."""
    cache: dict[str, dict[str, str]] = world.__dict__.setdefault("_headers", {})
    if name not in cache:
        cache[name] = await world.login(client, name)
    return cache[name]


async def add_inspector(world: World, username: str, unit_code: str) -> uuid.UUID:
    return await world.add_user(username, "inspector", unit_code)


async def plan_body(world: World, **options: Any) -> dict[str, Any]:
    version_id, _ = await publish_shipped_checklist()
    options.setdefault("head_id", world.users["inspector"])
    return plan_payload(checklist_version_id=version_id, scope_unit_id=world.units["D1"], **options)


async def post_plan(
    client: httpx.AsyncClient, world: World, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/api/v1/plans", json=body, headers=await login(client, world, "leader_d1")
    )


async def create(client: httpx.AsyncClient, world: World, **options: Any) -> dict[str, Any]:
    response = await post_plan(client, world, await plan_body(world, **options))
    assert response.status_code == 201, response.text
    return response.json()


async def call(
    client: httpx.AsyncClient, world: World, method: str, path: str, status: int = 200
) -> Any:
    headers = await login(client, world, "leader_d1")
    response = await client.request(method, path, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def revealed_drawn_plan(
    client: httpx.AsyncClient, world: World, k: int = 2
) -> tuple[dict[str, Any], str]:
    plan = await create(client, world, draw_k=k, window_days=PAST_WINDOW)
    revealed = await call(client, world, "POST", f"/api/v1/plans/{plan['id']}/reveal")
    return plan, revealed["nonce"]


async def verify(client: httpx.AsyncClient, world: World, plan_id: str) -> dict[str, Any]:
    return await call(client, world, "GET", f"/api/v1/plans/{plan_id}/verify")


def code_of(world: World, unit_id: str) -> str:
    return next(code for code, known in world.units.items() if str(known) == str(unit_id))


# --- the draw, the reveal and a clean verification ------------------------------------------------


async def test_drawn_plan_inspects_the_drawn_units_and_verifies_after_reveal(
    client: httpx.AsyncClient, world: World
) -> None:
    plan = await create(client, world, draw_k=2, window_days=PAST_WINDOW)

    assert plan["selection"] == "drawn" and plan["draw_k"] == 2
    assert plan["nonce"] is None
    document = plan["document"]
    candidates = {code_of(world, c["unit_id"]) for c in document["draw"]["candidates"]}
    assert candidates == set(D1_CANDIDATES)
    drawn = [target["unit_id"] for target in document["targets"]]
    assert len(drawn) == len(set(drawn)) == 2
    assert {str(target["unit_id"]) for target in plan["targets"]} == set(drawn)
    # One planned inspection per drawn unit, visible to the leader.
    listed = await call(client, world, "GET", "/api/v1/inspections")
    assert sorted(str(item["unit"]["id"]) for item in listed) == sorted(drawn)
    assert {item["status"] for item in listed} == {"planned"}
    # The commitment went to the audit log, without the targets.
    event = (
        await AuditEvent.select(AuditEvent.summary)
        .where(AuditEvent.action == "plan.created", AuditEvent.object_id == plan["id"])
        .first()
        .output(load_json=True)
    )
    assert event is not None and event["summary"]["commitment"] == plan["commitment"]
    assert not any(unit_id in str(event["summary"]) for unit_id in drawn)

    sealed = await verify(client, world, plan["id"])
    assert sealed["status"] == "not_revealed"
    assert sealed["nonce"] is None and sealed["document"] is None
    assert sealed["commitment_published"] == plan["commitment"]

    revealed = await call(client, world, "POST", f"/api/v1/plans/{plan['id']}/reveal")
    nonce = revealed["nonce"]
    assert len(nonce) == 64 and int(nonce, 16) >= 0
    assert revealed["commitment"] == plan["commitment"]
    again = await call(client, world, "GET", f"/api/v1/plans/{plan['id']}")
    assert again["nonce"] == nonce and again["revealed_at"] is not None

    checked = await verify(client, world, plan["id"])
    assert checked["status"] == "match", checked["explanation"]
    assert checked["hash_matches"] is True
    assert checked["draw_matches"] is True
    assert checked["inspections_match"] is True
    assert checked["commitment_recomputed"] == plan["commitment"]
    # Anyone can redo it with the published formula and the document the API returns.
    assert draw.commitment(checked["document"], checked["nonce"]) == plan["commitment"]


async def test_verify_recomputes_the_selection_with_the_pure_draw(
    client: httpx.AsyncClient, world: World
) -> None:
    plan, nonce = await revealed_drawn_plan(client, world, k=2)
    checked = await verify(client, world, plan["id"])
    section = checked["document"]["draw"]

    expected = draw.draw_units(
        [draw.RiskInputs(**candidate) for candidate in section["candidates"]],
        section["k"],
        nonce,
        section["plan_salt"],
    )

    assert section["plan_salt"] == plan["id"]
    assert tuple(checked["recomputed_selection"]) == expected.selected_unit_ids
    assert [t["unit_id"] for t in checked["document"]["targets"]] == list(
        expected.selected_unit_ids
    )


async def test_reveal_before_the_window_ends_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    plan = await create(client, world, draw_k=1)  # window ends in six days

    response = await client.post(
        f"/api/v1/plans/{plan['id']}/reveal", headers=await login(client, world, "leader_d1")
    )

    assert response.status_code == 409
    assert "can be revealed from" in problem_detail(response)
    assert (await call(client, world, "GET", f"/api/v1/plans/{plan['id']}"))["nonce"] is None
    assert (await verify(client, world, plan["id"]))["status"] == "not_revealed"


async def test_listed_plan_verifies_without_a_draw(client: httpx.AsyncClient, world: World) -> None:
    plan = await create(
        client, world, targets=[world.units["C2"], world.units["C1"]], window_days=PAST_WINDOW
    )
    await call(client, world, "POST", f"/api/v1/plans/{plan['id']}/reveal")

    checked = await verify(client, world, plan["id"])

    assert checked["status"] == "match", checked["explanation"]
    assert checked["draw_matches"] is None and checked["recomputed_selection"] is None
    assert checked["hash_matches"] is True and checked["inspections_match"] is True


# --- tampering --------------------------------------------------------------------------------------


async def stored_document(plan_id: str) -> dict[str, Any]:
    row = (
        await Plan.select(Plan.document)
        .where(Plan.id == uuid.UUID(plan_id))
        .first()
        .output(load_json=True)
    )
    assert row is not None
    return row["document"]


async def test_changed_target_in_the_stored_document_is_a_mismatch(
    client: httpx.AsyncClient, world: World
) -> None:
    plan, _ = await revealed_drawn_plan(client, world, k=2)
    document = await stored_document(plan["id"])
    drawn = [target["unit_id"] for target in document["targets"]]
    spared = next(c["unit_id"] for c in document["draw"]["candidates"] if c["unit_id"] not in drawn)
    document["targets"][0]["unit_id"] = spared
    await Plan.update({Plan.document: document}).where(Plan.id == uuid.UUID(plan["id"]))

    checked = await verify(client, world, plan["id"])

    assert checked["status"] == "mismatch"
    assert checked["hash_matches"] is False
    assert checked["draw_matches"] is False
    assert checked["inspections_match"] is False
    assert "differs from what was published" in checked["explanation"]


async def test_document_rewritten_with_a_matching_commitment_is_still_a_mismatch(
    client: httpx.AsyncClient, world: World
) -> None:
    """Rewriting the row consistently does not help: the audit log kept the first commitment."""
    plan, nonce = await revealed_drawn_plan(client, world, k=2)
    document = await stored_document(plan["id"])
    document["targets"].reverse()
    await Plan.update(
        {Plan.document: document, Plan.commitment: draw.commitment(document, nonce)}
    ).where(Plan.id == uuid.UUID(plan["id"]))

    checked = await verify(client, world, plan["id"])

    assert checked["status"] == "mismatch"
    assert checked["hash_matches"] is False
    assert checked["commitment_published"] == plan["commitment"]
    assert checked["draw_matches"] is False  # the draw order is part of the result


async def test_changed_nonce_is_a_mismatch(client: httpx.AsyncClient, world: World) -> None:
    plan, nonce = await revealed_drawn_plan(client, world, k=2)
    forged = ("0" if nonce[0] != "0" else "1") + nonce[1:]
    await Plan.update({Plan.nonce: forged}).where(Plan.id == uuid.UUID(plan["id"]))

    checked = await verify(client, world, plan["id"])

    assert checked["status"] == "mismatch"
    assert checked["hash_matches"] is False
    assert checked["nonce"] == forged


async def test_inspection_moved_to_another_unit_or_deleted_is_a_mismatch(
    client: httpx.AsyncClient, world: World
) -> None:
    plan, _ = await revealed_drawn_plan(client, world, k=2)
    first, second = (uuid.UUID(str(t["inspection_id"])) for t in plan["targets"])

    await Inspection.update({Inspection.unit_id: world.units["C3"]}).where(Inspection.id == first)
    moved = await verify(client, world, plan["id"])
    assert moved["status"] == "mismatch"
    assert moved["hash_matches"] is True and moved["draw_matches"] is True
    assert moved["inspections_match"] is False
    assert "inspections are not the units the plan names" in moved["explanation"]

    await Inspection.update({Inspection.unit_id: plan["targets"][0]["unit_id"]}).where(
        Inspection.id == first
    )
    assert (await verify(client, world, plan["id"]))["status"] == "match"

    await Inspection.delete().where(Inspection.id == second)
    deleted = await verify(client, world, plan["id"])
    assert deleted["status"] == "mismatch"
    assert deleted["inspections_match"] is False


# --- refusals -------------------------------------------------------------------------------------


async def assert_refused(
    client: httpx.AsyncClient, world: World, body: dict[str, Any], *expected: str
) -> None:
    response = await post_plan(client, world, body)
    assert response.status_code == 422, response.text
    detail = problem_detail(response)
    for fragment in expected:
        assert fragment in detail, detail
    assert await Plan.count() == 0
    assert await Inspection.count() == 0


async def test_listed_target_outside_the_scope_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    outside = world.units["C3"]  # in D2; the plan is scoped at D1
    body = await plan_body(world, targets=[world.units["C1"], outside])
    await assert_refused(client, world, body, "targets[1]", str(outside), "scope")


async def test_drawing_more_units_than_candidates_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await plan_body(world, draw_k=len(D1_CANDIDATES) + 2)
    await assert_refused(
        client, world, body, f"Cannot draw {len(D1_CANDIDATES) + 2} units", "only 3"
    )


async def test_team_member_homed_in_a_listed_target_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    insider = await add_inspector(world, "inspector_sc", "C1-SC")
    body = await plan_body(world, targets=[world.units["C1"]])
    body["teams"][0]["member_ids"] = [str(insider)]
    await assert_refused(client, world, body, str(insider), str(world.units["C1"]))


async def test_draw_never_picks_a_unit_where_a_team_member_works(
    client: httpx.AsyncClient, world: World
) -> None:
    """Such units are left out of the candidates before the draw. Refusing the plan after the
    draw instead would let a leader redraw (with a fresh nonce, unlogged) until a unit is spared."""
    insider = await add_inspector(world, "inspector_sc", "C1-SC")
    body = await plan_body(world, draw_k=1, window_days=PAST_WINDOW)
    body["teams"][0]["member_ids"] = [str(insider)]

    response = await post_plan(client, world, body)

    assert response.status_code == 201, response.text
    document = response.json()["document"]
    assert [code_of(world, c["unit_id"]) for c in document["draw"]["candidates"]] == ["C2"]
    assert [code_of(world, t["unit_id"]) for t in document["targets"]] == ["C2"]
    plan_id = response.json()["id"]
    await call(client, world, "POST", f"/api/v1/plans/{plan_id}/reveal")
    assert (await verify(client, world, plan_id))["status"] == "match"

    too_many = await plan_body(world, draw_k=2)
    too_many["teams"][0]["member_ids"] = [str(insider)]
    response = await post_plan(client, world, too_many)
    assert response.status_code == 422
    detail = problem_detail(response)
    assert "only 1" in detail and "2 left out: you or a team member work there" in detail


async def test_a_leader_cannot_plan_a_visit_to_their_own_unit(client, world: World) -> None:
    await world.add_user("leader_c1", "leader", "C1")
    version_id, _ = await publish_shipped_checklist()
    leader = await world.login(client, "leader_c1")
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["C1"],
        head_id=world.users["inspector"],
        targets=[world.units["C1"]],
    )
    response = await client.post("/api/v1/plans", json=body, headers=leader)
    assert response.status_code == 422
    assert "cannot plan its inspection" in problem_detail(response)
