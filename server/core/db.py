"""The database engine, transactions, and the few engine-specific features, all in one place.

Piccolo tables are bound to an engine at start-up (``bind_engine``) rather than through a global
``piccolo_conf`` lookup, so one process can build an app for SQLite or PostgreSQL from its settings.
Every write goes through :func:`write_transaction`; on SQLite that is ``BEGIN IMMEDIATE`` so that two
writers queue instead of failing half-way with "database is locked". Within one process, SQLite
writers (transactions and single writing statements alike) also queue on an in-process lock before
they ask SQLite for its write lock: see :class:`SerialisedSQLiteEngine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import json
import os
import socket
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from types import TracebackType
from typing import Any, TypeVar, overload
from uuid import UUID, uuid4
from weakref import WeakKeyDictionary

import aiosqlite
import asyncpg
from asyncpg.pgproto.pgproto import UUID as PostgresUUID
from piccolo.columns import JSON, JSONB, Column
from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo.utils import encoding as piccolo_encoding
from piccolo.utils.encoding import dump_json

from server.core import canonical
from server.core.settings import Settings


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


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing to undo (see BoundedPostgresEngine)."""


class BoundedPostgresEngine(PostgresEngine):
    """A PostgresEngine whose pool waits a bounded time for a free connection."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    async def start_connection_pool(self, **kwargs: Any) -> None:
        # asyncpg resets a connection on every release with one more round trip (unlisten,
        # reset settings, unlock session advisory locks, close cursors). Piccolo takes a
        # connection per query outside a transaction, so that doubled the round trips of every
        # read. The app changes none of that state: its advisory locks are transaction-scoped and
        # it sets, listens and declares nothing. asyncpg still rolls back an open transaction on
        # release whatever `reset` is.
        kwargs.setdefault("reset", _keep_session)
        await super().start_connection_pool(**kwargs)
        if self.pool is not None:
            self.pool = _PoolWithAcquireTimeout(self.pool, self.acquire_timeout)  # type: ignore[assignment]


class _WriterQueue:
    """One FIFO lock per event loop, taken by every SQLite writer of this process.

    Why: SQLite's busy handler is not a queue. A writer that finds the file locked sleeps and polls
    (1 ms, 2 ms, … up to 100 ms at a time), so with a hundred writers some keep losing the race
    until their busy timeout runs out and fail with "database is locked", while the holder itself
    waits for the crowded event loop between its statements. Queuing on an asyncio lock first
    makes the waiters fair and idle; SQLite then sees at most one writer from this process, and the
    busy timeout only arbitrates between processes (the worker, the CLI, other replicas).
    """

    def __init__(self) -> None:
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


@dataclass
class _KeptConnections:
    """The SQLite connections one event loop keeps open between uses: the writer's (used only by
    whoever holds the writer lock) and idle readers for plain SELECTs.

    Piccolo opens a connection per query or transaction, and an aiosqlite connection is a thread
    of its own plus a connect and a pragma: on a phone's sync that was more of the request's time
    than the statements. A connection that failed is closed instead of being kept."""

    writer: aiosqlite.Connection | None = None
    readers: list[aiosqlite.Connection] = dataclasses.field(default_factory=list)


_IDLE_READERS_KEPT = 4


class _SerialisedTransaction(SQLiteTransaction):
    """A transaction that opens its connection first, then queues for the process's writer lock
    before ``BEGIN``, and releases it as soon as it has committed or rolled back. Read-only
    (``DEFERRED``) transactions do not queue: WAL lets them run beside the writer."""

    engine: SerialisedSQLiteEngine
    _writer_lock: asyncio.Lock | None = None

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        if self.transaction_type is TransactionType.deferred:
            self.connection = await self.get_connection()
        else:
            self._writer_lock = self.engine.writers.lock()
            await self._writer_lock.acquire()
            try:
                self.connection = await self.engine.writer_connection()
            except BaseException:
                self._release()
                raise
        try:
            await self.begin()
        except BaseException:
            await self._close_connection(failed=True)
            self._release()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _close_connection(self, *, failed: bool) -> None:
        """Close a connection of its own; keep the writer's, unless it failed or is still inside
        a transaction (then the next writer gets a fresh one)."""
        if self._writer_lock is None:
            await self.connection.close()
        elif failed or self.connection.in_transaction:
            await self.engine.discard_writer_connection()

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._parent:
            return exception is None
        ended = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            ended = True
        finally:
            try:
                await self._close_connection(failed=not ended)
            finally:
                self._release()
                self.engine.current_transaction.reset(self.context)
        return exception is None

    def _release(self) -> None:
        if self._writer_lock is not None:
            self._writer_lock.release()
            self._writer_lock = None


class SerialisedSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with this process's writers queued fairly (see :class:`_WriterQueue`).

    Covers every writer, not only :func:`write_transaction`: a transaction is ``IMMEDIATE`` unless
    asked otherwise, and a statement run outside a transaction that is not a plain ``SELECT``
    (an autocommit ``INSERT``, ``UPDATE``, ``DELETE``, DDL or pragma) queues too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writers = _WriterQueue()
        self._keeper: aiosqlite.Connection | None = None
        self._kept: WeakKeyDictionary[asyncio.AbstractEventLoop, _KeptConnections] = (
            WeakKeyDictionary()
        )

    async def open(self) -> None:
        """Switch the file to WAL and keep one idle connection open until :meth:`close`.

        Piccolo opens a connection per query. Without a keeper, whichever connection happens to
        close last checkpoints the WAL into the file and deletes it, holding an exclusive lock
        meanwhile, and the next writer finds the database locked. The keeper's shared lock means
        no other connection is ever the last; checkpoints then run at commit (SQLite's automatic
        checkpoint, inside the writer's turn) and once at :meth:`close`.
        """
        if self._keeper is not None:
            return
        keeper = await aiosqlite.connect(**self.connection_kwargs)
        # WAL lets readers go on while one writer commits; the setting persists in the file.
        async with self.writers.lock():
            # Each read to the end, or the statement stays open and holds the file's lock. The
            # second one reads the file in WAL mode, which is what opens the keeper's hold on it.
            for statement in ("PRAGMA journal_mode=WAL", "SELECT count(*) FROM sqlite_master"):
                async with keeper.execute(statement) as cursor:
                    await cursor.fetchall()
        self._keeper = keeper

    async def close(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            await keeper.close()
        kept = self._kept.pop(asyncio.get_running_loop(), None)
        if kept is not None:
            for connection in [kept.writer, *kept.readers]:
                if connection is not None:
                    await connection.close()

    def _kept_here(self) -> _KeptConnections:
        loop = asyncio.get_running_loop()
        kept = self._kept.get(loop)
        if kept is None:
            kept = self._kept[loop] = _KeptConnections()
        return kept

    async def _connect(self) -> aiosqlite.Connection:
        """A connection as Piccolo makes one, whose thread does not hold up the process's exit
        (a kept connection may still be open then; SQLite's journal makes that safe)."""
        pending = aiosqlite.connect(**self.connection_kwargs)
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]  # as Piccolo does
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def writer_connection(self) -> aiosqlite.Connection:
        """The kept writer connection; the caller holds the writer lock. One found still inside
        a transaction (its last user could not end it) is replaced, not reused."""
        kept = self._kept_here()
        if kept.writer is not None and kept.writer.in_transaction:
            await self.discard_writer_connection()
        if kept.writer is None:
            kept.writer = await self._connect()
        return kept.writer

    async def discard_writer_connection(self) -> None:
        kept = self._kept_here()
        connection, kept.writer = kept.writer, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to close
                await connection.close()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SerialisedTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        if _is_plain_select(query):
            kept = self._kept_here()
            connection = kept.readers.pop() if kept.readers else await self._connect()
            try:
                async with connection.execute(query, args or []) as cursor:
                    rows = await cursor.fetchall()
            except BaseException:
                await connection.close()
                raise
            if len(kept.readers) < _IDLE_READERS_KEPT:
                kept.readers.append(connection)
            else:
                await connection.close()
            return rows
        async with self.writers.lock():
            connection = await self.writer_connection()
            try:
                async with connection.execute(query, args or []) as cursor:
                    await connection.commit()
                    return await cursor.fetchall()
            except BaseException:
                await self.discard_writer_connection()
                raise


Row = TypeVar("Row")


def _columns_for(model: type[Any], table: type[Table]) -> list[Any]:
    return [getattr(table, field.name) for field in dataclasses.fields(model)]


async def select_one(model: type[Row], table: type[Table], *where: Any) -> Row | None:
    """The first row of `table` matching `where`, as `model`: a dataclass whose fields are named
    after the columns they hold, so the columns read are exactly the fields it declares."""
    row = (
        await table.select(*_columns_for(model, table)).where(*where).first().output(load_json=True)
    )
    return model(**row) if row else None


async def select_all(
    model: type[Row], table: type[Table], *where: Any, order_by: Any = None
) -> list[Row]:
    """Every row of `table` matching `where` (in `order_by` order), as `model`."""
    query = table.select(*_columns_for(model, table)).where(*where).output(load_json=True)
    if order_by is not None:
        query = query.order_by(order_by)
    return [model(**row) for row in await query]


# Well under both engines' limit on parameters in one statement (32,766 and 32,767).
_MAX_PARAMETERS = 30_000


async def insert_rows(
    table: type[Table],
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_target: Sequence[Column] = (),
    update: Sequence[Column] = (),
    returning: Column | None = None,
    expressions: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """INSERT `rows` into `table` with statements built here, one per ~30,000 values. Each row
    maps every column's name to its value (no defaults are filled in: a missing one is a bug),
    except the columns in `expressions` (PostgreSQL only), whose value in every row is that SQL,
    evaluated row by row in the order of `rows` (see :func:`log_slot_expressions`).

    For the sync path, where Piccolo's building of a query value by value, and of a Table
    instance per row, costs more than the database does. The values reach the driver as Piccolo
    would send them: JSON encoded here,
    enums as their values, UUIDs and datetimes as they are (the driver's own types, or the
    adapters Piccolo registers for SQLite). With `conflict_target`, a row that conflicts updates
    the columns in `update` from the new row, or is skipped when `update` is empty. Returns the
    `returning` column of the rows written."""
    written: list[dict[str, Any]] = []
    for sql, values in _insert_statements(
        table,
        rows,
        conflict_target=conflict_target,
        update=update,
        returning=returning,
        expressions=expressions,
        first_parameter=0,
    ):
        written += await _run_compiled(sql, values)
    return written


def _insert_statements(
    table: type[Table],
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_target: Sequence[Column],
    update: Sequence[Column],
    returning: Column | None,
    expressions: Mapping[str, str] | None,
    first_parameter: int,
) -> Iterator[tuple[str, list[Any]]]:
    """The statements of :func:`insert_rows`, with their values; on PostgreSQL the first one's
    parameters are numbered from `first_parameter` + 1 (the others' from 1)."""
    if not rows:
        return
    expressions = expressions or {}
    if expressions and not is_postgres():
        raise ValueError("SQL expressions as inserted values are for PostgreSQL")
    all_columns = table._meta.columns
    # The parameters' columns, then the expressions' (names from the table's definition).
    columns = [column for column in all_columns if column._meta.name not in expressions]
    computed = [column for column in all_columns if column._meta.name in expressions]
    if len(computed) != len(expressions):
        raise ValueError(f"not columns of {table._meta.tablename}: {sorted(expressions)}")
    width = len(columns)
    encoded = [isinstance(column, JSON | JSONB) for column in columns]
    names = ", ".join(f'"{column._meta.db_column_name}"' for column in [*columns, *computed])
    row_suffix = "".join(f", {expressions[column._meta.name]}" for column in computed)
    suffix = ""
    if conflict_target:
        target = ", ".join(f'"{column._meta.db_column_name}"' for column in conflict_target)
        if update:
            sets = ", ".join(
                f'"{column._meta.db_column_name}" = EXCLUDED."{column._meta.db_column_name}"'
                for column in update
            )
            suffix = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            suffix = f" ON CONFLICT ({target}) DO NOTHING"
    if returning is not None:
        suffix += f' RETURNING "{returning._meta.db_column_name}"'
    per_statement = max(1, (_MAX_PARAMETERS - first_parameter) // width)
    keys = [column._meta.name for column in columns]
    postgres = is_postgres()
    first = 0
    while first < len(rows):
        chunk = rows[first : first + per_statement]
        values: list[Any] = []
        for row in chunk:
            for key, is_json in zip(keys, encoded, strict=True):
                value = row[key]
                if is_json and value is not None and not isinstance(value, str):
                    value = _json_text(value)
                elif isinstance(value, Enum):
                    value = value.value
                values.append(value)
        slots = _value_slots(postgres, width, len(chunk), row_suffix, first_parameter)
        # Names come from the table's definition; every value is a parameter.
        yield f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES {slots}{suffix}', values  # noqa: S608
        first += len(chunk)
        first_parameter = 0
        per_statement = max(1, _MAX_PARAMETERS // width)


class Writes:
    """Writes of one transaction gathered to be sent together (:meth:`send`): on PostgreSQL as
    one statement, each write but the last a data-modifying ``WITH`` query of it, so that the
    writes cost one round trip where each would cost its own (a sync batch's answers, its
    inspection's touch, its audit event and its op claims: 4 round trips, now 1); on SQLite one
    after the other, as they were added.

    Each write must touch rows that none of the others reads or writes: on PostgreSQL they all
    see the database as it was before any of them, and their order among themselves is not
    defined. The last write's ``RETURNING`` rows are what :meth:`send` returns. Use inside
    ``write_transaction()``. Writes past the parameter limit start another statement."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Statements, each a list of the parts (write number, SQL, values) that go as one; on
        # PostgreSQL each part's parameters are numbered after the ones before it.
        self._statements: list[list[tuple[int, str, list[Any]]]] = [[]]
        self._parameters = 0
        self._writes = 0

    def insert(
        self,
        table: type[Table],
        rows: Sequence[Mapping[str, Any]],
        *,
        conflict_target: Sequence[Column] = (),
        update: Sequence[Column] = (),
        returning: Column | None = None,
        expressions: Mapping[str, str] | None = None,
    ) -> None:
        """:func:`insert_rows`, sent with the others."""
        if not rows:
            return
        parts = _insert_statements(
            table,
            rows,
            conflict_target=conflict_target,
            update=update,
            returning=returning,
            expressions=expressions,
            first_parameter=self._room_for(len(rows) * len(table._meta.columns)),
        )
        for index, (sql, values) in enumerate(parts):
            if index:  # the rows past the limit, numbered from 1
                self._next_statement()
            self._add(sql, values)
        self._writes += 1

    def set_by_ids(
        self, table: type[Table], ids: Sequence[Any], column: Column, value: Any
    ) -> None:
        """``UPDATE table SET column = value`` for the rows whose primary key is in `ids`."""
        if not ids:
            return
        first = self._room_for(len(ids) + 1)
        # Names come from the table's definition; the values are parameters.
        name = f'UPDATE "{table._meta.tablename}" SET "{column._meta.db_column_name}"'  # noqa: S608
        key = f'"{table._meta.primary_key._meta.db_column_name}"'
        if is_postgres():
            self._add(f"{name} = ${first + 1} WHERE {key} = ANY(${first + 2})", [value, list(ids)])
        else:
            self._add(f"{name} = ? WHERE {key} IN ({', '.join('?' * len(ids))})", [value, *ids])
        self._writes += 1

    def _room_for(self, count: int) -> int:
        """The number after which a write of up to `count` parameters is numbered, in a new
        statement when it would take this one over the limit (0 on SQLite: `?` placeholders)."""
        if self._parameters and self._parameters + count > _MAX_PARAMETERS:
            self._next_statement()
        return self._parameters if is_postgres() else 0

    def _next_statement(self) -> None:
        self._statements.append([])
        self._parameters = 0

    def _add(self, sql: str, values: list[Any]) -> None:
        self._statements[-1].append((self._writes, sql, values))
        self._parameters += len(values)

    async def send(self) -> list[dict[str, Any]]:
        """Run the writes gathered so far (then none are); the rows the last one returns."""
        statements, last_write = self._statements, self._writes - 1
        self._reset()
        returned: list[dict[str, Any]] = []
        for parts in statements:
            if not parts:
                continue
            if is_postgres():
                *before, (write, last_sql, _) = parts
                ctes = ", ".join(f"written_{n} AS ({sql})" for n, (_, sql, _) in enumerate(before))
                rows = await _run_compiled(
                    f"WITH {ctes} {last_sql}" if before else last_sql,
                    [value for _, _, values in parts for value in values],
                )
                if write == last_write:
                    returned += rows
            else:
                for write, sql, values in parts:
                    rows = await _run_compiled(sql, values)
                    if write == last_write:
                        returned += rows
        return returned


def _json_text_encoder() -> Callable[[Any], str]:
    """Piccolo's dump_json: ``json.dumps(value, default=str)`` (without orjson), which builds a
    new encoder for every value; a sync batch encodes a few hundred. The same encoder built once
    writes the same text (see canonical.one_shot_encoder)."""
    if piccolo_encoding.ORJSON:
        return dump_json
    return canonical.one_shot_encoder(json.JSONEncoder(default=str))


_json_text = _json_text_encoder()


@functools.lru_cache(maxsize=256)
def _value_slots(postgres: bool, width: int, count: int, row_suffix: str, first: int = 0) -> str:
    """The VALUES list of `count` rows of `width` parameters (each row followed by
    `row_suffix`), numbered for PostgreSQL from `first` + 1: the same few shapes come back on
    every sync batch."""
    if postgres:
        return ", ".join(
            "("
            + ", ".join(f"${index + 1}" for index in range(start, start + width))
            + row_suffix
            + ")"
            for start in range(first, first + count * width, width)
        )
    return ", ".join(["(" + ", ".join("?" * width) + ")"] * count)


def new_ids(count: int) -> list[UUID]:
    """`count` new random row ids (version 4 UUIDs, 122 bits from ``os.urandom`` as ``uuid4``
    draws them) for rows written with :func:`insert_rows`. On PostgreSQL they are asyncpg's own
    UUID type, which it sends as it is: a ``uuid.UUID`` (what ``uuid4`` makes) goes through its
    ``bytes`` property, a Python call per value, and a sync batch writes 80 new ids. SQLite's
    adapters take only ``uuid.UUID``."""
    if not is_postgres():
        return [uuid4() for _ in range(count)]
    drawn = os.urandom(16 * count)
    ids = []
    for start in range(0, 16 * count, 16):
        raw = bytearray(drawn[start : start + 16])
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
        ids.append(PostgresUUID(bytes(raw)))
    return ids


def column_names(table: type[Table]) -> tuple[str, ...]:
    """The names of `table`'s columns in the order :func:`insert_rows_in_bulk` takes values."""
    return tuple(column._meta.name for column in table._meta.columns)


_SQLITE_BULK_CHUNK = 1000


async def insert_rows_in_bulk(
    table: type[Table],
    rows: Sequence[Sequence[Any]],
    *,
    conflict_target: Sequence[Column] = (),
    update: Sequence[Column] = (),
) -> None:
    """Like :func:`insert_rows` (without ``returning``), for tens of thousands of rows inside
    the current write transaction. Each row is a tuple of every column's value in the order of
    :func:`column_names` (a tuple holds a row in a fifth of a dict's memory); JSON values may
    come encoded already.

    PostgreSQL: the rows go by ``COPY`` (asyncpg's binary ``copy_records_to_table``), straight
    into `table`, or with `conflict_target` into a temporary staging table dropped at commit and
    then one ``INSERT … SELECT … ON CONFLICT``. Building and binding a parameter per value was
    most of a 100,000-row import's time (2.8 million parameters in 94 statements). SQLite has no
    COPY and binds parameters cheaply in process: :func:`insert_rows`, a thousand rows at a
    time."""
    if not rows:
        return
    current = engine()
    if not isinstance(current, PostgresEngine):
        in_order = column_names(table)
        for first in range(0, len(rows), _SQLITE_BULK_CHUNK):
            chunk = rows[first : first + _SQLITE_BULK_CHUNK]
            await insert_rows(
                table,
                [dict(zip(in_order, row, strict=True)) for row in chunk],
                conflict_target=conflict_target,
                update=update,
            )
        return
    transaction = current.current_transaction.get()
    if transaction is None:
        raise RuntimeError("insert_rows_in_bulk runs inside write_transaction()")
    connection: asyncpg.Connection = transaction.connection
    columns = table._meta.columns
    encoded = [isinstance(column, JSON | JSONB) for column in columns]
    names = [column._meta.db_column_name for column in columns]

    def as_tuples() -> Iterator[tuple[Any, ...]]:
        # A generator: asyncpg encodes as it goes, so the rows are not held twice. A row of the
        # wrong length fails in zip(strict=True).
        for row in rows:
            yield tuple(
                dump_json(value)
                if is_json and value is not None and not isinstance(value, str)
                else value.value
                if isinstance(value, Enum)
                else value
                for value, is_json in zip(row, encoded, strict=True)
            )

    target = _safe_name(table._meta.tablename)
    if not conflict_target:
        await connection.copy_records_to_table(target, records=as_tuples(), columns=names)
        return
    staging = f"staging_{target}_{uuid4().hex}"
    listed = ", ".join(f'"{name}"' for name in names)
    keys = ", ".join(f'"{column._meta.db_column_name}"' for column in conflict_target)
    if update:
        sets = ", ".join(
            f'"{column._meta.db_column_name}" = EXCLUDED."{column._meta.db_column_name}"'
            for column in update
        )
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    # Names come from the table's definition (and a fresh hex suffix); every value is COPY data.
    await connection.execute(
        f'CREATE TEMPORARY TABLE "{staging}" (LIKE "{target}" INCLUDING DEFAULTS) ON COMMIT DROP'
    )
    await connection.copy_records_to_table(staging, records=as_tuples(), columns=names)
    await connection.execute(
        f'INSERT INTO "{target}" ({listed}) SELECT {listed} FROM "{staging}" '  # noqa: S608
        f"ON CONFLICT ({keys}) {action}"
    )


async def _run_compiled(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Run SQL already in the engine's placeholder style, in the current transaction if any."""
    current = engine()
    transaction = current.current_transaction.get()
    if isinstance(current, PostgresEngine):
        if transaction is not None:
            records = await transaction.connection.fetch(sql, *values)
        else:
            records = await current._run_in_pool(sql, values)
        return [dict(record) for record in records]
    assert isinstance(current, SQLiteEngine)
    if transaction is not None:
        return list(await current._run_in_existing_connection(transaction.connection, sql, values))
    return list(await current._run_in_new_connection(sql, values))


def _is_plain_select(sql: str) -> bool:
    return sql.lstrip().lstrip("(").lstrip()[:6].upper() == "SELECT"


def build_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # `timeout` is sqlite3's busy timeout, applied to every connection Piccolo opens.
        return SerialisedSQLiteEngine(path=str(path), timeout=settings.sqlite_busy_timeout_seconds)
    url = settings.database_url.replace("postgres://", "postgresql://", 1)
    return BoundedPostgresEngine(
        config={"dsn": url}, acquire_timeout=settings.db_acquire_timeout_seconds
    )


class _Database:
    engine: Engine | None = None
    tables: list[type[Table]] = []


_database = _Database()


def bind_engine(engine: Engine, tables: list[type[Table]]) -> None:
    """Bind every table of the app (the composition's list, ``server.registry.all_tables``)."""
    _database.engine = engine
    _database.tables = list(tables)
    for table in tables:
        table._meta.db = engine


def bound_tables() -> list[type[Table]]:
    return list(_database.tables)


def engine() -> Engine:
    if _database.engine is None:
        raise RuntimeError("No database engine is bound; build the app with create_app() first")
    return _database.engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


_A = TypeVar("_A")
_B = TypeVar("_B")
_C = TypeVar("_C")
_D = TypeVar("_D")
_E = TypeVar("_E")


class _SideConnections:
    """How many reads `read_together` may run beside their callers across the process: a few
    province summaries at once must not take the whole pool from the requests around them. Taken
    without waiting, so that a `read_together` nested in another's read can never deadlock on it;
    a read that gets no slot runs after the others, on its caller's turn."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0

    def take(self, wanted: int) -> int:
        granted = max(0, min(wanted, self.limit - self.in_use))
        self.in_use += granted
        return granted

    def give_back(self, count: int) -> None:
        self.in_use -= count


# Half the pool at most, whatever the number of reports at once (set when the pool opens).
_side_connections = _SideConnections(limit=5)


def _close_unstarted(reads: Sequence[Awaitable[Any]]) -> None:
    for unread in reads:
        if inspect.iscoroutine(unread):
            unread.close()  # not left to warn that it was never awaited


@overload
async def read_together(first: Awaitable[_A], second: Awaitable[_B], /) -> tuple[_A, _B]: ...


@overload
async def read_together(
    first: Awaitable[_A],
    second: Awaitable[_B],
    third: Awaitable[_C],
    fourth: Awaitable[_D],
    fifth: Awaitable[_E],
    /,
) -> tuple[_A, _B, _C, _D, _E]: ...


async def read_together(*reads: Awaitable[Any]) -> tuple[Any, ...]:
    """The results of independent reads, run at once, each on a pooled connection of its own,
    so that a report's aggregate queries run side by side in the database (and on its CPUs)
    instead of one after another. At most half the pool's connections serve such reads beside
    their callers across the process (`_SideConnections`); the reads that find none free run in
    order after the others. Inside a transaction they run in order: its one connection runs one
    statement at a time, and they must see its writes. If one fails, the others are cancelled
    (or never started) and its error is raised as it is."""
    if engine().current_transaction.get() is not None:
        return await _read_in_order(reads)
    beside = _side_connections.take(len(reads) - 1)
    at_once, after = reads[: 1 + beside], reads[1 + beside :]
    try:
        tasks = [asyncio.ensure_future(read) for read in at_once]
        try:
            results = list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            # Wait until the others have stopped and given their connections back (their
            # errors, cancellations included, are not this one's).
            await asyncio.gather(*tasks, return_exceptions=True)
            _close_unstarted(after)
            raise
    finally:
        _side_connections.give_back(beside)
    return (*results, *await _read_in_order(after))


async def _read_in_order(reads: Sequence[Awaitable[Any]]) -> tuple[Any, ...]:
    results = []
    try:
        for read in reads:
            results.append(await read)
    finally:
        _close_unstarted(reads[len(results) + 1 :])  # after a failure: never started
    return tuple(results)


async def open_database(settings: Settings) -> None:
    """Open the pool (PostgreSQL) or set the file's pragmas (SQLite); run in the app lifespan."""
    current = engine()
    if isinstance(current, PostgresEngine):
        # asyncpg opens min_size (10 by default) at once and refuses a max below it.
        size = settings.db_pool_max_size
        await current.start_connection_pool(min_size=min(10, size), max_size=size)
        _side_connections.limit = size // 2
    elif isinstance(current, SerialisedSQLiteEngine):
        await current.open()
    else:
        # WAL lets readers go on while one writer commits; the setting persists in the file.
        await current.run_ddl("PRAGMA journal_mode=WAL")


async def close_database() -> None:
    current = engine()
    if isinstance(current, PostgresEngine) and current.pool is not None:
        await current.close_connection_pool()
    elif isinstance(current, SerialisedSQLiteEngine):
        await current.close()


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


async def write_at_once(*statements: QueryString) -> None:
    """Run writing statements as one atomic write. Each must touch rows that none of the others
    reads or writes, so that their order does not matter. PostgreSQL: one statement, each of
    them a data-modifying ``WITH`` query of it (which runs to its end unread, on the statement's
    one snapshot): one round trip, where a transaction costs one per statement and two more for
    BEGIN and COMMIT. SQLite: one after the other in a write transaction."""
    if not statements:
        return
    current = engine()
    if isinstance(current, PostgresEngine):
        parts = ", ".join(f"written_{index} AS ({{}})" for index in range(len(statements)))
        await current.run_querystring(QueryString(f"WITH {parts} SELECT 1", *statements))
        return
    async with write_transaction():
        for statement in statements:
            await current.run_querystring(statement)


async def lock_for_append(name: str) -> None:
    """Serialise appenders of one logical sequence (the audit chain) inside a transaction.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, because the IMMEDIATE
    write transaction already holds the database's single write lock.
    """
    if is_postgres():
        await engine().run_ddl(f"SELECT pg_advisory_xact_lock(hashtext('{_safe_name(name)}'))")


async def try_lock_for_append(name: str) -> bool:
    """Like :func:`lock_for_append`, but gives up at once when another transaction holds the lock
    (PostgreSQL); for work that one process doing it is enough, such as sealing the audit log."""
    if not is_postgres():
        return True
    rows = await engine().run_ddl(
        f"SELECT pg_try_advisory_xact_lock(hashtext('{_safe_name(name)}')) AS locked"
    )
    return bool(rows[0]["locked"])


async def log_slots(
    table_name: str, column: str, sequence: str, count: int
) -> tuple[int, list[int]]:
    """Places for `count` rows appended to a log before they are ordered: this transaction's id
    (PostgreSQL, to keep a transaction's rows together; 0 on SQLite) and `count` provisional keys
    in the order of writing, negative and counting down, so they never meet the positive keys of
    the ordered rows in `column`. PostgreSQL draws them from `sequence` without waiting on anyone; SQLite counts down from the
    lowest key in the table, which is safe because its writer holds the write lock until commit.
    Names are checked by :func:`_safe_name` before they reach the SQL."""
    if is_postgres():
        rows = await engine().run_ddl(
            "SELECT pg_current_xact_id()::text::bigint AS txid, "  # noqa: S608
            f"nextval('{_safe_name(sequence)}') AS n FROM generate_series(1, {int(count)})"
        )
        return int(rows[0]["txid"]), [-int(row["n"]) for row in rows]
    table, key = _safe_name(table_name), _safe_name(column)
    rows = await engine().run_ddl(f'SELECT min("{key}") AS low FROM "{table}"')  # noqa: S608
    low = min(int(rows[0]["low"] or 0), 0)
    return 0, [low - offset for offset in range(1, count + 1)]


def log_slot_expressions(sequence: str) -> dict[str, str] | None:
    """What :func:`log_slots` gives, as SQL for :func:`insert_rows`' `expressions` (the
    transaction id, and the next provisional key of `sequence` row by row, negative), so that
    appending to a log is one statement instead of two; None on SQLite, where log_slots costs no
    round trip. Rows of one statement draw their keys in the order they are listed, as from
    log_slots. The name is checked by :func:`_safe_name`."""
    if not is_postgres():
        return None
    return {
        "txid": "pg_current_xact_id()::text::bigint",
        "seq": f"-nextval('{_safe_name(sequence)}')",
    }


async def set_columns_by_id(
    table_name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """For each of `rows` (a row's id, then a value per column), set those columns of the row with
    that id: one statement per thousand rows. Values are integers or text; names are checked by
    :func:`_safe_name` before they reach the SQL."""
    table = _safe_name(table_name)
    names = ["id", *(_safe_name(column) for column in columns)]
    aliases = ", ".join(f'"{name}"' for name in names)
    assignments = ", ".join(f'"{name}" = v."{name}"' for name in names[1:])
    for first in range(0, len(rows), 1000):
        chunk = rows[first : first + 1000]
        if is_postgres():
            # One array per column: a few parameters however many rows there are.
            kinds = ["uuid"] + ["bigint" if isinstance(v, int) else "text" for v in chunk[0][1:]]
            arrays = ", ".join(f"{{}}::{kind}[]" for kind in kinds)
            sql = (
                f'UPDATE "{table}" SET {assignments} '  # noqa: S608
                f'FROM unnest({arrays}) AS v({aliases}) WHERE "{table}".id = v.id'
            )
            values: list[Any] = [list(column) for column in zip(*chunk, strict=True)]
        else:
            row_slots = "(" + ", ".join("{}" for _ in names) + ")"
            listed = ", ".join(row_slots for _ in chunk)
            sql = (
                f"WITH v({aliases}) AS (VALUES {listed}) "  # noqa: S608
                f'UPDATE "{table}" SET {assignments} FROM v WHERE "{table}".id = v.id'
            )
            values = [str(v) if isinstance(v, UUID) else v for row in chunk for v in row]
        await engine().run_querystring(QueryString(sql, *values))


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
    if isinstance(error, asyncpg.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error).upper()


def is_text_the_database_refuses(error: BaseException) -> bool:
    """True when PostgreSQL refused a text value it cannot store: the NUL character (U+0000),
    which its text types do not hold, or a character its encoding lacks. SQLite stores both."""
    return isinstance(
        error, asyncpg.CharacterNotInRepertoireError | asyncpg.UntranslatableCharacterError
    )


# Server-side signs that PostgreSQL is restarting, shutting down or refusing connections for now.
_UNAVAILABLE_POSTGRES = (
    asyncpg.CannotConnectNowError,  # 57P03: "the database system is starting up"
    asyncpg.AdminShutdownError,  # 57P01: "terminating connection due to administrator command"
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.PostgresConnectionError,  # class 08: connection failures
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.ConnectionDoesNotExistError,  # the connection was closed in the middle of a query
)
_UNAVAILABLE_MESSAGES = (
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "connection is closed",
    "connection was closed",
)
# SQLite: the file cannot be opened (volume not mounted yet) or the lock stayed taken by another
# process for the whole busy timeout. Both pass; neither is a bug in the request.
_UNAVAILABLE_SQLITE_MESSAGES = ("unable to open database file", "database is locked")


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or its cause) says the database cannot be reached for now, so that the
    request may succeed if tried again later: a connection refused or reset, a name that does not
    resolve, PostgreSQL starting up or shutting down, a connection closed under a query, no free
    pooled connection within the acquire timeout, an SQLite file that cannot be opened or stays
    locked. The API answers these with 503 and ``Retry-After``; the sync loop backs off on them."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_unavailable_itself(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_unavailable_itself(error: BaseException) -> bool:
    message = str(error).lower()
    if isinstance(error, _UNAVAILABLE_POSTGRES):
        return True
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        return any(text in message for text in _UNAVAILABLE_MESSAGES)
    if isinstance(error, sqlite3.OperationalError):
        return any(text in message for text in _UNAVAILABLE_SQLITE_MESSAGES)
    # TimeoutError: the pool's bounded acquire (and asyncpg's connect timeout); OSError's
    # connection family and gaierror: the server's port is closed or its name does not resolve.
    return isinstance(error, TimeoutError | ConnectionError | socket.gaierror)


def can_stream_select() -> bool:
    """Whether `stream_select` runs here: PostgreSQL with its pool open."""
    current = engine()
    return isinstance(current, PostgresEngine) and current.pool is not None


async def stream_select(query: Any, page_size: int) -> AsyncIterator[list[Any]]:
    """The rows of a Piccolo select (or a QueryString), in lists of up to `page_size`, from **one** execution of it:
    a server-side cursor in a read-only transaction, on a pool connection of its own held until
    the last row is read (or the iterator is closed). For a long ordered read (an export) that no
    index answers in order, PostgreSQL sorts once instead of once per keyset page, and the rows
    are one snapshot. Rows are asyncpg's records (``row["name"]``), values as asyncpg gives them
    (JSON as text, as ``load_json=False``).
    PostgreSQL only (`can_stream_select`)."""
    current = engine()
    assert isinstance(current, PostgresEngine) and current.pool is not None
    if isinstance(query, QueryString):
        querystring = query
    else:
        (querystring,) = query.querystrings
    sql, values = querystring.compile_string(engine_type=current.engine_type)
    async with current.pool.acquire() as connection, connection.transaction(readonly=True):
        cursor = await connection.cursor(sql, *values)
        while rows := await cursor.fetch(page_size):
            yield rows  # asyncpg Records: read by name like dicts, without the copy


async def fetch_records(query: QueryString) -> list[Any]:
    """The rows of a PostgreSQL query as asyncpg's records (``row["name"]``), without making a
    dict of each, in the current transaction if any. PostgreSQL with its pool open
    (`can_stream_select`)."""
    sql, values = query.compile_string(engine_type=engine().engine_type)
    return await fetch_postgres(sql, *values)


async def fetch_postgres(sql: str, *values: Any) -> list[Any]:
    """The rows of a statement written for PostgreSQL (``$1``, ``$2``, … placeholders) as
    asyncpg's records, in the current transaction if any, else on a pooled connection.

    For the few fixed statements every sync batch runs (the session check, the op look-up, the
    team lock): Piccolo builds, cleans and compiles a query object on every call, which cost
    more of the server's CPU than the database spent answering. asyncpg prepares the text once
    per connection. The caller keeps its Piccolo query for SQLite. PostgreSQL only."""
    current = engine()
    assert isinstance(current, PostgresEngine)
    transaction = current.current_transaction.get()
    if transaction is not None:
        return list(await transaction.connection.fetch(sql, *values))
    assert current.pool is not None
    async with current.pool.acquire() as connection:
        return list(await connection.fetch(sql, *values))


def path_prefix_range(column: Column, prefix: str) -> WhereRaw:
    """Rows whose tree path in `column` starts with `prefix`, written as a range of paths:
    ``prefix <= path < prefix'``, where ``prefix'`` is `prefix` with its last character moved one
    up (``/a/b/`` -> ``/a/b0``). In code-point (byte) order the two are the same set of rows.

    Why not ``LIKE 'prefix%'``: PostgreSQL prepares every statement the app sends (asyncpg), and
    after five runs may keep a generic plan, made without the parameters' values; an index cannot
    answer ``LIKE $1`` then, since the pattern is unknown. A range answers from a btree index on
    the path (e.g. ``inspection_report_scope``) with any values. PostgreSQL compares the paths
    with ``COLLATE "C"`` (byte order, which the index is built with too): under a linguistic
    collation a range of strings is not a prefix match. SQLite's default collation is already
    byte order."""
    if not prefix:
        raise ValueError("a path prefix is never empty (the root's path is '/<id>/')")
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    name = column._meta.get_full_name(with_alias=False)
    path = f'{name} COLLATE "C"' if is_postgres() else name
    return WhereRaw(f"{path} >= {{}} AND {path} < {{}}", prefix, upper)


def json_text_mentions(column: str, value: str) -> WhereRaw:
    """Rows whose JSON column holds ``value`` as a whole string anywhere in it (e.g. a hash in a
    list of evidence hashes), on both engines: the column's text is searched for ``"value"``.

    It reads every row of the table, so keep it for values that are rare and rarely asked about
    (an evidence hash behind a screen that caches the answer for a year)."""
    _safe_name(column)
    if not value.isalnum():
        raise ValueError(f"unsafe value {value!r}")
    return WhereRaw(f"CAST({column} AS TEXT) LIKE {{}}", f'%"{value}"%')


def has_linked_row(
    link: Column,
    to: Column,
    *,
    equal: Sequence[tuple[Column, Any]] = (),
    null: Sequence[Column] = (),
) -> WhereRaw:
    """Rows of `to`'s table that a row of `link`'s table points at (``link = to``), that row also
    having each value in `equal` and NULL in `null`: a correlated ``EXISTS``, so the check is part
    of the one statement. Written here rather than as Piccolo's ``is_in(select)``, whose sub-query
    is built and compiled anew on every call: this runs for every request (the session check) and
    every op (the team check)."""
    table = link._meta.table
    conditions = [
        f"{link._meta.get_full_name(with_alias=False)} = {to._meta.get_full_name(with_alias=False)}"
    ]
    for column, value in equal:
        if column._meta.table is not table:
            raise ValueError(f"{column._meta.name} is not a column of {table._meta.tablename}")
        if value is None:  # `= NULL` is never true: say `null=` for that
            raise ValueError(f"{column._meta.name}: compare with None through null=, not equal=")
        conditions.append(f"{column._meta.get_full_name(with_alias=False)} = {{}}")
    for column in null:
        if column._meta.table is not table:
            raise ValueError(f"{column._meta.name} is not a column of {table._meta.tablename}")
        conditions.append(f"{column._meta.get_full_name(with_alias=False)} IS NULL")
    # Names come from the tables' definitions; every value is a parameter.
    sql = (
        f'EXISTS (SELECT 1 FROM "{_safe_name(table._meta.tablename)}" WHERE '  # noqa: S608
        + " AND ".join(conditions)
        + ")"
    )
    return WhereRaw(sql, *(value for _column, value in equal))


def one_of(column: Column, values: Sequence[Any]) -> Combinable:
    """``column IN values``. On PostgreSQL one array parameter (``= ANY``): Piccolo's ``is_in``
    builds, cleans and binds a piece of the query per value, which for a sync batch's 40 op ids
    cost more than the database's work. SQLite: Piccolo's ``is_in``."""
    if not is_postgres():
        return column.is_in(list(values))
    # The name comes from the table's definition; the values are one parameter.
    return WhereRaw(f"{column._meta.get_full_name(with_alias=False)} = ANY({{}})", list(values))


def for_update(query: Select) -> Select:
    """`query` locking the rows it returns until the transaction ends (PostgreSQL's ``FOR
    UPDATE``, which also returns each row as it is once locked, its filter checked again). SQLite
    locks nothing more: the IMMEDIATE write transaction already excludes every other writer."""
    return query.lock_rows("UPDATE") if is_postgres() else query


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
