"""Login, throttling, refresh-token rotation and reuse detection, logout, and token checks."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4

import argon2
import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import tokens
from server.auth.tables import LoginFailure
from server.core import passwords
from server.core.settings import Settings
from server.users.tables import AppUser
from tests.conftest import TEST_PASSWORD, World, problem_detail

Client = AsyncTestClient[Litestar]


async def login(client: Client, username: str, password: str = TEST_PASSWORD) -> Any:
    return await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_name": "pytest"},
    )


async def login_pair(client: Client, username: str) -> dict[str, Any]:
    response = await login(client, username)
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def me_status(client: Client, access_token: str) -> int:
    return int((await client.get("/api/v1/me", headers=bearer(access_token))).status_code)


async def refresh(client: Client, refresh_token: str) -> Any:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def unverified_claims(access_token: str) -> dict[str, Any]:
    return dict(jwt.decode(access_token, options={"verify_signature": False}))


def production_passwords() -> Any:
    """The passwords module as the server imports it: the suite's `cheap_password_hashing`
    replaced the hasher of the shared copy, so this loads a fresh one."""
    spec = importlib.util.find_spec(passwords.__name__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_passwords_are_stored_as_argon2id_at_production_strength() -> None:
    # The one production-strength hash of the suite (~0.1 s); every other test hashes cheaply.
    stored = await production_passwords().hash_password(TEST_PASSWORD)

    parameters = argon2.extract_parameters(stored)
    assert parameters.type is argon2.Type.ID
    # RFC 9106's second recommendation (low memory): 3 passes over 64 MiB with 4 lanes.
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)
    assert (parameters.salt_len, parameters.hash_len) == (16, 32)
    # A stored hash carries its parameters: it verifies whatever the hasher's settings are now.
    assert await passwords.verify_password(stored, TEST_PASSWORD)
    assert not await passwords.verify_password(stored, TEST_PASSWORD + "x")


async def test_login_returns_a_working_token_pair(client: Client, world: World) -> None:
    response = await login(client, "leader_d1")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["user"]["username"] == "leader_d1"
    assert body["user"]["role"] == "leader"
    assert "password" not in response.text and "argon2" not in response.text
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "leader_d1"
    assert me.json()["home_unit_code"] == "D1"


async def test_wrong_password_and_unknown_user_read_the_same(client: Client, world: World) -> None:
    wrong_password = await login(client, "admin", "not-the-password")
    unknown_user = await login(client, "nobody-here", "not-the-password")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert "Wrong username or password" in problem_detail(response)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert wrong_password.json() == unknown_user.json()


async def test_requests_without_a_token_are_refused(client: Client, world: World) -> None:
    response = await client.get("/api/v1/units")

    assert response.status_code == 401
    assert "Authorization: Bearer" in problem_detail(response)


async def test_repeated_failures_throttle_the_account(client: Client, world: World) -> None:
    for _ in range(5):  # SPOTCHECK_LOGIN_MAX_FAILURES defaults to 5
        assert (await login(client, "admin", "wrong-password")).status_code == 401

    throttled = await login(client, "admin")  # even the right password is refused now

    assert throttled.status_code == 429
    assert "Too many failed logins" in problem_detail(throttled)
    retry_after = int(throttled.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60 + 1
    # Only that account is throttled.
    assert (await login(client, "head_c1")).status_code == 200


async def test_a_successful_login_clears_earlier_failures(client: Client, world: World) -> None:
    for _ in range(4):
        assert (await login(client, "admin", "wrong-password")).status_code == 401
    assert (await login(client, "admin")).status_code == 200
    for _ in range(4):
        assert (await login(client, "admin", "wrong-password")).status_code == 401

    # Eight failures in the window, but the success in between reset the count.
    assert (await login(client, "admin")).status_code == 200


async def test_failures_older_than_the_window_do_not_count(client: Client, world: World) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=16)
    for index in range(10):
        await LoginFailure.insert(
            LoginFailure(
                id=uuid4(),
                username="admin",
                remote_address="198.51.100.7",
                failed_at=long_ago - timedelta(seconds=index),
            )
        )

    assert (await login(client, "admin")).status_code == 200


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    client: Client, world: World
) -> None:
    first = await login_pair(client, "head_c1")
    other_device = await login_pair(client, "head_c1")

    second_response = await refresh(client, first["refresh_token"])
    assert second_response.status_code == 200, second_response.text
    second = second_response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert await me_status(client, second["access_token"]) == 200
    third = (await refresh(client, second["refresh_token"])).json()
    assert await me_status(client, third["access_token"]) == 200

    # Someone presents the first refresh token again: a copy is loose.
    reused = await refresh(client, first["refresh_token"])

    assert reused.status_code == 401
    assert "already used" in problem_detail(reused)
    assert (await refresh(client, third["refresh_token"])).status_code == 401
    for pair in (first, second, third):
        assert await me_status(client, pair["access_token"]) == 401
    # The same user's login on another device is a different family and keeps working.
    assert await me_status(client, other_device["access_token"]) == 200
    assert (await refresh(client, other_device["refresh_token"])).status_code == 200


async def test_unknown_refresh_token_is_refused(client: Client, world: World) -> None:
    response = await refresh(client, "x" * 64)

    assert response.status_code == 401
    assert "log in again" in problem_detail(response)


async def test_logout_ends_access_and_refresh_tokens(client: Client, world: World) -> None:
    pair = await login_pair(client, "inspector")

    response = await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))

    assert response.status_code == 204
    assert await me_status(client, pair["access_token"]) == 401
    assert (await refresh(client, pair["refresh_token"])).status_code == 401


async def test_expired_access_token_is_refused(
    client: Client, world: World, settings: Settings
) -> None:
    pair = await login_pair(client, "admin")
    family_id = UUID(unverified_claims(pair["access_token"])["fid"])

    expired, expires_at = tokens.issue_access_token(
        settings,
        user_id=world.users["admin"],
        role="admin",
        family_id=family_id,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    assert expires_at < datetime.now(UTC)

    response = await client.get("/api/v1/me", headers=bearer(expired))
    assert response.status_code == 401
    assert "expired" in problem_detail(response)


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _payload_altered(token: str, claims: dict[str, Any], settings: Settings, admin: UUID) -> str:
    header, _, signature = token.split(".")
    return ".".join([header, _b64({**claims, "sub": str(admin), "role": "admin"}), signature])


def _other_key(token: str, claims: dict[str, Any], settings: Settings, admin: UUID) -> str:
    return jwt.encode(claims, "another-key-that-is-long-enough-for-hs256-0123", algorithm="HS256")


def _alg_none(token: str, claims: dict[str, Any], settings: Settings, admin: UUID) -> str:
    return ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), ""])


def _wrong_audience(token: str, claims: dict[str, Any], settings: Settings, admin: UUID) -> str:
    key = settings.secret_key.get_secret_value()
    return jwt.encode({**claims, "aud": "some-other-api"}, key, algorithm="HS256")


def _wrong_issuer(token: str, claims: dict[str, Any], settings: Settings, admin: UUID) -> str:
    key = settings.secret_key.get_secret_value()
    return jwt.encode({**claims, "iss": "someone-else"}, key, algorithm="HS256")


def _same_claims_resigned(
    token: str, claims: dict[str, Any], settings: Settings, admin: UUID
) -> str:
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")


@pytest.mark.parametrize(
    "tamper",
    [_payload_altered, _other_key, _alg_none, _wrong_audience, _wrong_issuer],
    ids=["payload-altered", "other-key", "alg-none", "wrong-audience", "wrong-issuer"],
)
async def test_tampered_access_tokens_are_refused(
    client: Client, world: World, settings: Settings, tamper: Any
) -> None:
    token = (await login_pair(client, "head_c1"))["access_token"]
    claims = unverified_claims(token)
    # Control: the same claims, signed properly, are accepted, so the refusal below is the tamper's.
    control = _same_claims_resigned(token, claims, settings, world.users["admin"])
    assert await me_status(client, control) == 200

    forged = tamper(token, claims, settings, world.users["admin"])

    response = await client.get("/api/v1/me", headers=bearer(forged))
    assert response.status_code == 401
    assert "not valid" in problem_detail(response)


async def test_a_deactivated_users_token_stops_working(client: Client, world: World) -> None:
    pair = await login_pair(client, "head_c2")
    assert await me_status(client, pair["access_token"]) == 200

    # Deactivated straight in the database: no session was revoked, the account check alone bites.
    await AppUser.update({AppUser.active: False}).where(AppUser.id == world.users["head_c2"])

    assert await me_status(client, pair["access_token"]) == 401
    assert (await refresh(client, pair["refresh_token"])).status_code == 401
    assert (await login(client, "head_c2")).status_code == 401


async def test_a_refused_token_says_whether_the_login_or_the_account_ended(
    client: Client, world: World
) -> None:
    """Both are checked in one statement; a refusal looks again to tell the user which it was."""
    ended = await login_pair(client, "inspector")
    await client.post("/api/v1/auth/logout", headers=bearer(ended["access_token"]))
    deactivated = await login_pair(client, "head_c2")
    await AppUser.update({AppUser.active: False}).where(AppUser.id == world.users["head_c2"])

    response = await client.get("/api/v1/me", headers=bearer(ended["access_token"]))
    assert response.status_code == 401
    assert "This login was ended" in problem_detail(response)
    response = await client.get("/api/v1/me", headers=bearer(deactivated["access_token"]))
    assert response.status_code == 401
    assert "no longer active" in problem_detail(response)


async def test_deactivating_through_the_api_ends_sessions(client: Client, world: World) -> None:
    admin = await login_pair(client, "admin")
    victim = await login_pair(client, "head_c1")

    response = await client.patch(
        f"/api/v1/users/{world.users['head_c1']}",
        json={"active": False},
        headers=bearer(admin["access_token"]),
    )

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert await me_status(client, victim["access_token"]) == 401
    assert (await refresh(client, victim["refresh_token"])).status_code == 401


class _CountingHasher(argon2.PasswordHasher):
    """Records how many hashes run at the same moment (each takes a little while)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def _hold(self) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._hold()
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self._hold()
        return super().verify(hash, password)


async def test_a_burst_of_logins_hashes_a_bounded_number_of_passwords_at_once() -> None:
    # Each production-strength hash holds 64 MiB while it runs: twelve logins at once must not
    # hold twelve of them (anyio's default would run up to 40 together).
    previous = passwords._hasher
    counting = _CountingHasher()
    passwords.use_hasher(counting)
    try:
        stored = counting.hash(TEST_PASSWORD)
        counting.most = 0
        results = await asyncio.gather(
            *(passwords.verify_password(stored, TEST_PASSWORD) for _ in range(8)),
            *(passwords.hash_password(TEST_PASSWORD) for _ in range(4)),
        )
    finally:
        passwords.use_hasher(previous)

    assert all(results[:8])
    assert all(each.startswith("$argon2id$") for each in results[8:])
    assert counting.most == passwords.PASSWORD_HASHES_AT_ONCE
