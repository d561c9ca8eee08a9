"""Secrecy of unannounced inspections (DESIGN §2.1): until an inspection starts, nobody homed in the
target unit (or below it) can learn that it exists, by any path, and an inspector sees an
assignment only from the moment the plan says. One test per leak path.

Summaries, rankings and exports have their secrecy tests in tests/reports/ (test_summary.py,
test_exports.py); the minutes PDF goes through the same detail rule as GET /inspections/{id}; the
outbox is checked at the end of this file.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import World
from tests.helpers import now_iso, op, plan_payload, publish_shipped_checklist, start_op

# Users homed in the target unit C1 or below it (C1-SC), who must not learn of a planned visit.
TARGET_UNIT_HEADS = ("head_c1", "head_sc")


async def add_user(world: World, username: str, role: str, unit_code: str) -> None:
    await world.add_user(username, role, unit_code)


async def create_plan(
    client: httpx.AsyncClient,
    world: World,
    *,
    targets: list[str],
    scope: str = "D1",
    visibility: str = "at_creation",
    window_days: tuple[int, int] = (-1, 6),
) -> dict[str, Any]:
    version_id, _ = await publish_shipped_checklist()
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units[scope],
        head_id=world.users["inspector"],
        targets=[world.units[code] for code in targets],
        visibility=visibility,
        window_days=window_days,
    )
    leader = await login(client, world, "leader_d1")
    response = await client.post("/api/v1/plans", json=body, headers=leader)
    assert response.status_code == 201, response.text
    return response.json()


def inspection_of(plan: dict[str, Any]) -> str:
    (target,) = plan["targets"]
    return str(target["inspection_id"])


async def login(client: httpx.AsyncClient, world: World, name: str) -> dict[str, str]:
    """Log in once per user and test: Argon2 makes every login cost real time."""
    cache: dict[str, dict[str, str]] = world.__dict__.setdefault("_headers", {})
    if name not in cache:
        cache[name] = await world.login(client, name)
    return cache[name]


async def logins(client: httpx.AsyncClient, world: World, *names: str) -> dict[str, dict]:
    return {name: await login(client, world, name) for name in names}


async def with_target_unit_heads(client: httpx.AsyncClient, world: World) -> dict[str, dict]:
    await add_user(world, "head_sc", "unit_head", "C1-SC")
    return await logins(client, world, *TARGET_UNIT_HEADS)


def _without(body: Any, secret: str) -> str:
    return json.dumps(body, sort_keys=True).replace(secret, "<id>")


async def assert_404_like_a_made_up_id(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    real_id: str,
    method: str = "GET",
) -> None:
    """The answer for an existing but secret id is the answer for an id that never existed."""
    made_up = str(uuid.uuid4())
    real = await client.request(method, path.format(id=real_id), headers=headers)
    fake = await client.request(method, path.format(id=made_up), headers=headers)
    assert real.status_code == 404, real.text
    assert fake.status_code == 404, fake.text
    assert real.headers["content-type"] == fake.headers["content-type"]
    assert real.headers["content-type"].startswith("application/problem+json")
    assert sorted(real.headers) == sorted(fake.headers)
    assert _without(real.json(), real_id) == _without(fake.json(), made_up)


async def get_json(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any):
    response = await client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


async def send_op(client: httpx.AsyncClient, headers: dict[str, str], entry: dict[str, Any]):
    response = await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-x", "sent_at": now_iso(), "ops": [entry]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


# --- inspections API ------------------------------------------------------------------------------


async def test_inspection_list_hides_a_planned_inspection_from_its_unit(
    client: httpx.AsyncClient, world: World
) -> None:
    heads = await with_target_unit_heads(client, world)
    secret = inspection_of(await create_plan(client, world, targets=["C1"]))
    queries: list[dict[str, str]] = [
        {},
        {"unit_id": str(world.units["C1"])},
        {"status": "planned"},
        {"unit_id": str(world.units["C1"]), "status": "planned"},
    ]
    leader = await login(client, world, "leader_d1")
    for params in queries:
        # The plan's author sees it, so an empty list below means hidden, not missing.
        assert ids(await get_json(client, "/api/v1/inspections", leader, **params)) == [secret]
        for name, headers in heads.items():
            listed = await get_json(client, "/api/v1/inspections", headers, **params)
            assert listed == [], (name, params)


async def test_inspection_detail_is_the_404_of_a_made_up_id(
    client: httpx.AsyncClient, world: World
) -> None:
    heads = await with_target_unit_heads(client, world)
    secret = inspection_of(await create_plan(client, world, targets=["C1"]))
    for headers in heads.values():
        await assert_404_like_a_made_up_id(client, headers, "/api/v1/inspections/{id}", secret)


async def test_sync_op_on_a_planned_inspection_is_answered_as_for_a_made_up_id(
    client: httpx.AsyncClient, world: World
) -> None:
    heads = await with_target_unit_heads(client, world)
    secret = inspection_of(await create_plan(client, world, targets=["C1"]))
    made_up = str(uuid.uuid4())
    for headers in heads.values():
        real = await send_op(client, headers, start_op(secret))
        fake = await send_op(client, headers, start_op(made_up))
        assert real["status"] == fake["status"] == "rejected"
        assert real["reason"].replace(secret, "<id>") == fake["reason"].replace(made_up, "<id>")


# --- plans API ------------------------------------------------------------------------------------


async def test_plans_are_hidden_from_unit_heads_and_inspectors(
    client: httpx.AsyncClient, world: World
) -> None:
    heads = await with_target_unit_heads(client, world)
    others = await logins(client, world, "inspector", "inspector2")
    plan = await create_plan(client, world, targets=["C1"])
    for headers in [*heads.values(), *others.values()]:
        assert await get_json(client, "/api/v1/plans", headers) == []
        await assert_404_like_a_made_up_id(client, headers, "/api/v1/plans/{id}", plan["id"])


async def test_leader_homed_at_or_below_the_target_sees_neither_plan_nor_inspection(
    client: httpx.AsyncClient, world: World
) -> None:
    await add_user(world, "leader_c1", "leader", "C1")
    await add_user(world, "leader_sc", "leader", "C1-SC")
    leaders = await logins(client, world, "leader_c1", "leader_sc")
    # Scoped at C1 itself, so only the "homed in a target" rule can hide it from leader_c1.
    secret_plan = await create_plan(client, world, targets=["C1"], scope="C1")
    secret = inspection_of(secret_plan)
    # Control: a visit below leader_c1 is theirs to see (and secret for leader_sc).
    below_plan = await create_plan(client, world, targets=["C1-SC"], scope="C1")
    below = inspection_of(below_plan)

    leader_c1 = leaders["leader_c1"]
    assert ids(await get_json(client, "/api/v1/plans", leader_c1)) == [below_plan["id"]]
    assert ids(await get_json(client, "/api/v1/inspections", leader_c1)) == [below]
    params = {"unit_id": str(world.units["C1"]), "status": "planned"}
    assert await get_json(client, "/api/v1/inspections", leader_c1, **params) == []

    leader_sc = leaders["leader_sc"]
    assert await get_json(client, "/api/v1/plans", leader_sc) == []
    assert await get_json(client, "/api/v1/inspections", leader_sc) == []

    for plan_id, inspection_id, headers in [
        (secret_plan["id"], secret, leader_c1),
        (secret_plan["id"], secret, leader_sc),
        (below_plan["id"], below, leader_sc),
    ]:
        await assert_404_like_a_made_up_id(client, headers, "/api/v1/plans/{id}", plan_id)
        await assert_404_like_a_made_up_id(client, headers, "/api/v1/plans/{id}/verify", plan_id)
        await assert_404_like_a_made_up_id(
            client, headers, "/api/v1/plans/{id}/reveal", plan_id, method="POST"
        )
        await assert_404_like_a_made_up_id(
            client, headers, "/api/v1/inspections/{id}", inspection_id
        )
    # Neither can read it from the phone API either.
    for headers in leaders.values():
        boot = await get_json(client, "/mobile/v1/bootstrap", headers)
        assert boot["assignments"] == []


async def test_plan_verify_and_reveal_are_404_before_reveal_for_the_target_unit(
    client: httpx.AsyncClient, world: World
) -> None:
    heads = await with_target_unit_heads(client, world)
    others = await logins(client, world, "inspector", "inspector2")
    plan = await create_plan(client, world, targets=["C1"])
    leader = await login(client, world, "leader_d1")
    # The author can check that the plan is still sealed.
    assert (await get_json(client, f"/api/v1/plans/{plan['id']}/verify", leader))[
        "status"
    ] == "not_revealed"
    for headers in [*heads.values(), *others.values()]:
        await assert_404_like_a_made_up_id(client, headers, "/api/v1/plans/{id}/verify", plan["id"])
        await assert_404_like_a_made_up_id(
            client, headers, "/api/v1/plans/{id}/reveal", plan["id"], method="POST"
        )


# --- mobile API -----------------------------------------------------------------------------------


async def test_bootstrap_and_changes_hide_a_planned_inspection_from_its_unit(
    client: httpx.AsyncClient, world: World
) -> None:
    heads = await with_target_unit_heads(client, world)
    await add_user(world, "leader_c1", "leader", "C1")
    everyone = {**heads, **await logins(client, world, "leader_c1", "leader_d1")}
    cursors = {
        name: (await get_json(client, "/mobile/v1/bootstrap", headers))["sync_cursor"]
        for name, headers in everyone.items()
    }
    secret = inspection_of(await create_plan(client, world, targets=["C1"]))

    control = await get_json(
        client, "/mobile/v1/changes", everyone["leader_d1"], cursor=cursors["leader_d1"]
    )
    assert ids(control["inspections"]) == [secret]
    for name in ("head_c1", "head_sc", "leader_c1"):
        headers = everyone[name]
        boot = await get_json(client, "/mobile/v1/bootstrap", headers)
        assert boot["assignments"] == [] and boot["checklist_versions"] == [], name
        changed = await get_json(client, "/mobile/v1/changes", headers, cursor=cursors[name])
        assert changed["inspections"] == [], name


# --- inspectors: assignment visibility ------------------------------------------------------------


async def test_on_visit_day_assignment_stays_hidden_from_its_inspector_until_that_day(
    client: httpx.AsyncClient, world: World
) -> None:
    inspectors = await logins(client, world, "inspector", "inspector2")
    cursors = {
        name: (await get_json(client, "/mobile/v1/bootstrap", headers))["sync_cursor"]
        for name, headers in inspectors.items()
    }
    plan = await create_plan(
        client, world, targets=["C1"], visibility="on_visit_day", window_days=(2, 6)
    )
    secret = inspection_of(plan)
    assert plan["targets"][0]["visit_date"] > datetime.now(UTC).date().isoformat()

    for name, headers in inspectors.items():
        assert (await get_json(client, "/mobile/v1/bootstrap", headers))["assignments"] == []
        assert await get_json(client, "/api/v1/inspections", headers) == []
        changed = await get_json(client, "/mobile/v1/changes", headers, cursor=cursors[name])
        assert changed["inspections"] == [], name
        await assert_404_like_a_made_up_id(client, headers, "/api/v1/inspections/{id}", secret)
        # Nor can it be started early by someone who guessed or kept the id.
        made_up = str(uuid.uuid4())
        real = await send_op(client, headers, start_op(secret))
        fake = await send_op(client, headers, start_op(made_up))
        assert real["status"] == "rejected"
        assert real["reason"].replace(secret, "<id>") == fake["reason"].replace(made_up, "<id>")


async def test_at_creation_assignment_is_visible_to_its_inspector_only(
    client: httpx.AsyncClient, world: World
) -> None:
    inspectors = await logins(client, world, "inspector", "inspector2")
    plan = await create_plan(
        client, world, targets=["C1"], visibility="at_creation", window_days=(2, 6)
    )
    assigned = inspection_of(plan)

    inspector = inspectors["inspector"]
    boot = await get_json(client, "/mobile/v1/bootstrap", inspector)
    assert ids(boot["assignments"]) == [assigned]
    assert ids(await get_json(client, "/api/v1/inspections", inspector)) == [assigned]
    detail = await get_json(client, f"/api/v1/inspections/{assigned}", inspector)
    assert detail["status"] == "planned"

    outsider = inspectors["inspector2"]
    assert (await get_json(client, "/mobile/v1/bootstrap", outsider))["assignments"] == []
    assert await get_json(client, "/api/v1/inspections", outsider) == []
    await assert_404_like_a_made_up_id(client, outsider, "/api/v1/inspections/{id}", assigned)


# --- after the start ------------------------------------------------------------------------------


async def test_once_started_the_unit_head_sees_the_inspection(
    client: httpx.AsyncClient, world: World
) -> None:
    head = await login(client, world, "head_c1")
    cursor = (await get_json(client, "/mobile/v1/bootstrap", head))["sync_cursor"]
    started = inspection_of(await create_plan(client, world, targets=["C1"]))
    inspector = await login(client, world, "inspector")
    assert (await send_op(client, inspector, start_op(started)))["status"] == "applied"

    assert ids(await get_json(client, "/api/v1/inspections", head)) == [started]
    filtered = await get_json(
        client,
        "/api/v1/inspections",
        head,
        unit_id=str(world.units["C1"]),
        status="in_progress",
    )
    assert ids(filtered) == [started]
    detail = await get_json(client, f"/api/v1/inspections/{started}", head)
    assert detail["status"] == "in_progress" and detail["started_at"] is not None
    changed = await get_json(client, "/mobile/v1/changes", head, cursor=cursor)
    assert ids(changed["inspections"]) == [started]
    # The plan itself stays a leader's document.
    assert await get_json(client, "/api/v1/plans", head) == []


async def test_planning_notifies_nobody_in_the_target_unit(client, world: World) -> None:
    """Creating a plan queues nothing for the target unit or its people; the unit hears of the
    inspection only from the start op on."""
    from server.notifications.tables import OutboxMessage
    from tests.helpers import create_plan_for, now_iso, sync

    for username in ("head_c1",):
        await client.patch(
            f"/api/v1/users/{world.users[username]}",
            json={"notification_targets": ["json://127.0.0.1:9/head"]},
            headers=await world.login(client, "admin"),
        )
    plan = await create_plan_for(client, world, "C1")
    recipients = {
        row["recipient_id"] for row in await OutboxMessage.select(OutboxMessage.recipient_id)
    }
    assert world.units["C1"] not in recipients
    assert world.users["head_c1"] not in recipients
    inspector = await world.login(client, "inspector")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    results = await sync(
        client,
        inspector,
        [
            op(
                "start",
                inspection_id=inspection_id,
                device_time=now_iso(),
                latitude=20.25,
                longitude=106.2,
            )
        ],
    )
    assert results[0]["status"] == "applied"
    started = await OutboxMessage.select(OutboxMessage.event_type).where(
        OutboxMessage.recipient_id == world.users["head_c1"]
    )
    assert [row["event_type"] for row in started] == ["inspection.started"]
