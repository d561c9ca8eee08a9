from tests.conftest import World


async def test_health_and_me(client, world: World) -> None:
    response = await client.get("/health")
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}
    headers = await world.login(client, "admin")
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "admin"
