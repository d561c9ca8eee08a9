"""The embedded SQLite database takes a burst of parallel writers without "database is locked".

Each test opens its own engine on its own file (as the app's lifespan does), so it neither sees nor
disturbs the suite's database. SQLite only: the behaviour under test is SQLite's locking.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from server.core import db
from server.core.settings import Settings

pytestmark = pytest.mark.sqlite_only

WRITERS = 120


async def open_engine(path: Path, busy_timeout_seconds: float) -> db.SerialisedSQLiteEngine:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{path}",
        sqlite_busy_timeout_seconds=busy_timeout_seconds,
    )
    engine = db.build_engine(settings)
    assert isinstance(engine, db.SerialisedSQLiteEngine)
    await engine.open()
    await engine.run_ddl("CREATE TABLE attempt (id INTEGER PRIMARY KEY, writer INTEGER, note TEXT)")
    return engine


async def burst_of_writers(engine: SQLiteEngine) -> list[BaseException]:
    """Like a burst of logins or sync batches: read, then a short IMMEDIATE transaction that reads
    and writes, then a write outside any transaction."""

    async def writer(number: int) -> None:
        await engine.run_ddl("SELECT count(*) FROM attempt")
        async with engine.transaction():
            await engine.run_ddl("SELECT count(*) FROM attempt")
            await asyncio.sleep(0)  # the event loop serves other requests mid-transaction
            await engine.run_ddl(f"INSERT INTO attempt (writer) VALUES ({number})")
        await engine.run_ddl(f"UPDATE attempt SET note = 'seen' WHERE writer = {number}")

    results = await asyncio.gather(*(writer(n) for n in range(WRITERS)), return_exceptions=True)
    return [result for result in results if isinstance(result, BaseException)]


async def test_120_parallel_writers_never_find_the_database_locked(tmp_path: Path) -> None:
    engine = await open_engine(tmp_path / "burst.sqlite3", busy_timeout_seconds=15.0)
    try:
        errors = await burst_of_writers(engine)
        rows = await engine.run_ddl("SELECT count(*) AS n FROM attempt WHERE note = 'seen'")
    finally:
        await engine.close()

    assert errors == []
    assert rows[0]["n"] == WRITERS


async def test_writers_queue_in_the_process_instead_of_racing_on_the_busy_timeout(
    tmp_path: Path,
) -> None:
    # A busy timeout far shorter than the burst: writers that polled SQLite's lock would run out
    # of it; writers queued in the process never ask SQLite while another one holds the lock.
    engine = await open_engine(tmp_path / "queue.sqlite3", busy_timeout_seconds=0.5)
    try:
        errors = await burst_of_writers(engine)
        rows = await engine.run_ddl("SELECT count(*) AS n FROM attempt")
    finally:
        await engine.close()

    assert errors == []
    assert rows[0]["n"] == WRITERS


async def test_a_transaction_inside_a_write_transaction_joins_it_instead_of_waiting(
    tmp_path: Path,
) -> None:
    engine = await open_engine(tmp_path / "nested.sqlite3", busy_timeout_seconds=0.5)
    try:
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO attempt (writer) VALUES (1)")
            async with engine.transaction():
                await engine.run_ddl("INSERT INTO attempt (writer) VALUES (2)")
        rows = await asyncio.wait_for(engine.run_ddl("SELECT count(*) AS n FROM attempt"), 5)
    finally:
        await engine.close()

    assert rows[0]["n"] == 2


async def test_the_file_stays_in_wal_mode_with_its_log_kept_while_the_engine_is_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.sqlite3"
    engine = await open_engine(path, busy_timeout_seconds=15.0)
    try:
        await engine.run_ddl("INSERT INTO attempt (writer) VALUES (1)")
        mode = await engine.run_ddl("PRAGMA journal_mode")
        # The keeper connection: closing every per-query connection never deletes the log.
        log_kept = Path(f"{path}-wal").exists()
    finally:
        await engine.close()

    assert mode[0]["journal_mode"] == "wal"
    assert log_kept


# --- Connections kept open between uses -------------------------------------------------------------


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_works(tmp_path: Path) -> None:
    engine = await open_engine(tmp_path / "kept.sqlite3", busy_timeout_seconds=0.5)
    try:
        with pytest.raises(RuntimeError):
            async with engine.transaction():
                await engine.run_ddl("INSERT INTO attempt (writer) VALUES (1)")
                raise RuntimeError("the change failed half-way")
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO attempt (writer) VALUES (2)")
        rows = await engine.run_ddl("SELECT writer FROM attempt")
    finally:
        await engine.close()

    assert rows == [{"writer": 2}]


async def test_a_writer_connection_left_inside_a_transaction_is_replaced(tmp_path: Path) -> None:
    engine = await open_engine(tmp_path / "stuck.sqlite3", busy_timeout_seconds=0.5)
    try:
        async with engine.writers.lock():
            stuck = await engine.writer_connection()
            await stuck.execute("BEGIN IMMEDIATE")  # as if its last user could not end it
            await stuck.execute("INSERT INTO attempt (writer) VALUES (1)")
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO attempt (writer) VALUES (2)")
        rows = await engine.run_ddl("SELECT writer FROM attempt")
        async with engine.writers.lock():
            replaced = await engine.writer_connection() is not stuck
    finally:
        await engine.close()

    assert replaced
    assert rows == [{"writer": 2}]  # the stuck transaction's row was never committed


async def test_reads_reuse_their_connections_and_a_failed_read_gives_its_own_up(
    tmp_path: Path,
) -> None:
    engine = await open_engine(tmp_path / "readers.sqlite3", busy_timeout_seconds=0.5)
    try:
        await engine.run_ddl("SELECT count(*) FROM attempt")
        first = engine._kept_here().readers[-1]
        await engine.run_ddl("SELECT count(*) FROM attempt")
        again = engine._kept_here().readers[-1]
        with pytest.raises(Exception, match="no such table"):
            await engine.run_ddl("SELECT * FROM no_such_table")
        after_failure = list(engine._kept_here().readers)
        with pytest.raises(ValueError, match="no active connection"):
            await first.execute("SELECT 1")  # closed, not left open on the side
    finally:
        await engine.close()

    assert again is first
    assert first not in after_failure  # it took the failed read and was given up, not kept
