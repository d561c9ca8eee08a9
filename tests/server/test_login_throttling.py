"""Login throttling that holds: attempts are counted before the password is checked, per account
and client address, and per address across accounts; X-Forwarded-For counts only from a trusted
proxy.

The defaults apply: 5 attempts per (account, address) and 20 per address in 15 minutes."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar

from server.auth.client_address import client_address
from server.auth.tables import LoginFailure
from server.core.settings import Settings, SettingsError
from tests.conftest import TEST_PASSWORD, World, problem_detail
from tests.live_server import serving

LIMIT = 5  # SPOTCHECK_LOGIN_MAX_FAILURES
ADDRESS_LIMIT = 20  # four times that, across all accounts
WINDOW_SECONDS = 15 * 60


@contextlib.asynccontextmanager
async def client_at(app: Litestar, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connections come from ``address`` (the app's lifespan is already running)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


async def login(
    client: httpx.AsyncClient,
    username: str,
    password: str = TEST_PASSWORD,
    *,
    forwarded_for: str | None = None,
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_name": "pytest"},
        headers=headers,
    )


async def statuses(responses: Any) -> Counter[int]:
    return Counter(response.status_code for response in await responses)


async def attempt_rows() -> list[dict[str, Any]]:
    return list(await LoginFailure.select(LoginFailure.username, LoginFailure.remote_address))


# --- Counting before the password check ----------------------------------------------------------


async def test_forty_parallel_wrong_guesses_let_only_the_limit_through(
    client: httpx.AsyncClient, world: World
) -> None:
    burst = [login(client, "admin", f"guess-{index}") for index in range(40)]

    assert await statuses(asyncio.gather(*burst)) == {401: LIMIT, 429: 40 - LIMIT}
    # A refused attempt writes nothing: only the ones that reached the password check are kept.
    assert len(await attempt_rows()) == LIMIT


async def test_a_throttled_attempt_says_when_to_come_back(
    client: httpx.AsyncClient, world: World
) -> None:
    for _ in range(LIMIT):
        assert (await login(client, "admin", "wrong-password")).status_code == 401

    refused = await login(client, "admin")  # the right password too: it is not even checked

    assert refused.status_code == 429
    detail = problem_detail(refused)
    assert "Too many failed logins for this account from your address" in detail
    assert "Try again in 15 minute(s)" in detail
    assert WINDOW_SECONDS - 60 < int(refused.headers["retry-after"]) <= WINDOW_SECONDS


async def test_unknown_user_and_wrong_password_do_the_same_work(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        verified.append(password)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    wrong_password = await login(client, "admin", "guess-for-admin")
    unknown_user = await login(client, "nobody-here", "guess-for-nobody")

    assert wrong_password.json() == unknown_user.json()
    # One Argon2 verification each (a dummy hash for the unknown user) and one counted attempt.
    assert verified == ["guess-for-admin", "guess-for-nobody"]
    assert sorted(row["username"] for row in await attempt_rows()) == ["admin", "nobody-here"]


async def test_attempts_that_left_the_window_are_removed(
    client: httpx.AsyncClient, world: World
) -> None:
    now = datetime.now(UTC)
    for username, address, minutes_ago in [
        ("admin", "198.51.100.7", 16),
        ("someone", "203.0.113.66", 60),
        ("head_c1", "203.0.113.66", 14),  # still inside the window: kept
    ]:
        await LoginFailure.insert(
            LoginFailure(
                id=uuid4(),
                username=username,
                remote_address=address,
                failed_at=now - timedelta(minutes=minutes_ago),
            )
        )

    assert (await login(client, "leader_d1", "guess")).status_code == 401

    assert sorted((row["username"], row["remote_address"]) for row in await attempt_rows()) == [
        ("head_c1", "203.0.113.66"),
        ("leader_d1", "127.0.0.1"),
    ]


# --- Keys: (account, address) and address ---------------------------------------------------------


async def test_a_stranger_guessing_wrong_does_not_lock_the_owner_out(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    async with client_at(app, "203.0.113.66") as stranger, client_at(app, "198.51.100.7") as owner:
        for _ in range(LIMIT):
            assert (await login(stranger, "leader_d1", "guess")).status_code == 401
        assert (await login(stranger, "leader_d1")).status_code == 429

        # The owner, from their own address, with a few typos of their own first.
        for _ in range(LIMIT - 1):
            assert (await login(owner, "leader_d1", "typo")).status_code == 401
        assert (await login(owner, "leader_d1")).status_code == 200

        # The owner's success cleared the owner's attempts only; the stranger stays locked.
        assert (await login(stranger, "leader_d1")).status_code == 429
        assert {row["remote_address"] for row in await attempt_rows()} == {"203.0.113.66"}


async def test_one_address_guessing_across_many_accounts_is_throttled(
    client: httpx.AsyncClient, app: Litestar, world: World
) -> None:
    async with client_at(app, "203.0.113.66") as sprayer, client_at(app, "198.51.100.7") as office:
        spray = [login(sprayer, f"user-{index}", "Summer2026!") for index in range(ADDRESS_LIMIT)]
        assert await statuses(asyncio.gather(*spray)) == {401: ADDRESS_LIMIT}

        refused = await login(sprayer, "head_c2")  # a new account, the right password

        assert refused.status_code == 429
        assert "Too many failed logins from your address" in problem_detail(refused)
        assert (await login(office, "head_c2")).status_code == 200


# --- Which address: X-Forwarded-For only from a trusted proxy -------------------------------------


async def test_a_spoofed_forwarded_for_does_not_change_the_key(
    client: httpx.AsyncClient, world: World
) -> None:
    # No proxy is trusted in the test settings: the header is the client's own claim.
    for index in range(LIMIT):
        response = await login(client, "admin", "guess", forwarded_for=f"192.0.2.{index}")
        assert response.status_code == 401

    assert (await login(client, "admin", forwarded_for="192.0.2.200")).status_code == 429
    assert {row["remote_address"] for row in await attempt_rows()} == {"127.0.0.1"}


async def test_behind_a_trusted_proxy_the_forwarded_client_is_the_key(
    client: httpx.AsyncClient,
    app: Litestar,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", ["10.0.0.0/24"])
    async with client_at(app, "10.0.0.2") as proxy:
        for index in range(LIMIT):
            # Whatever the stranger writes in front, the proxy appends the address it saw.
            forwarded = f"192.0.2.{index}, 203.0.113.66"
            assert (
                await login(proxy, "admin", "guess", forwarded_for=forwarded)
            ).status_code == 401
        assert (await login(proxy, "admin", forwarded_for="203.0.113.66")).status_code == 429

        assert (await login(proxy, "admin", forwarded_for="198.51.100.7")).status_code == 200
    assert {row["remote_address"] for row in await attempt_rows()} == {"203.0.113.66"}


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        pytest.param("198.51.100.7", [], "198.51.100.7", id="no-proxy"),
        pytest.param("198.51.100.7", ["192.0.2.1"], "198.51.100.7", id="untrusted-peer-spoofs"),
        pytest.param("10.0.0.2", ["192.0.2.1, 203.0.113.9"], "203.0.113.9", id="rightmost-wins"),
        pytest.param(
            "10.0.0.2", ["203.0.113.9, 10.0.1.7"], "203.0.113.9", id="proxy-chain-in-a-cidr"
        ),
        pytest.param("10.0.0.2", ["192.0.2.1", "203.0.113.9"], "203.0.113.9", id="two-headers"),
        pytest.param("10.0.0.2", [], "10.0.0.2", id="proxy-without-header"),
        pytest.param("10.0.0.2", ["10.0.1.5, 10.0.1.7"], "10.0.1.5", id="only-proxies"),
        pytest.param("10.0.0.2", ["203.0.113.9, unknown"], "10.0.0.2", id="junk-is-the-proxy"),
        pytest.param("10.0.0.2", ["203.0.113.9:4711"], "203.0.113.9", id="with-a-port"),
        pytest.param("2001:db8:1:2::99", [], "2001:db8:1:2::/64", id="ipv6-counted-per-64"),
        pytest.param("::ffff:198.51.100.7", [], "198.51.100.7", id="ipv4-mapped"),
        pytest.param(None, [], "unknown", id="no-peer"),
    ],
)
def test_the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy(
    peer: str | None, forwarded_for: list[str], expected: str
) -> None:
    assert client_address(peer, forwarded_for, ["10.0.0.2", "10.0.1.0/24"]) == expected


def test_a_trusted_proxy_that_is_not_an_address_is_a_configuration_error() -> None:
    with pytest.raises(SettingsError, match=r"SPOTCHECK_TRUSTED_PROXIES: 'proxy\.internal'"):
        client_address("10.0.0.2", [], ["proxy.internal"])


# --- The same across processes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`spotcheck serve` (uvicorn) in its own process, on the test database."""
    with serving(database_url, tmp_path_factory.mktemp("real-server")) as server:
        yield server.url


async def test_a_burst_split_between_two_server_processes_lets_only_the_limit_through(
    client: httpx.AsyncClient, real_server: str, world: World
) -> None:
    # Half the guesses go through a real uvicorn process, half through this process's app: the
    # two share nothing but the database. Each guess through uvicorn also claims another client
    # address in X-Forwarded-For, which neither uvicorn nor the app may believe from 127.0.0.1.
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=real_server, limits=limits, timeout=30) as remote:
        burst = [
            login(remote, "admin", f"guess-{index}", forwarded_for=f"192.0.2.{index}")
            if index % 2
            else login(client, "admin", f"guess-{index}")
            for index in range(40)
        ]
        assert await statuses(asyncio.gather(*burst)) == {401: LIMIT, 429: 40 - LIMIT}
    assert await attempt_rows() == [{"username": "admin", "remote_address": "127.0.0.1"}] * LIMIT
