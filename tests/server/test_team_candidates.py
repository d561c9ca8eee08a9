"""Leaders build teams from inspectors homed outside their subtree (a provincial office)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import World, build_world, empty_all_tables


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient) -> World:
    """One world for the module, built once: every test here only reads it (logins add
    sessions, which no test here counts)."""
    await empty_all_tables()
    return await build_world()


async def test_a_leader_sees_every_active_inspector_and_leader_with_their_home_unit(
    client, world: World
) -> None:
    leader = await world.login(client, "leader_d1")
    response = await client.get("/api/v1/users/team-candidates", headers=leader)
    assert response.status_code == 200, response.text
    rows = response.json()
    roles = {row["role"] for row in rows}
    assert roles <= {"inspector", "leader"}
    names = {row["username"] for row in rows}
    assert "inspector" in names and "leader_d1" in names
    # The leader's own subtree (D1) does not hold every candidate: the list is not scoped by it.
    users = await client.get("/api/v1/users", headers=leader)
    assert names - {row["username"] for row in users.json()}
    assert set(rows[0]) == {
        "id",
        "username",
        "full_name",
        "role",
        "home_unit_id",
        "home_unit_code",
        "home_unit_name_vi",
        "home_unit_name_en",
    }


async def test_inspectors_and_unit_heads_may_not_list_team_candidates(client, world: World) -> None:
    for username in ("inspector", "head_c1"):
        headers = await world.login(client, username)
        response = await client.get("/api/v1/users/team-candidates", headers=headers)
        assert response.status_code == 403
