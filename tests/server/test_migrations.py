"""`spotcheck migrate` builds the whole schema on an empty database, and a second run changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from server import registry
from tests import engines
from tests.conftest import cli_env, run_cli

# Named here too, so that a table dropped from registry.all_tables() by mistake is still noticed.
CORE_TABLES = {"unit", "app_user", "refresh_token", "login_failure", "audit_event"}


def expected_columns() -> dict[str, set[str]]:
    return {
        table._meta.tablename: {column._meta.db_column_name for column in table._meta.columns}
        for table in registry.all_tables()
    }


def migrate(url: str) -> None:
    result = run_cli("migrate", env=cli_env(url))
    assert result.returncode == 0, f"migrate failed:\n{result.stdout}\n{result.stderr}"


def assert_schema_matches(actual: dict[str, set[str]]) -> None:
    expected = expected_columns()
    assert set(expected) >= CORE_TABLES
    missing_tables = set(expected) - set(actual)
    assert not missing_tables, f"migrations do not create {sorted(missing_tables)}"
    for name, columns in expected.items():
        missing = columns - actual[name]
        assert not missing, f"table {name}: migrations do not create columns {sorted(missing)}"


def sqlite_schema(path: Path) -> tuple[dict[str, set[str]], list[tuple[str, str]], int]:
    """Columns per table, the full DDL, and how many migrations are recorded as applied."""
    with sqlite3.connect(path) as connection:
        ddl = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        columns = {
            table: {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
            for table in tables
        }
        applied = connection.execute("SELECT count(*) FROM migration").fetchone()[0]
    return columns, ddl, applied


@pytest.mark.sqlite_only
def test_migrations_build_a_fresh_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    url = f"sqlite:///{path}"

    migrate(url)

    columns, ddl, applied = sqlite_schema(path)
    assert_schema_matches(columns)
    assert applied >= 1

    migrate(url)

    assert sqlite_schema(path) == (columns, ddl, applied)


async def postgres_schema(url: str) -> tuple[dict[str, set[str]], list[tuple[str, ...]], int]:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, column_name"
        )
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        )
        applied = await connection.fetchval("SELECT count(*) FROM migration")
    finally:
        await connection.close()
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    shape = [tuple(row.values()) for row in rows] + [tuple(row.values()) for row in indexes]
    return columns, shape, int(applied)


@pytest.mark.postgres_only
async def test_migrations_build_a_fresh_postgres_database() -> None:
    url = await engines.create()
    try:
        migrate(url)

        columns, shape, applied = await postgres_schema(url)
        assert_schema_matches(columns)
        assert applied >= 1

        migrate(url)

        assert await postgres_schema(url) == (columns, shape, applied)
    finally:
        await engines.drop(url)
