"""An access token's session (its refresh-token family, claim ``fid``) must belong to its subject.

Tokens are forged here with the test suite's signing key: this is what someone holding the key, or
a bug that mixed up claims, could present. A live family of another user must not vouch for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest

from server.core.settings import Settings
from tests.conftest import (
    TEST_PASSWORD,
    TEST_SECRET,
    World,
    build_world,
    empty_all_tables,
    problem_detail,
)


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient) -> World:
    """One world for the module, built once: every test here only reads it (logins add
    sessions, which no test here counts)."""
    await empty_all_tables()
    return await build_world()


def forge_access_token(settings: Settings, *, subject: UUID, role: str, family_id: UUID) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(subject),
        "role": role,
        "fid": str(family_id),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": uuid4().hex,
    }
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


async def live_family_of(client: httpx.AsyncClient, username: str) -> UUID:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    return UUID(claims["fid"])


async def get_me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_naming_another_users_live_session_is_refused(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    admins_family = await live_family_of(client, "admin")

    forged = forge_access_token(
        settings, subject=world.users["head_c1"], role="unit_head", family_id=admins_family
    )
    response = await get_me(client, forged)

    assert response.status_code == 401
    assert "log in again" in problem_detail(response)


async def test_a_token_naming_the_subjects_own_live_session_is_accepted(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    # The control for the test above: the same forging works when the session is the subject's.
    admins_family = await live_family_of(client, "admin")

    token = forge_access_token(
        settings, subject=world.users["admin"], role="admin", family_id=admins_family
    )
    response = await get_me(client, token)

    assert response.status_code == 200, response.text
    assert response.json()["username"] == "admin"


async def test_a_token_cannot_borrow_a_session_to_reach_another_users_data(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    # A unit head's live session lent to the admin's identity would open the admin's whole tree.
    heads_family = await live_family_of(client, "head_c1")

    forged = forge_access_token(
        settings, subject=world.users["admin"], role="admin", family_id=heads_family
    )

    assert (
        await client.get("/api/v1/units", headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401
    assert (await get_me(client, forged)).status_code == 401
