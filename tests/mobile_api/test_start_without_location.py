"""A phone with no location (refused, or no fix indoors) can still start; the server flags it."""

from __future__ import annotations

from tests.conftest import World
from tests.helpers import create_plan_for, now_iso, op, sync


async def test_start_without_location_is_flagged_not_refused(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    [result] = await sync(
        client, inspector, [op("start", inspection_id=inspection_id, device_time=now_iso())]
    )
    assert result["status"] == "applied", result
    assert "no_location" in result["result"]["flags"]
    assert result["result"]["distance_m"] is None
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=inspector)).json()
    assert detail["status"] == "in_progress"
    assert "no_location" in detail["flags"]
    assert detail["start"]["latitude"] is None


async def test_one_coordinate_without_the_other_is_rejected(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    [result] = await sync(
        client,
        inspector,
        [op("start", inspection_id=inspection_id, device_time=now_iso(), latitude=20.0)],
    )
    assert result["status"] == "rejected"
    assert "both latitude and longitude" in result["reason"]
