"""Creates and drops the throw-away PostgreSQL database that `make test` runs the suite against.

`python -m tests.engines create` prints the new database's URL. When PostgreSQL cannot be reached it
exits 3 (the PostgreSQL run is skipped with a warning), except under CI=true, where it exits 1 so the
run fails loudly instead of passing on SQLite alone.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import asyncpg

ADMIN_URL = os.environ.get(
    "SPOTCHECK_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def create(name: str | None = None) -> str:
    name = name or f"spotcheck_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        # A throw-away database need not wait for each commit to reach the disk: the suite commits
        # thousands of times, and a crash loses nothing a test needs (the database is dropped).
        # Everything else about a commit (visibility, locks, constraints) is unchanged.
        await connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await connection.close()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def for_worker(url: str, worker: str) -> str:
    """The database of one pytest-xdist worker (`worker` is e.g. "gw0") of the run on `url`: a
    database of its own, created here, named after the run's and dropped with it."""
    return asyncio.run(create(f"{url.rsplit('/', 1)[1]}_{worker}"))


async def drop(url: str) -> None:
    """Drop the run's database and its workers' databases."""
    name = url.rsplit("/", 1)[1]
    if not name.startswith("spotcheck_test_"):
        raise SystemExit(f"refusing to drop {name!r}: not a test database")
    connection = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        workers = await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{name}\\_gw%"
        )
        for each in [name, *(row["datname"] for row in workers)]:
            await connection.execute(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "create":
        try:
            print(asyncio.run(create()))
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            in_ci = os.environ.get("CI", "").lower() == "true"
            print(f"PostgreSQL is not reachable at {ADMIN_URL}: {error}", file=sys.stderr)
            if in_ci:
                print("CI=true: failing instead of skipping the PostgreSQL run.", file=sys.stderr)
                return 1
            return 3
        return 0
    if command == "drop" and len(sys.argv) == 3:
        asyncio.run(drop(sys.argv[2]))
        return 0
    print("usage: python -m tests.engines create | drop URL", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
