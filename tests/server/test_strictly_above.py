"""Nobody judges their own unit: verifying, returning and handing on a corrective action, and
scheduling a follow-up visit, need a leader (or admin) homed strictly above the unit, not at it;
an inspector of the inspection who works in the responsible unit may not verify its fix; and
only an admin at the root of the tree publishes checklist versions (they have no owning unit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from checklists.services import SHIPPED_TEMPLATES_DIR
from checklists.tables import ChecklistVersion
from server.actions.tables import CorrectiveAction
from server.core.scopes import Principal, Role
from tests.conftest import World, problem_detail
from tests.helpers import now_iso, op, photo_bytes, run_to_signed, sync, upload_evidence


def move(client, headers, action_id: str, to: str, **extra):
    return client.post(
        f"/api/v1/actions/{action_id}/transitions", json={"to": to, **extra}, headers=headers
    )


async def submitted_action(client, world: World, unit: str = "C1") -> str:
    """An inspection of `unit` signed with one failed item; its action fixed and submitted."""
    inspection_id = await run_to_signed(client, world, unit, {"C1"})
    head = await world.login(client, "head_c1")
    listing = await client.get(f"/api/v1/actions?inspection_id={inspection_id}", headers=head)
    (action,) = listing.json()
    photo = await upload_evidence(client, head, photo_bytes((10, 200, 10)))
    for step, extra in (
        ("acknowledged", {}),
        ("in_progress", {}),
        ("submitted", {"report": "Đã niêm yết đủ", "evidence": [photo]}),
    ):
        assert (await move(client, head, action["id"], step, **extra)).status_code == 200
    return str(action["id"])


async def status_of(action_id: str) -> str:
    row = (
        await CorrectiveAction.select(CorrectiveAction.status)
        .where(CorrectiveAction.id == action_id)
        .first()
    )
    assert row is not None
    return str(row["status"])


def principal_at(path: str, role: Role = Role.leader) -> Principal:
    return Principal(
        user_id=uuid4(), username="x", role=role, home_unit_id=uuid4(), home_unit_path=path
    )


def test_strictly_above_excludes_the_unit_itself_and_other_branches() -> None:
    province, district, commune, other = "/p/", "/p/d1/", "/p/d1/c1/", "/p/d2/"
    at_district = principal_at(district)
    assert at_district.is_strictly_above(commune)
    assert not at_district.is_strictly_above(district)
    assert not at_district.is_strictly_above(province)
    assert not at_district.is_strictly_above(other)
    assert at_district.works_at_or_below(district)
    assert at_district.works_at_or_below(province)
    assert not at_district.works_at_or_below(commune)
    assert principal_at(province).homed_at_root
    assert not at_district.homed_at_root


async def test_nobody_of_the_responsible_unit_and_no_unit_head_judges_its_fix(
    client, world: World
) -> None:
    action_id = await submitted_action(client, world)
    await world.add_user("leader_c1", "leader", "C1")
    await world.add_user("admin_c1", "admin", "C1")
    for who, target, extra in (
        ("leader_c1", "verified", {}),
        ("admin_c1", "returned", {"comment": "chưa đạt"}),
    ):
        refused = await move(client, await world.login(client, who), action_id, target, **extra)
        assert refused.status_code == 403, refused.text
        assert "a leader above the unit must do it" in problem_detail(refused)
    for head in ("head_c1", "head_d1"):
        refused = await move(client, await world.login(client, head), action_id, "verified")
        assert refused.status_code == 403, refused.text
        assert "leader above the unit" in problem_detail(refused)
    # The phone's offline move goes through the same rule.
    offline = op(
        "action_transition",
        action_id=action_id,
        to="verified",
        expected_status="submitted",
        device_time=now_iso(),
    )
    (result,) = await sync(client, await world.login(client, "leader_c1"), [offline])
    assert result["status"] == "rejected"
    assert "a leader above the unit must do it" in result["reason"]
    assert await status_of(action_id) == "submitted"
    # The leader of the district above may.
    above = await world.login(client, "leader_d1")
    assert (await move(client, above, action_id, "verified")).status_code == 200
    assert await status_of(action_id) == "verified"


async def test_an_inspector_working_in_the_responsible_unit_cannot_verify_its_fix(
    client, world: World
) -> None:
    # The inspection's team head works at P-DEPT; the action is handed to P-DEPT.
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    admin = await world.login(client, "admin")
    listing = await client.get(f"/api/v1/actions?inspection_id={inspection_id}", headers=admin)
    (action,) = listing.json()
    handed = await client.patch(
        f"/api/v1/actions/{action['id']}/responsible-unit",
        json={"responsible_unit_id": str(world.units["P-DEPT"])},
        headers=admin,
    )
    assert handed.status_code == 200, handed.text
    await world.add_user("head_dept", "unit_head", "P-DEPT")
    head = await world.login(client, "head_dept")
    photo = await upload_evidence(client, head, photo_bytes((10, 20, 200)))
    for step, extra in (
        ("acknowledged", {}),
        ("in_progress", {}),
        ("submitted", {"report": "Đã sửa", "evidence": [photo]}),
    ):
        assert (await move(client, head, action["id"], step, **extra)).status_code == 200
    inspector = await world.login(client, "inspector")
    refused = await move(client, inspector, action["id"], "verified")
    assert refused.status_code == 403, refused.text
    assert "nobody verifies their own unit's fix" in problem_detail(refused)
    assert await status_of(action["id"]) == "submitted"
    # Another inspector's action at C1 stays theirs to verify (test_actions covers it); here the
    # province's leader, above P-DEPT, does it.
    leader = await world.login(client, "leader_p")
    assert (await move(client, leader, action["id"], "verified")).status_code == 200


async def test_a_leader_of_the_unit_can_neither_hand_its_action_on_nor_plan_its_follow_up(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    await world.add_user("leader_c1", "leader", "C1")
    own = await world.login(client, "leader_c1")
    listing = await client.get(f"/api/v1/actions?inspection_id={inspection_id}", headers=own)
    (action,) = listing.json()
    refused = await client.patch(
        f"/api/v1/actions/{action['id']}/responsible-unit",
        json={"responsible_unit_id": str(world.units["C1-SC"])},
        headers=own,
    )
    assert refused.status_code == 403, refused.text
    assert "leader above the responsible unit" in problem_detail(refused)
    row = (
        await CorrectiveAction.select(
            CorrectiveAction.responsible_unit_id, CorrectiveAction.version
        )
        .where(CorrectiveAction.id == action["id"])
        .first()
    )
    assert row == {"responsible_unit_id": world.units["C1"], "version": 1}

    start = datetime.now(UTC) + timedelta(days=20)
    body = {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(days=5)).isoformat(),
        "team_head_id": str(world.users["inspector2"]),
    }
    refused = await client.post(
        f"/api/v1/inspections/{inspection_id}/follow-ups", json=body, headers=own
    )
    assert refused.status_code == 403, refused.text
    assert "leader above the inspected unit" in problem_detail(refused)
    plans = await client.get("/api/v1/plans", headers=await world.login(client, "leader_d1"))
    assert len(plans.json()) == 1  # only the original plan


async def test_only_an_admin_at_the_root_publishes_a_checklist_version(
    client, world: World
) -> None:
    text = (SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml").read_bytes()
    await world.add_user("admin_c1", "admin", "C1")
    commune_admin = await world.login(client, "admin_c1")
    refused = await client.post("/api/v1/checklists", content=text, headers=commune_admin)
    assert refused.status_code == 403, refused.text
    assert "root" in problem_detail(refused)
    assert await ChecklistVersion.count() == 0
    root_admin = await world.login(client, "admin")
    published = await client.post("/api/v1/checklists", content=text, headers=root_admin)
    assert published.status_code == 201, published.text
    assert await ChecklistVersion.count() == 1
