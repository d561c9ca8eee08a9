"""Shared fixtures: one database per test run (SQLite file or the PostgreSQL database that
`make test` created), migrated once by the real `spotcheck migrate`, emptied before every test."""

from __future__ import annotations

import gc
import inspect
import io
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import UUID, uuid4

import httpx
import pytest
from litestar import Litestar

from server import cli, registry
from server.core import db
from server.core.settings import Settings
from tests import engines

TEST_PASSWORD = "correct-horse-battery-staple"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# Notification targets may not reach inside; the tests' real peers listen on 127.0.0.1.
TEST_NOTIFY_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


def engine_name() -> str:
    url = os.environ.get("SPOTCHECK_TEST_DATABASE_URL", "")
    return "postgres" if url.startswith("postgres") else "sqlite"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Every async test runs under anyio, marked before parametrization sees it."""
    if inspect.iscoroutinefunction(obj) and name.startswith("test"):
        pytest.mark.anyio(obj)


# A test that reaches a database does so through one of these fixtures (the suite's database, or
# the browser tests' live server with its own). A test that uses neither runs the same on either
# engine, so it runs in one pass only: the SQLite pass, or, when `make test` runs both passes at
# once (it sets SPOTCHECK_TEST_BOTH_PASSES=1), the PostgreSQL pass for the folders below, which
# evens out the two passes' lengths.
DATABASE_FIXTURES = frozenset({"database_url", "live_server"})
ENGINE_FREE_ON_POSTGRES = ("tests/checklists/",)


def _engine_free(item: pytest.Item) -> bool:
    return not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())) and not (
        item.get_closest_marker("postgres_only") or item.get_closest_marker("sqlite_only")
    )


def _pass_for_engine_free(item: pytest.Item) -> str:
    if os.environ.get("SPOTCHECK_TEST_BOTH_PASSES") == "1" and item.nodeid.startswith(
        ENGINE_FREE_ON_POSTGRES
    ):
        return "postgres"
    return "sqlite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    current = engine_name()
    if os.environ.get("SPOTCHECK_TEST_EVERYTHING_TWICE") != "1":
        elsewhere = [
            item for item in items if _engine_free(item) and _pass_for_engine_free(item) != current
        ]
        if elsewhere:
            config.hook.pytest_deselected(items=elsewhere)
            left = set(map(id, elsewhere))
            items[:] = [item for item in items if id(item) not in left]
    for item in items:
        if current == "sqlite" and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="runs only against PostgreSQL"))
        if current == "postgres" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="runs only against SQLite"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The cyclic garbage collector, tuned for a test run: what is alive once the tests are
    collected (the imported packages, the collected tests: about 240,000 objects) stays alive to
    the end, so it is moved out of the collector's sight (gc.freeze), and the youngest generation
    is collected every 10,000 new objects instead of 700. Every full collection walked the whole
    heap, about 0.2 s each: measured without the browser tests, the collector took 6.2 s of CPU
    on the SQLite pass (22 full collections) and 9.1 s on the PostgreSQL pass (25), and 2.1 s and
    3.9 s with this. Nothing is kept that would have been freed, only freed later; the unraisable
    exceptions of objects freed late are still reported at the end of the run."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def pytest_report_header(config: pytest.Config) -> str:
    return f"spotcheck database engine: {engine_name()}"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    """Argon2 at production strength costs ~130 ms a login; the suite logs in hundreds of times.
    Tests of hashing itself read the hash's own parameters, which this does not change."""
    from argon2 import PasswordHasher

    from server.core import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def run_cli(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`spotcheck …` as a separate process: for what only a process shows (its exit status as
    the shell sees it, the settings check before anything starts, imports, signals). Everything
    else calls the command in this process with the `spotcheck` fixture, a second faster."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("SPOTCHECK_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url:
        # Each pytest-xdist worker has a temporary directory, so a database, of its own.
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'spotcheck-test.sqlite3'}"
    elif worker:
        url = engines.for_worker(url, worker)
    result = run_cli("migrate", env=cli_env(url))
    assert result.returncode == 0, f"migrations failed:\n{result.stdout}\n{result.stderr}"
    return url


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_ENVIRONMENT": "test",
        "SPOTCHECK_SECRET_KEY": TEST_SECRET,
        # The local SMTP server and webhook receiver of the tests (as `make run` allows them).
        "SPOTCHECK_NOTIFY_ALLOWED_HOSTS": ",".join(TEST_NOTIFY_ALLOWED_HOSTS),
        **extra,
    }


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


Spotcheck = Callable[..., CommandResult]


@pytest.fixture
def spotcheck(settings: Settings, client: httpx.AsyncClient, database_url: str) -> Spotcheck:
    """Runs `spotcheck <args>` in this process, against the test database, as `run_cli` would.

    The command binds the tables to an engine of its own and runs its own event loop
    (`server.cli._with_database`), so it runs in a thread, with the test's loop waiting for it
    (nothing else touches the tables meanwhile), and the app's engine and wiring are put back
    afterwards for the session's `client`. Password hashing keeps the suite's cheap parameters.
    """
    from server.wiring import wire_packages

    def run(*args: str, stdin: str | None = None, **extra_env: str) -> CommandResult:
        engine, tables = db.engine(), db.bound_tables()
        stdout, stderr = io.StringIO(), io.StringIO()

        def call() -> int:
            # What the command logs would have reached a process's standard error too.
            log_handler = logging.StreamHandler(stderr)
            logging.getLogger().addHandler(log_handler)
            try:
                with (
                    patch.dict(os.environ, cli_env(database_url, **extra_env)),
                    patch.object(sys, "stdin", io.StringIO(stdin or "")),
                    redirect_stdout(stdout),
                    redirect_stderr(stderr),
                ):
                    return cli.main(list(args))
            finally:
                logging.getLogger().removeHandler(log_handler)

        try:
            with ThreadPoolExecutor(max_workers=1) as executor:
                returncode = executor.submit(call).result()
        finally:
            db.bind_engine(engine, tables)
            wire_packages(settings)
        return CommandResult(returncode, stdout.getvalue(), stderr.getvalue())

    return run


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        media_dir=tmp_path_factory.mktemp("media"),
        public_base_url="http://testserver.local",
        notify_allowed_hosts=TEST_NOTIFY_ALLOWED_HOSTS,
        # In-process tests chain the audit log when they mean to (audit_service.seal()); a sealer
        # running beside them would race the tables they empty between tests.
        audit_seal_interval_seconds=0,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    from server.app import create_app

    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in the test's own event loop.

    (Litestar's AsyncTestClient runs the app in a portal thread with its own loop; the
    PostgreSQL pool would then belong to a loop that the fixtures cannot use.)"""
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local"
        ) as test_client:
            yield test_client


async def empty_all_tables() -> None:
    """DELETE, in one transaction, not TRUNCATE: the tables of a test hold a few rows, and on
    PostgreSQL a TRUNCATE of every table makes new files for each and flushes them (measured: a
    DELETE of all 27 tables takes under a millisecond, the TRUNCATE 0.1–0.9 s, per test). Any
    order will do: the schema's one foreign key (an inspection's answers) cascades."""
    names = [table._meta.tablename for table in registry.all_tables()]
    # Which tables hold rows, in one query: a test writes to a handful of the 27, and each
    # statement is a round trip (a thread hop on SQLite), so DELETE only those. Asked inside the
    # write transaction: on SQLite it holds the write lock, so nothing can add rows between the
    # question and the DELETEs; on PostgreSQL nothing else writes between two tests.
    holding_rows = " UNION ALL ".join(
        f"SELECT '{name}' AS name WHERE EXISTS (SELECT 1 FROM {name})" for name in names
    )
    # One commit, not one per table: a third of what a test's fresh world costs on SQLite.
    async with db.write_transaction():
        for row in await db.engine().run_ddl(holding_rows):
            await db.engine().run_ddl(f"DELETE FROM {row['name']}")


@pytest.fixture
async def clean_database(client: httpx.AsyncClient) -> None:
    """Empty every table before each test so tests never see each other's rows."""
    await empty_all_tables()


_password_hash_cache: dict[str, str] = {}


async def test_password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared test password once per run."""
    if "hash" not in _password_hash_cache:
        from server.core import passwords

        _password_hash_cache["hash"] = await passwords.hash_password(TEST_PASSWORD)
    return _password_hash_cache["hash"]


@dataclass
class World:
    """A small unit tree and one user per role and place, for scope tests.

    province P ─┬─ department P-DEPT
                ├─ district D1 ─┬─ commune C1 ── service center C1-SC
                │               └─ commune C2
                └─ district D2 ──── commune C3
    """

    units: dict[str, UUID]
    users: dict[str, UUID]

    async def add_user(self, username: str, role: str, unit_code: str) -> UUID:
        """Insert a user homed at `unit_code` with the shared test password (hashed once)."""
        from server.users.tables import AppUser

        user = self._user_row(username, role, unit_code, await test_password_hash())
        await AppUser.insert(user)
        return user.id

    def _user_row(self, username: str, role: str, unit_code: str, password_hash: str) -> Any:
        """The `AppUser` row of `add_user`, its id noted in `users`."""
        from server.users.tables import AppUser

        now = datetime.now(UTC)
        user_id = uuid4()
        self.users[username] = user_id
        return AppUser(
            id=user_id,
            username=username,
            full_name=f"User {username}",
            role=role,
            home_unit_id=self.units[unit_code],
            password_hash=password_hash,
            language="vi",
            active=True,
            created_at=now,
            updated_at=now,
        )

    async def login(self, client: httpx.AsyncClient, username: str) -> dict[str, str]:
        response = await client.post(
            "/api/v1/auth/login",
            json={"username": username, "password": TEST_PASSWORD, "device_name": "pytest"},
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


WORLD_UNITS = [
    ("P", None, "province"),
    ("P-DEPT", "P", "department"),
    ("D1", "P", "district"),
    ("C1", "D1", "commune"),
    ("C1-SC", "C1", "service_center"),
    ("C2", "D1", "commune"),
    ("D2", "P", "district"),
    ("C3", "D2", "commune"),
]
WORLD_USERS = [
    ("admin", "admin", "P"),
    ("leader_p", "leader", "P"),
    ("leader_d1", "leader", "D1"),
    ("inspector", "inspector", "P-DEPT"),
    ("inspector2", "inspector", "P-DEPT"),
    ("head_c1", "unit_head", "C1"),
    ("head_c2", "unit_head", "C2"),
    ("head_d1", "unit_head", "D1"),
    ("head_c3", "unit_head", "C3"),
]


async def build_world() -> World:
    """The units and users of `World`, written in one transaction (one commit, not two)."""
    await test_password_hash()  # hashed (once per run) before the transaction, not inside it
    async with db.write_transaction():
        return await _insert_world()


async def _insert_world() -> World:
    """Two INSERTs of many rows (units, then users), not seventeen: each statement is a round trip
    (a thread hop on SQLite), and every test that takes the `world` pays them."""
    from server.units.tables import Unit
    from server.users.tables import AppUser

    now = datetime.now(UTC)
    units: dict[str, UUID] = {}
    paths: dict[str, str] = {}
    unit_rows = []
    for index, (code, parent, kind) in enumerate(WORLD_UNITS):
        unit_id = uuid4()
        path = (paths[parent] if parent else "/") + f"{unit_id}/"
        units[code], paths[code] = unit_id, path
        unit_rows.append(
            Unit(
                id=unit_id,
                code=code,
                name_vi=f"Đơn vị {code}",
                name_en=f"Unit {code}",
                kind=kind,
                parent_id=units[parent] if parent else None,
                path=path,
                depth=path.count("/") - 2,
                latitude=20.25 + index * 0.01,
                longitude=106.2 + index * 0.01,
                geofence_radius_m=300,
                time_zone="Asia/Ho_Chi_Minh",
                language="vi",
                active=True,
                notification_targets=[],
                created_at=now,
                updated_at=now,
            )
        )
    await Unit.insert(*unit_rows)
    world = World(units=units, users={})
    password_hash = await test_password_hash()
    await AppUser.insert(
        *(
            world._user_row(name, role, unit_code, password_hash)
            for name, role, unit_code in WORLD_USERS
        )
    )
    return world


@pytest.fixture
async def world(clean_database: None) -> World:
    return await build_world()


def problem_detail(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert body["detail"], body
    return str(body["detail"])


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """moto's standalone S3 server on 127.0.0.1, for the tests that store files in a bucket
    (started on first use, once per run; each test takes a bucket of its own)."""
    from tests.s3_peer import running_s3

    with running_s3(tmp_path_factory.mktemp("moto")) as peer:
        yield peer
