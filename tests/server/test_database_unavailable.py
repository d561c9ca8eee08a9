"""A database that is briefly unreachable answers 503 problem+json with Retry-After, not 500, and
the API recovers by itself when it is back.

The outage tests swap the suite's engine for one on a database that then goes away (an SQLite file
whose folder disappears; a PostgreSQL reached through a local relay that is shut), and put the
suite's engine back afterwards. The machine's PostgreSQL server is never stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from server.core import db, errors
from server.core.settings import Settings
from server.units import services as unit_service
from tests.conftest import World, problem_detail

LOGIN = {"username": "nobody-here", "password": "wrong", "device_name": "pytest"}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    problem_detail(response)
    assert response.json()["type"] == errors.problem_type(503)
    assert response.headers["retry-after"] == str(errors.DATABASE_RETRY_AFTER_SECONDS)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        ConnectionResetError(),
        TimeoutError(),  # the pool's bounded acquire
        socket.gaierror(-2, "Name or service not known"),  # the host name does not resolve
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        sqlite3.OperationalError("unable to open database file"),
        sqlite3.OperationalError("database is locked"),
    ],
    ids=repr,
)
def test_these_errors_mean_the_database_is_unavailable(error: BaseException) -> None:
    assert db.is_unavailable(error)


def test_a_wrapped_connection_error_is_found_through_its_cause() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError as cause:
            raise RuntimeError("query failed") from cause
    except RuntimeError as error:
        assert db.is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("boom"),
        FileNotFoundError("media/abc.jpg"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        sqlite3.OperationalError("no such table: unit"),
        sqlite3.IntegrityError("UNIQUE constraint failed: unit.code"),
        ValueError("bad"),
    ],
    ids=repr,
)
def test_bugs_and_conflicts_are_not_unavailability(error: BaseException) -> None:
    assert not db.is_unavailable(error)


async def test_a_connection_error_in_a_service_is_a_503_with_retry_after(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await world.login(client, "admin")

    async def database_restarting(**kwargs: object) -> None:
        raise asyncpg.CannotConnectNowError("the database system is starting up")

    monkeypatch.setattr(unit_service, "list_units", database_restarting)
    response = await client.get("/api/v1/units", headers=headers)

    assert_unavailable(response)


@contextlib.asynccontextmanager
async def engine_swapped(engine: object) -> AsyncIterator[None]:
    original = db.engine()
    db.bind_engine(engine, db.bound_tables())  # type: ignore[arg-type]
    try:
        yield
    finally:
        db.bind_engine(original, db.bound_tables())


@pytest.mark.sqlite_only
async def test_an_sqlite_file_that_cannot_be_opened_is_503_until_it_is_back(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "volume"
    path = folder / "spotcheck.sqlite3"
    outage_settings = settings.model_copy(update={"database_url": f"sqlite:///{path}"})
    engine = db.build_engine(outage_settings)  # creates the folder
    with sqlite3.connect(settings.sqlite_path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)  # the suite's migrated schema
    (tmp_path / "unmounted").mkdir()
    folder.rename(tmp_path / "unmounted" / "volume")  # the volume is gone

    async with engine_swapped(engine):
        during = await client.post("/api/v1/auth/login", json=LOGIN)
        (tmp_path / "unmounted" / "volume").rename(folder)  # and back
        after = await client.post("/api/v1/auth/login", json=LOGIN)

    assert_unavailable(during)
    assert after.status_code == 401, after.text


class Relay:
    """A TCP relay to PostgreSQL on a local port that can be shut and opened again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def shut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self.writers -= {writer, upstream_writer}


@pytest.mark.postgres_only
async def test_postgresql_going_away_is_503_and_the_api_recovers_by_itself(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    url = urlsplit(settings.database_url)
    relay = Relay(url.hostname or "127.0.0.1", url.port or 5432)
    await relay.open()
    netloc = url.netloc.rsplit("@", 1)
    credentials = netloc[0] + "@" if len(netloc) == 2 else ""
    relayed = url._replace(netloc=f"{credentials}127.0.0.1:{relay.port}")
    # Built on the real address: Piccolo checks the server's version synchronously while it builds
    # an engine, which would wait on a relay served by this (then blocked) event loop.
    engine = db.BoundedPostgresEngine(config={"dsn": settings.database_url}, acquire_timeout=2.0)
    engine.config["dsn"] = urlunsplit(relayed)
    await engine.start_connection_pool(min_size=1, max_size=2)
    try:
        async with engine_swapped(engine):
            before = await client.post("/api/v1/auth/login", json=LOGIN)
            await relay.shut()  # PostgreSQL "restarts": connections drop, new ones are refused
            during = [await client.post("/api/v1/auth/login", json=LOGIN) for _ in range(2)]
            await relay.open()  # back, on the same port
            after = await client.post("/api/v1/auth/login", json=LOGIN)
    finally:
        await engine.close_connection_pool()
        await relay.shut()

    assert before.status_code == 401, before.text
    for response in during:
        assert_unavailable(response)
    assert after.status_code == 401, after.text
