"""An inspection starts only while its plan's window (and the grace after it) is open."""

from __future__ import annotations

from server.inspections.tables import Inspection
from tests.conftest import World
from tests.helpers import create_plan_for, now_iso, op, sync


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
