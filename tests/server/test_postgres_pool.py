"""The PostgreSQL pool hands connections back without asyncpg's reset round trip
(`BoundedPostgresEngine`), and that must not let one use's state reach the next: an open
transaction is still rolled back when its connection goes back to the pool."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.core import db
from server.core.settings import Settings

pytestmark = pytest.mark.postgres_only


async def test_a_connection_given_back_mid_transaction_is_rolled_back(database_url: str) -> None:
    engine = db.build_engine(Settings(environment="test", database_url=database_url))
    assert isinstance(engine, db.BoundedPostgresEngine)
    await engine.start_connection_pool(min_size=1, max_size=1)
    try:
        async with engine.pool.acquire() as connection:
            await connection.execute("CREATE TEMP TABLE IF NOT EXISTS pool_probe (n int)")
            await connection.execute("BEGIN")
            await connection.execute("INSERT INTO pool_probe VALUES (1)")
            # Given back without COMMIT or ROLLBACK, as after a crash in the middle of a use.
        async with engine.pool.acquire() as connection:  # the same one: the pool holds one
            in_transaction = connection.is_in_transaction()
            rows = await connection.fetch("SELECT n FROM pool_probe")
    finally:
        await engine.close_connection_pool()

    assert not in_transaction
    assert rows == []  # the half-done insert is gone; the table itself, a session's, stays


def test_a_pool_smaller_than_asyncpgs_default_minimum_opens(database_url: str) -> None:
    # asyncpg opens 10 connections by default and refused a maximum below that: a server told
    # SPOTCHECK_DB_POOL_MAX_SIZE=2 did not start.
    script = (
        "import asyncio\n"
        "from server import registry\n"
        "from server.core import db\n"
        "from server.core.settings import Settings\n"
        "async def main():\n"
        f"    settings = Settings(environment='test', database_url={database_url!r},\n"
        "                        db_pool_max_size=2)\n"
        "    db.bind_engine(db.build_engine(settings), registry.all_tables())\n"
        "    await db.open_database(settings)\n"
        "    try:\n"
        "        pool = db.engine().pool\n"
        "        print(pool.get_max_size(), pool.get_min_size(), await pool.fetchval('SELECT 1'))\n"
        "    finally:\n"
        "        await db.close_database()\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "2", "1"]
