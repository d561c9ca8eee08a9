"""Unit administration: create, notification targets (validated, masked), move, delete, deactivate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.core.audit.tables import AuditEvent
from server.units.tables import Unit
from server.users.tables import AppUser
from tests.conftest import World, problem_detail
from tests.conftest import test_password_hash as shared_password_hash
from tests.helpers import run_to_signed

Client = AsyncTestClient[Litestar]

MAIL_SECRET = "Pa55-w0rd-do-not-leak"
HOOK_TOKEN = "hook-token-do-not-leak"
SECRET_TARGETS = [
    f"mailto://canbo:{MAIL_SECRET}@mail.example.vn",
    f"json://hooks.example.vn/spotcheck?+X-Token={HOOK_TOKEN}",
]


def new_unit(
    world: World, code: str = "C1-NEW", parent: str = "C1", **extra: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "name_vi": "Bộ phận một cửa mới",
        "name_en": "New one-stop shop",
        "kind": "service_center",
        "parent_id": str(world.units[parent]),
        "latitude": 20.27,
        "longitude": 106.24,
        **extra,
    }


async def tree_snapshot() -> list[dict[str, Any]]:
    return list(
        await Unit.select(Unit.id, Unit.code, Unit.parent_id, Unit.path, Unit.depth, Unit.active)
        .order_by(Unit.code)
        .output(load_json=True)
    )


async def row_counts() -> tuple[int, int]:
    return await Unit.count(), await AuditEvent.count()


async def test_admin_creates_a_unit_under_its_tree(client: Client, world: World) -> None:
    admin = await world.login(client, "admin")

    response = await client.post("/api/v1/units", json=new_unit(world), headers=admin)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["code"] == "C1-NEW"
    assert created["parent_id"] == str(world.units["C1"])
    assert created["depth"] == 3
    assert created["active"] is True
    assert created["name_vi"] == "Bộ phận một cửa mới"
    # It is now part of C1's subtree, so C1's unit head sees it.
    head = await world.login(client, "head_c1")
    listed = await client.get("/api/v1/units", headers=head)
    assert "C1-NEW" in {unit["code"] for unit in listed.json()}


async def test_an_admin_low_in_the_tree_cannot_create_outside_it(
    client: Client, world: World
) -> None:
    now = datetime.now(UTC)
    await AppUser.insert(
        AppUser(
            id=uuid4(),
            username="admin_d1",
            full_name="District admin",
            role="admin",
            home_unit_id=world.units["D1"],
            password_hash=await shared_password_hash(),
            language="vi",
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    admin_d1 = await world.login(client, "admin_d1")
    before = await row_counts()

    elsewhere = await client.post(
        "/api/v1/units", json=new_unit(world, parent="D2"), headers=admin_d1
    )
    new_root = await client.post(
        "/api/v1/units", json=new_unit(world, parent_id=None), headers=admin_d1
    )

    assert elsewhere.status_code == 404
    assert new_root.status_code == 422
    assert "parent_id is required" in problem_detail(new_root)
    assert await row_counts() == before


async def test_leader_may_not_change_units(client: Client, world: World) -> None:
    leader = await world.login(client, "leader_d1")
    before = await tree_snapshot()

    create = await client.post("/api/v1/units", json=new_unit(world), headers=leader)
    update = await client.patch(
        f"/api/v1/units/{world.units['C1']}", json={"name_en": "Renamed"}, headers=leader
    )
    delete = await client.delete(f"/api/v1/units/{world.units['C1-SC']}", headers=leader)

    for response in (create, update, delete):
        assert response.status_code == 403, response.text
        assert "admin" in problem_detail(response)
    assert await tree_snapshot() == before


async def test_invalid_notification_target_is_refused_and_nothing_is_written(
    client: Client, world: World
) -> None:
    admin = await world.login(client, "admin")
    before = await row_counts()
    targets = ["mailto://ok:pw@mail.example.vn", "notaservice://whatever"]

    response = await client.post(
        "/api/v1/units", json=new_unit(world, notification_targets=targets), headers=admin
    )

    assert response.status_code == 422
    detail = problem_detail(response)
    assert "notification_targets[1]" in detail
    assert "notaservice" in detail
    assert response.json()["invalid_params"][0]["name"] == "notification_targets[1]"
    assert await row_counts() == before


async def test_invalid_notification_target_on_update_changes_nothing(
    client: Client, world: World
) -> None:
    admin = await world.login(client, "admin")
    before = await tree_snapshot()
    events_before = await AuditEvent.count()

    response = await client.patch(
        f"/api/v1/units/{world.units['C1']}",
        json={"name_en": "Renamed", "notification_targets": ["not a url"]},
        headers=admin,
    )

    assert response.status_code == 422
    assert "notification_targets[0]" in problem_detail(response)
    assert await tree_snapshot() == before
    assert await AuditEvent.count() == events_before
    row = await Unit.select(Unit.name_en).where(Unit.id == world.units["C1"]).first()
    assert row is not None and row["name_en"] == "Unit C1"


async def test_notification_targets_are_masked_in_every_response(
    client: Client, world: World
) -> None:
    admin = await world.login(client, "admin")
    bodies: list[str] = []

    created = await client.post(
        "/api/v1/units", json=new_unit(world, notification_targets=SECRET_TARGETS), headers=admin
    )
    assert created.status_code == 201, created.text
    unit_id = created.json()["id"]
    bodies.append(created.text)
    bodies.append((await client.get(f"/api/v1/units/{unit_id}", headers=admin)).text)
    bodies.append((await client.get("/api/v1/units", headers=admin)).text)
    bodies.append(
        (
            await client.get(
                "/api/v1/units",
                params={"parent_id": str(world.units["C1"]), "include_inactive": "true"},
                headers=admin,
            )
        ).text
    )
    renamed = await client.patch(
        f"/api/v1/units/{unit_id}", json={"name_en": "Renamed"}, headers=admin
    )
    bodies.append(renamed.text)
    retargeted = await client.patch(
        f"/api/v1/units/{unit_id}",
        json={"notification_targets": [*SECRET_TARGETS, f"mailto://x:{MAIL_SECRET}2@h.vn"]},
        headers=admin,
    )
    assert retargeted.status_code == 200, retargeted.text
    bodies.append(retargeted.text)

    for body in bodies:
        assert MAIL_SECRET not in body
        assert HOOK_TOKEN not in body
    # Masked, not dropped: the user still sees where notifications go.
    masked = renamed.json()["notification_targets"]
    assert len(masked) == 2
    assert masked[0].startswith("mailto://canbo:") and "mail.example.vn" in masked[0]
    assert masked[1].startswith("json://hooks.example.vn")
    # The audit log is readable by more people than the unit's admin: no secrets there either.
    summaries = [str(row["summary"]) for row in await AuditEvent.select(AuditEvent.summary)]
    assert not any(MAIL_SECRET in text or HOOK_TOKEN in text for text in summaries)
    # The full URLs are still stored, since the worker needs them to deliver.
    stored = (
        await Unit.select(Unit.notification_targets)
        .where(Unit.id == unit_id)
        .first()
        .output(load_json=True)
    )
    assert stored is not None
    assert stored["notification_targets"][:2] == SECRET_TARGETS


async def test_sending_back_masked_targets_keeps_the_stored_secrets(
    client: Client, world: World
) -> None:
    """A form that loads a unit and saves it again sends the masked targets back."""
    admin = await world.login(client, "admin")
    created = await client.post(
        "/api/v1/units", json=new_unit(world, notification_targets=SECRET_TARGETS), headers=admin
    )
    unit = created.json()

    response = await client.patch(
        f"/api/v1/units/{unit['id']}",
        json={"name_en": "Renamed", "notification_targets": unit["notification_targets"]},
        headers=admin,
    )

    assert response.status_code == 200, response.text
    assert response.json()["notification_targets"] == unit["notification_targets"]
    stored = (
        await Unit.select(Unit.notification_targets)
        .where(Unit.id == unit["id"])
        .first()
        .output(load_json=True)
    )
    assert stored is not None
    assert stored["notification_targets"] == SECRET_TARGETS


@pytest.mark.parametrize(("moved", "new_parent"), [("D1", "C1-SC"), ("D1", "C1"), ("C1", "C1")])
async def test_a_move_that_would_create_a_cycle_is_refused(
    client: Client, world: World, moved: str, new_parent: str
) -> None:
    admin = await world.login(client, "admin")
    before = await tree_snapshot()
    events_before = await AuditEvent.count()

    response = await client.patch(
        f"/api/v1/units/{world.units[moved]}",
        json={"parent_id": str(world.units[new_parent]), "name_en": "Also renamed"},
        headers=admin,
    )

    assert response.status_code == 409
    assert "cycle" in problem_detail(response)
    assert await tree_snapshot() == before
    assert await AuditEvent.count() == events_before


async def test_a_move_changes_who_sees_the_unit_and_its_children(
    client: Client, world: World
) -> None:
    admin = await world.login(client, "admin")
    leader = await world.login(client, "leader_d1")
    head = await world.login(client, "head_c1")
    c1, c1_sc = world.units["C1"], world.units["C1-SC"]
    assert (await client.get(f"/api/v1/units/{c1_sc}", headers=leader)).status_code == 200

    moved = await client.patch(
        f"/api/v1/units/{c1}", json={"parent_id": str(world.units["D2"])}, headers=admin
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == str(world.units["D2"])
    assert moved.json()["depth"] == 2
    for unit_id in (c1, c1_sc):
        assert (await client.get(f"/api/v1/units/{unit_id}", headers=leader)).status_code == 404
        assert (await client.get(f"/api/v1/units/{unit_id}", headers=head)).status_code == 200
    listed = await client.get("/api/v1/units", headers=leader)
    assert {unit["code"] for unit in listed.json()} == {"D1", "C2"}
    users = await client.get("/api/v1/users", headers=leader)
    assert "head_c1" not in {user["username"] for user in users.json()}

    # Up two levels this time: depths follow, for the unit and its child.
    await client.patch(
        f"/api/v1/units/{c1}", json={"parent_id": str(world.units["P"])}, headers=admin
    )
    depths = {
        unit["code"]: unit["depth"]
        for unit in (await client.get("/api/v1/units", headers=admin)).json()
    }
    assert depths["C1"] == 1
    assert depths["C1-SC"] == 2
    assert depths["C3"] == 2  # untouched


async def test_deleting_a_leaf_without_history(client: Client, world: World) -> None:
    admin = await world.login(client, "admin")
    unit_id = world.units["C1-SC"]

    response = await client.delete(f"/api/v1/units/{unit_id}", headers=admin)

    assert response.status_code == 204
    assert (await client.get(f"/api/v1/units/{unit_id}", headers=admin)).status_code == 404
    assert await AuditEvent.exists().where(
        AuditEvent.action == "unit.deleted", AuditEvent.object_id == str(unit_id)
    )


@pytest.mark.parametrize(("code", "reason"), [("C2", "1 user(s)"), ("D2", "1 child unit(s)")])
async def test_deleting_a_unit_with_history_asks_to_deactivate(
    client: Client, world: World, code: str, reason: str
) -> None:
    admin = await world.login(client, "admin")
    before = await tree_snapshot()

    response = await client.delete(f"/api/v1/units/{world.units[code]}", headers=admin)

    assert response.status_code == 409
    detail = problem_detail(response)
    assert reason in detail
    assert "deactivate" in detail
    assert '{"active": false}' in detail
    assert await tree_snapshot() == before


async def test_deactivating_a_unit(client: Client, world: World) -> None:
    admin = await world.login(client, "admin")
    unit_id = world.units["C2"]

    response = await client.patch(f"/api/v1/units/{unit_id}", json={"active": False}, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    default_list = await client.get("/api/v1/units", headers=admin)
    assert "C2" not in {unit["code"] for unit in default_list.json()}
    full_list = await client.get(
        "/api/v1/units", params={"include_inactive": "true"}, headers=admin
    )
    assert "C2" in {unit["code"] for unit in full_list.json()}
    detail = await client.get(f"/api/v1/units/{unit_id}", headers=admin)
    assert detail.json()["active"] is False


@pytest.mark.parametrize("method", ["post", "patch"])
async def test_unknown_field_is_named(client: Client, world: World, method: str) -> None:
    admin = await world.login(client, "admin")
    before = await tree_snapshot()

    if method == "post":
        response = await client.post(
            "/api/v1/units", json=new_unit(world, colour="red"), headers=admin
        )
    else:
        response = await client.patch(
            f"/api/v1/units/{world.units['C1']}",
            json={"name_en": "Renamed", "colour": "red"},
            headers=admin,
        )

    assert response.status_code == 422
    assert "colour" in problem_detail(response)
    assert [param["name"] for param in response.json()["invalid_params"]] == ["colour"]
    assert await tree_snapshot() == before


async def test_duplicate_code_is_a_conflict(client: Client, world: World) -> None:
    admin = await world.login(client, "admin")
    before = await row_counts()

    response = await client.post("/api/v1/units", json=new_unit(world, code="C2"), headers=admin)

    assert response.status_code == 409
    assert "C2" in problem_detail(response)
    assert await row_counts() == before


@pytest.mark.parametrize("field", ["time_zone", "kind", "code", "active"])
async def test_nulling_a_required_field_is_refused(
    client: Client, world: World, field: str
) -> None:
    """Found by fuzzing the OpenAPI schema: `time_zone: null` used to be a 500."""
    admin = await world.login(client, "admin")
    response = await client.patch(
        f"/api/v1/units/{world.units['C2']}", json={field: None}, headers=admin
    )
    assert response.status_code == 422, response.text
    assert field in problem_detail(response)
    detail = await client.get(f"/api/v1/units/{world.units['C2']}", headers=admin)
    assert detail.json()[field] is not None


async def test_moving_a_unit_moves_its_inspections_and_actions_in_every_scope(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    admin = await world.login(client, "admin")
    leader_d1 = await world.login(client, "leader_d1")
    head_c1 = await world.login(client, "head_c1")
    assert (
        await client.get(f"/api/v1/inspections/{inspection_id}", headers=leader_d1)
    ).status_code == 200
    moved = await client.patch(
        f"/api/v1/units/{world.units['C1']}",
        json={"parent_id": str(world.units["D2"])},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    # The old district's leader no longer sees the unit's inspection or its actions ...
    assert (
        await client.get(f"/api/v1/inspections/{inspection_id}", headers=leader_d1)
    ).status_code == 404
    assert (await client.get("/api/v1/actions", headers=leader_d1)).json() == []
    # ... while the unit's own head still sees both.
    assert (
        await client.get(f"/api/v1/inspections/{inspection_id}", headers=head_c1)
    ).status_code == 200
    assert len((await client.get("/api/v1/actions", headers=head_c1)).json()) == 1
    assert len((await client.get("/api/v1/inspections", headers=head_c1)).json()) == 1
