"""`spotcheck migrate` builds the whole schema on an empty database with no index that another
already covers, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
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


# An index is covered when it is not unique and not partial, and another index of its table that
# is not partial begins with the same columns in the same collations: every lookup it answers, the
# other answers too, and it only costs writes (server_2026_12_01t16_00_00_000000.py).
SQLITE_INDEXES = """
SELECT m.tbl_name, l.name, l."unique", l.partial,
       (SELECT group_concat(x.name || ' ' || x.coll, ', ') FROM pragma_index_xinfo(l.name) AS x
        WHERE x.key ORDER BY x.seqno)
FROM sqlite_master AS m, pragma_index_list(m.name) AS l
WHERE m.type = 'table'
"""
POSTGRES_INDEXES = """
SELECT i.indrelid::regclass::text, c.relname, i.indisunique, i.indpred IS NOT NULL,
       i.indkey::text || ' / ' || i.indcollation::text || ' / ' || i.indclass::text
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND i.indexprs IS NULL
"""


def covered_indexes(rows: list[tuple[str, str, bool, bool, str]]) -> list[str]:
    """'index < covering index' for each index another begins with. A row: table, index name,
    unique, partial, and its key as "part, part" (SQLite) or "keys / collations / operator
    classes" with space-separated parts (PostgreSQL)."""

    def parts(key: str) -> list[list[str]]:
        if " / " in key:
            return [field.split() for field in key.split(" / ")]
        return [key.split(", ")]

    found = []
    for table, name, unique, partial, key in rows:
        if unique or partial:
            continue
        mine = parts(key)
        for other_table, other, _, other_partial, other_key in rows:
            theirs = parts(other_key)
            if other_table != table or other == name or other_partial:
                continue
            if all(field[: len(part)] == part for part, field in zip(mine, theirs, strict=True)):
                found.append(f"{table}: {name} < {other}")
    return found


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
    with sqlite3.connect(path) as connection:
        indexes = connection.execute(SQLITE_INDEXES).fetchall()
    assert len(indexes) > 50
    assert not covered_indexes(indexes), covered_indexes(indexes)

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
        connection = await asyncpg.connect(url, timeout=10)
        try:
            indexes = [tuple(row.values()) for row in await connection.fetch(POSTGRES_INDEXES)]
        finally:
            await connection.close()
        assert len(indexes) > 50
        assert not covered_indexes(indexes), covered_indexes(indexes)

        migrate(url)

        assert await postgres_schema(url) == (columns, shape, applied)
    finally:
        await engines.drop(url)


# --- The section scores' backfill ----------------------------------------------------------------

# The last migration before section scores became rows, and two inspections scored before it.
BEFORE_SECTION_ROWS = "2026-11-30T12:30:00:000000"
SCORED = uuid.UUID("00000000-0000-4000-8000-000000000001")
UNSCORED = uuid.UUID("00000000-0000-4000-8000-000000000002")
OLD_SCORE = {
    "total": 70.0,
    "sections": [
        {"key": "A", "earned": 14.0, "possible": 20.0, "score": 70.0},
        {"key": "B", "earned": 0.0, "possible": 0.0, "score": None},
        {"key": "C", "earned": 15.0, "possible": 15.0, "score": 100.0},
    ],
}
EXPECTED_ROWS = [(SCORED, 0, "A", 70.0, 14.0, 20.0), (SCORED, 1, "B", None, 0.0, 0.0),
                 (SCORED, 2, "C", 100.0, 15.0, 15.0)]  # fmt: skip


def migrate_server_to(url: str, migration_id: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "server", migration_id],
        env={**os.environ, **cli_env(url), "PICCOLO_CONF": "server.piccolo_conf"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"migrate failed:\n{result.stdout}\n{result.stderr}"


INSERT_INSPECTION = (
    "INSERT INTO inspection (id, unit_id, unit_path, checklist_version_id, status, visit_date, "
    "team_head_id, flags, score, total_score) VALUES "
)


@pytest.mark.sqlite_only
def test_section_scores_are_backfilled_from_inspections_scored_before_sqlite(
    tmp_path: Path,
) -> None:
    path = tmp_path / "upgraded.sqlite3"
    url = f"sqlite:///{path}"
    migrate_server_to(url, BEFORE_SECTION_ROWS)
    with sqlite3.connect(path) as connection:
        for inspection_id, score in ((SCORED, OLD_SCORE), (UNSCORED, None)):
            connection.execute(
                INSERT_INSPECTION + "(?, ?, '/u/', ?, 'submitted', '2026-11-01', ?, '[]', ?, ?)",
                (
                    str(inspection_id),
                    str(uuid.uuid4()),
                    str(uuid.uuid4()),
                    str(uuid.uuid4()),
                    None if score is None else json.dumps(score),
                    None if score is None else score["total"],
                ),
            )

    migrate(url)

    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT inspection_id, position, section_key, score, earned, possible, id "
            "FROM inspection_section_score ORDER BY position"
        ).fetchall()
    assert [(uuid.UUID(row[0]), *row[1:6]) for row in rows] == EXPECTED_ROWS
    ids = [uuid.UUID(row[6]) for row in rows]  # real version-4 UUIDs, as Python makes them
    assert len(set(ids)) == 3 and all(each.version == 4 for each in ids)


@pytest.mark.postgres_only
async def test_section_scores_are_backfilled_from_inspections_scored_before_postgres() -> None:
    url = await engines.create()
    try:
        migrate_server_to(url, BEFORE_SECTION_ROWS)
        connection = await asyncpg.connect(url, timeout=10)
        try:
            for inspection_id, score in ((SCORED, OLD_SCORE), (UNSCORED, None)):
                await connection.execute(
                    INSERT_INSPECTION
                    + "($1, $2, '/u/', $3, 'submitted', '2026-11-01', $4, '[]', $5, $6)",
                    inspection_id,
                    uuid.uuid4(),
                    uuid.uuid4(),
                    uuid.uuid4(),
                    None if score is None else json.dumps(score),
                    None if score is None else score["total"],
                )
        finally:
            await connection.close()

        migrate(url)

        connection = await asyncpg.connect(url, timeout=10)
        try:
            rows = await connection.fetch(
                "SELECT inspection_id, position, section_key, score, earned, possible, id "
                "FROM inspection_section_score ORDER BY position"
            )
        finally:
            await connection.close()
        assert [tuple(row.values())[:6] for row in rows] == EXPECTED_ROWS
        assert len({row["id"] for row in rows}) == 3
    finally:
        await engines.drop(url)
