"""A unit's own admins cannot move its registered location (inspectors' proof of presence is
measured against it); an admin above the unit can. Target validation, which may look a host up in
DNS, happens before the write transaction."""

from __future__ import annotations

from server.units.tables import Unit
from tests.conftest import World, problem_detail


async def location_of(unit_id) -> tuple:
    row = (
        await Unit.select(Unit.latitude, Unit.longitude, Unit.geofence_radius_m)
        .where(Unit.id == unit_id)
        .first()
    )
    assert row is not None
    return row["latitude"], row["longitude"], row["geofence_radius_m"]


async def test_an_admin_of_the_unit_cannot_move_its_location(client, world: World) -> None:
    await world.add_user("admin_c1", "admin", "C1")
    own_admin = await world.login(client, "admin_c1")
    c1 = world.units["C1"]
    before = await location_of(c1)

    for change in ({"latitude": 21.0}, {"longitude": 105.8}, {"geofence_radius_m": 50_000}):
        response = await client.patch(f"/api/v1/units/{c1}", json=change, headers=own_admin)
        assert response.status_code == 403, response.text
        assert "above this unit" in problem_detail(response)
    assert await location_of(c1) == before

    # Other fields of their own unit stay theirs to edit.
    renamed = await client.patch(
        f"/api/v1/units/{c1}", json={"name_en": "Commune One"}, headers=own_admin
    )
    assert renamed.status_code == 200, renamed.text


async def test_an_admin_above_the_unit_moves_its_location(client, world: World) -> None:
    await world.add_user("admin_d1", "admin", "D1")
    above = await world.login(client, "admin_d1")
    c1 = world.units["C1"]

    response = await client.patch(
        f"/api/v1/units/{c1}",
        json={"latitude": 21.01, "longitude": 105.81, "geofence_radius_m": 300},
        headers=above,
    )
    assert response.status_code == 200, response.text
    assert await location_of(c1) == (21.01, 105.81, 300)

    # The root's admin may place the root itself (nobody is above it).
    root_admin = await world.login(client, "admin")
    root = await client.patch(
        f"/api/v1/units/{world.units['P']}", json={"latitude": 20.0}, headers=root_admin
    )
    assert root.status_code == 200, root.text
