"""The database engine, transactions, and the few engine-specific features, all in one place.

Piccolo tables are bound to an engine at start-up (``bind_engine``) rather than through a global
``piccolo_conf`` lookup, so one process can build an app for SQLite or PostgreSQL from its settings.
Every write goes through :func:`write_transaction`; on SQLite that is ``BEGIN IMMEDIATE`` so that two
writers queue on the busy timeout instead of failing half-way with "database is locked".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from server.settings import Settings


class _PoolWithAcquireTimeout:
    """Wraps an asyncpg pool so that ``acquire()`` gives up after a bounded wait.

    Piccolo calls ``pool.acquire()`` with no timeout, so an exhausted pool would hang a request
    forever; a clear error after a few seconds is better for the phone and for the operator.
    """

    def __init__(self, pool: Any, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return self._pool.acquire(timeout=timeout or self._timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class BoundedPostgresEngine(PostgresEngine):
    """A PostgresEngine whose pool waits a bounded time for a free connection."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    async def start_connection_pool(self, **kwargs: Any) -> None:
        await super().start_connection_pool(**kwargs)
        if self.pool is not None:
            self.pool = _PoolWithAcquireTimeout(self.pool, self.acquire_timeout)  # type: ignore[assignment]


def build_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=settings.sqlite_busy_timeout_seconds)
    url = settings.database_url.replace("postgres://", "postgresql://", 1)
    return BoundedPostgresEngine(
        config={"dsn": url}, acquire_timeout=settings.db_acquire_timeout_seconds
    )


class _Database:
    engine: Engine | None = None


_database = _Database()


def all_tables() -> list[type[Table]]:
    """Every table of every package, imported here so binding covers them all."""
    from checklists import tables as checklist_tables
    from mobile_api import tables as mobile_tables
    from reports import tables as report_tables
    from server.actions import tables as action_tables
    from server.audit import tables as audit_tables
    from server.auth import tables as auth_tables
    from server.inspections import tables as inspection_tables
    from server.notifications import tables as notification_tables
    from server.plans import tables as plan_tables
    from server.units import tables as unit_tables
    from server.users import tables as user_tables

    modules = [
        unit_tables,
        user_tables,
        auth_tables,
        audit_tables,
        checklist_tables,
        plan_tables,
        inspection_tables,
        mobile_tables,
        action_tables,
        notification_tables,
        report_tables,
    ]
    return [table for module in modules for table in module.TABLES]


def bind_engine(engine: Engine) -> None:
    _database.engine = engine
    for table in all_tables():
        table._meta.db = engine


def engine() -> Engine:
    if _database.engine is None:
        raise RuntimeError("No database engine is bound; build the app with create_app() first")
    return _database.engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def open_database(settings: Settings) -> None:
    """Open the pool (PostgreSQL) or set the file's pragmas (SQLite); run in the app lifespan."""
    current = engine()
    if isinstance(current, PostgresEngine):
        await current.start_connection_pool(max_size=settings.db_pool_max_size)
    else:
        # WAL lets readers go on while one writer commits; the setting persists in the file.
        await current.run_ddl("PRAGMA journal_mode=WAL")


async def close_database() -> None:
    current = engine()
    if isinstance(current, PostgresEngine) and current.pool is not None:
        await current.close_connection_pool()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A short write transaction. Keep network calls, hashing and rendering out of it."""
    current = engine()
    if isinstance(current, SQLiteEngine):
        async with current.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with current.transaction():
            yield


async def lock_for_append(name: str) -> None:
    """Serialise appenders of one logical sequence (the audit chain) inside a transaction.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, because the IMMEDIATE
    write transaction already holds the database's single write lock.
    """
    if is_postgres():
        await engine().run_ddl(f"SELECT pg_advisory_xact_lock(hashtext('{_safe_name(name)}'))")


def skip_locked_clause() -> str:
    """Row-claim suffix for queues: SKIP LOCKED where the engine has it."""
    return " FOR UPDATE SKIP LOCKED" if is_postgres() else ""


async def ping() -> None:
    await engine().run_ddl("SELECT 1")


def _safe_name(name: str) -> str:
    if not name.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"unsafe lock name {name!r}")
    return name


def is_unique_violation(error: BaseException) -> bool:
    """True for a unique-constraint failure on either engine (a race lost to another writer)."""
    import sqlite3

    import asyncpg

    if isinstance(error, asyncpg.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error).upper()


@dataclass(frozen=True)
class JsonArraySource:
    """Rows of a JSON array column, for aggregating inside JSON documents in SQL.

    ``from_sql`` follows ``FROM <table>``; ``text(key)`` and ``number(key)`` read a member of each
    element. PostgreSQL: ``json_array_elements`` (a lateral join); SQLite: ``json_each``.
    """

    from_sql: str
    alias: str
    postgres: bool

    def text(self, key: str) -> str:
        _safe_name(key)
        if self.postgres:
            return f"({self.alias} ->> '{key}')"
        return f"json_extract({self.alias}.value, '$.{key}')"

    def number(self, key: str) -> str:
        return f"({self.text(key)})::double precision" if self.postgres else self.text(key)


def json_array_source(column: str, key: str, alias: str) -> JsonArraySource:
    for name in (column, key, alias):
        _safe_name(name)
    if is_postgres():
        return JsonArraySource(
            f"CROSS JOIN LATERAL json_array_elements({column} -> '{key}') AS {alias}", alias, True
        )
    return JsonArraySource(f", json_each({column}, '$.{key}') AS {alias}", alias, False)


def json_text_mentions(column: str, value: str) -> WhereRaw:
    """Rows whose JSON column holds ``value`` as a whole string anywhere in it (e.g. a hash in a
    list of evidence hashes), on both engines: the column's text is searched for ``"value"``.

    It reads every row of the table, so keep it for values that are rare and rarely asked about
    (an evidence hash behind a screen that caches the answer for a year)."""
    _safe_name(column)
    if not value.isalnum():
        raise ValueError(f"unsafe value {value!r}")
    return WhereRaw(f"CAST({column} AS TEXT) LIKE {{}}", f'%"{value}"%')


async def lock_row(table_name: str, row_id: Any) -> None:
    """Hold the row until the transaction ends, so read-check-write sequences on it serialise.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite: nothing to do; the IMMEDIATE write transaction
    already excludes every other writer.
    """
    if is_postgres():
        _safe_name(table_name)
        await engine().run_querystring(
            QueryString(f"SELECT id FROM {table_name} WHERE id = {{}} FOR UPDATE", row_id)  # noqa: S608
        )


async def rewrite_prefix(table_name: str, column: str, old_prefix: str, new_prefix: str) -> None:
    """Replace a leading ``old_prefix`` by ``new_prefix`` in every row (tree paths after a move)."""
    _safe_name(table_name)
    _safe_name(column)
    await engine().run_querystring(
        QueryString(
            f"UPDATE {table_name} SET {column} = {{}} || substr({column}, {{}}) "  # noqa: S608
            f"WHERE {column} LIKE {{}}",
            new_prefix,
            len(old_prefix) + 1,
            f"{old_prefix}%",
        )
    )
