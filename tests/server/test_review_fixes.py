"""Regressions for defects found in review: late starts, unit moves and scope copies, leaders
planning their own unit, out-of-range periods and cursors."""

from __future__ import annotations

import base64

from server.inspections.tables import Inspection
from tests.conftest import World, problem_detail
from tests.helpers import (
    create_plan_for,
    now_iso,
    op,
    plan_payload,
    publish_shipped_checklist,
    run_to_signed,
    sync,
)


async def test_an_inspection_cannot_start_after_its_window_and_grace(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C1", window_days=(-10, -2))
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    (result,) = await sync(
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
    assert result["status"] == "rejected"
    assert "window has ended" in result["reason"]
    row = await Inspection.select(Inspection.status).where(Inspection.id == inspection_id).first()
    assert row["status"] == "planned"


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
