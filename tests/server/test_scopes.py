"""Who sees which units and users: a table of viewer × object → 200 or 404, never 403.

World (tests/conftest.py), plus one user homed at the service center C1-SC:

    province P ─┬─ department P-DEPT          (admin, leader_p at P; inspector, inspector2 at P-DEPT)
                ├─ district D1 ─┬─ commune C1 ── service center C1-SC      (head_c1; head_c1sc)
                │               └─ commune C2                             (head_c2)
                └─ district D2 ──── commune C3                            (head_c3)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import tokens
from server.auth.tables import RefreshToken
from server.core.settings import Settings
from server.users.tables import AppUser
from tests.conftest import WORLD_USERS, World, build_world, empty_all_tables
from tests.conftest import test_password_hash as shared_password_hash

Client = AsyncTestClient[Litestar]
ROLES = {username: role for username, role, _ in WORLD_USERS} | {"head_c1sc": "unit_head"}
ALL_UNITS = {"P", "P-DEPT", "D1", "C1", "C1-SC", "C2", "D2", "C3"}
ALL_USERS = set(ROLES)


@pytest.fixture(scope="module")
async def scoped_world(client: Client) -> World:
    """Built once for this module, since every test here only reads (a fresh world per test
    would cost more than the whole table)."""
    await empty_all_tables()
    world = await build_world()
    now = datetime.now(UTC)
    user_id = uuid4()
    await AppUser.insert(
        AppUser(
            id=user_id,
            username="head_c1sc",
            full_name="User head_c1sc",
            role="unit_head",
            home_unit_id=world.units["C1-SC"],
            password_hash=await shared_password_hash(),
            language="vi",
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    world.users["head_c1sc"] = user_id
    return world


@pytest.fixture(scope="module")
async def sessions(scoped_world: World, settings: Settings) -> dict[str, dict[str, str]]:
    """Auth headers per username: a live session made without the Argon2 login (which
    test_auth.py covers), to keep the table fast."""
    now = datetime.now(UTC)
    headers = {}
    for username, role in ROLES.items():
        family_id = uuid4()
        await RefreshToken.insert(
            RefreshToken(
                id=uuid4(),
                family_id=family_id,
                user_id=scoped_world.users[username],
                device_name="pytest",
                token_hash=tokens.refresh_token_hash(tokens.new_refresh_token()),
                issued_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
        access, _ = tokens.issue_access_token(
            settings, user_id=scoped_world.users[username], role=role, family_id=family_id
        )
        headers[username] = {"Authorization": f"Bearer {access}"}
    return headers


# (viewer, unit code, expected status). Out of scope reads as "not found", never "forbidden".
UNIT_TABLE = [
    ("leader_d1", "D1", 200),  # own
    ("leader_d1", "C1", 200),  # child
    ("leader_d1", "C1-SC", 200),  # grandchild
    ("leader_d1", "C2", 200),  # child
    ("leader_d1", "D2", 404),  # sibling
    ("leader_d1", "C3", 404),  # sibling's child
    ("leader_d1", "P", 404),  # parent
    ("leader_d1", "P-DEPT", 404),  # parent's other child
    ("head_c1", "C1", 200),  # own
    ("head_c1", "C1-SC", 200),  # child
    ("head_c1", "C2", 404),  # sibling
    ("head_c1", "D1", 404),  # parent
    ("head_c1", "P", 404),  # grandparent
    ("inspector", "P-DEPT", 200),  # own
    ("inspector", "P", 404),  # parent
    ("inspector", "D1", 404),  # sibling
    ("inspector", "C1-SC", 404),  # elsewhere below
    ("admin", "P", 200),  # own
    ("admin", "D1", 200),  # child
    ("admin", "C1-SC", 200),  # deep child
    ("admin", "C3", 200),
]


@pytest.mark.parametrize(("viewer", "unit", "expected"), UNIT_TABLE)
async def test_get_unit_scope(
    client: Client,
    scoped_world: World,
    sessions: dict[str, dict[str, str]],
    viewer: str,
    unit: str,
    expected: int,
) -> None:
    headers = sessions[viewer]

    response = await client.get(f"/api/v1/units/{scoped_world.units[unit]}", headers=headers)

    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["code"] == unit


UNIT_LISTS = [
    ("leader_d1", {"D1", "C1", "C1-SC", "C2"}),
    ("head_c1", {"C1", "C1-SC"}),
    ("inspector", {"P-DEPT"}),
    ("admin", ALL_UNITS),
]


@pytest.mark.parametrize(("viewer", "expected"), UNIT_LISTS)
async def test_list_units_scope(
    client: Client,
    scoped_world: World,
    sessions: dict[str, dict[str, str]],
    viewer: str,
    expected: set[str],
) -> None:
    headers = sessions[viewer]

    response = await client.get("/api/v1/units", headers=headers)

    assert response.status_code == 200, response.text
    codes = [unit["code"] for unit in response.json()]
    assert set(codes) == expected
    assert len(codes) == len(expected)


# (viewer, user, expected status).
USER_TABLE = [
    ("leader_d1", "leader_d1", 200),  # self
    ("leader_d1", "head_d1", 200),  # own unit
    ("leader_d1", "head_c1", 200),  # child unit
    ("leader_d1", "head_c1sc", 200),  # grandchild unit
    ("leader_d1", "head_c2", 200),  # child unit
    ("leader_d1", "head_c3", 404),  # sibling's child
    ("leader_d1", "leader_p", 404),  # parent unit
    ("leader_d1", "inspector", 404),  # parent's other child
    ("head_c1", "head_c1", 200),  # self
    ("head_c1", "head_c1sc", 200),  # child unit
    ("head_c1", "head_c2", 404),  # sibling unit
    ("head_c1", "head_d1", 404),  # parent unit
    ("head_c1", "leader_d1", 404),  # parent unit
    ("head_c1", "admin", 404),  # grandparent unit
    ("inspector", "inspector", 200),  # self
    ("inspector", "inspector2", 404),  # same unit: inspectors see only themselves
    ("inspector", "admin", 404),  # parent unit
    ("inspector", "head_c1sc", 404),
    ("admin", "admin", 200),
    ("admin", "leader_d1", 200),
    ("admin", "head_c1sc", 200),
    ("admin", "head_c3", 200),
]


@pytest.mark.parametrize(("viewer", "user", "expected"), USER_TABLE)
async def test_get_user_scope(
    client: Client,
    scoped_world: World,
    sessions: dict[str, dict[str, str]],
    viewer: str,
    user: str,
    expected: int,
) -> None:
    headers = sessions[viewer]

    response = await client.get(f"/api/v1/users/{scoped_world.users[user]}", headers=headers)

    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["username"] == user
        assert "password" not in response.text


USER_LISTS = [
    ("leader_d1", {"leader_d1", "head_d1", "head_c1", "head_c1sc", "head_c2"}),
    ("head_c1", {"head_c1", "head_c1sc"}),
    ("inspector", {"inspector"}),
    ("admin", ALL_USERS),
]


@pytest.mark.parametrize(("viewer", "expected"), USER_LISTS)
async def test_list_users_scope(
    client: Client,
    scoped_world: World,
    sessions: dict[str, dict[str, str]],
    viewer: str,
    expected: set[str],
) -> None:
    headers = sessions[viewer]

    response = await client.get("/api/v1/users", headers=headers)

    assert response.status_code == 200, response.text
    usernames = [user["username"] for user in response.json()]
    assert set(usernames) == expected
    assert len(usernames) == len(expected)
    assert "password" not in response.text


@pytest.mark.parametrize("kind", ["units", "users"])
async def test_out_of_scope_reads_exactly_like_nonexistent(
    client: Client, scoped_world: World, sessions: dict[str, dict[str, str]], kind: str
) -> None:
    headers = sessions["leader_d1"]
    hidden = scoped_world.units["D2"] if kind == "units" else scoped_world.users["head_c3"]
    missing = uuid4()

    out_of_scope = await client.get(f"/api/v1/{kind}/{hidden}", headers=headers)
    nonexistent = await client.get(f"/api/v1/{kind}/{missing}", headers=headers)

    assert out_of_scope.status_code == nonexistent.status_code == 404
    assert out_of_scope.headers["content-type"] == nonexistent.headers["content-type"]
    normalised = out_of_scope.text.replace(str(hidden), str(missing))
    assert normalised == nonexistent.text


async def test_list_users_role_filter_stays_in_scope(
    client: Client, sessions: dict[str, dict[str, str]]
) -> None:
    headers = sessions["head_c1"]

    response = await client.get("/api/v1/users", params={"role": "unit_head"}, headers=headers)

    assert response.status_code == 200
    assert {user["username"] for user in response.json()} == {"head_c1", "head_c1sc"}
