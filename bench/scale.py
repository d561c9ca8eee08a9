"""`python -m bench scale`: a province's two years of inspections in a fresh database, in minutes.

By default: ~200 units (a province, its inspection office, 14 districts of 13 communes), their
leaders, unit heads and inspectors, 20,000 inspections carried out to signed minutes over 730
days (about 52 answers each, so ~1,040,000 answers, drawn from the shipped checklist: mostly met,
some not, some N/A), scored by the real scoring function, ~100,000 findings with a corrective
action each in the states the product uses (most verified, some returned once, the recent ones
open, acknowledged, in progress or submitted, a few stalled and overdue), the plans that sealed
the visits, and the audit events of all of it (~1.5 million, one per answer as the sync path
writes them), written already sealed so that `spotcheck audit verify` passes.

Why a bench command and not `spotcheck demo --scale N`: it writes rows straight into the tables
in bulk (COPY on PostgreSQL, multi-row INSERTs on SQLite), past the services that own them,
which is right for a benchmark fixture and wrong for a product command; and it stays out of the
installed package and out of `spotcheck`'s start-up.

How: bench/province.py builds the rows from the seed (no I/O); this module writes them one round
of plans at a time (a plan per district visiting each of its communes once), each round in one
transaction. Audit events are written in the order their moments happened: those that fall
after the next round's start (an action verified weeks later) wait for a later round, so the
chain reads as the history did. They are chained as they are written, with the sealer's own hash
(`audit_service.row_hash`), in the order `audit_service.seal()` would give them if it ran after
each round, and the keyed head moves in the same transaction: the chain the sealer would have
made (tests/bench/test_scale.py compares them), without updating 1.5 million rows a second time
(the sealer took 30 of the 55 minutes a full province took to generate). The evidence files (a pool of photos and signature images that
the answers, findings and fixes refer to) go through `evidence_service.store`, like uploads.

Deterministic: the same --seed and --until give the same rows, ids included (except the
evidence rows' ids and times and the password hash's salt, which the real services make).

    SPOTCHECK_DATABASE_URL=postgresql://… python -m bench scale [--units 200]
        [--inspections 20000] [--days 730] [--seed 13] [--until YYYY-MM-DD]

The database must be migrated and empty. Without SPOTCHECK_DATABASE_URL a new PostgreSQL
database is created and migrated (its URL is printed; drop it when done). Prints what it made,
how long it took and the database's size as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

from piccolo.columns import JSON, JSONB
from piccolo.table import Table
from piccolo.utils.encoding import dump_json
from PIL import Image, ImageDraw

from bench import province as history
from checklists import canonical as checklist_canonical
from checklists.format import ChecklistTemplate
from checklists.services import SHIPPED_TEMPLATES_DIR
from checklists.validator import load_template
from server import registry
from server.core import db, passwords
from server.core.audit import services as audit_service
from server.core.audit.chain import GENESIS_HASH, ChainEnd
from server.core.scopes import Principal, Role
from server.core.settings import Settings
from server.evidence import services as evidence_service

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FILE = "one-stop-shop.yaml"
PHOTOS = 24
SIGNATURES = 6


@dataclass(frozen=True)
class Shape:
    units: int = 200
    inspections: int = 20_000
    days: int = 730
    seed: int = 13
    until: date = field(default_factory=lambda: datetime.now(history.ZONE).date())


@dataclass
class Generated:
    """What the generator made, how long each part took, and the database's size after."""

    shape: dict[str, Any]
    engine: str
    counts: dict[str, int]
    audit_events_sealed: int
    seconds: dict[str, float]
    database_bytes: int
    table_bytes: dict[str, int]
    history_from: str
    history_until: str
    workers: int
    # CPU time spent, which the machine's other load hardly moves (the wall time it does).
    cpu_seconds: dict[str, float | None]


# --- Writing -------------------------------------------------------------------------------------


def _tables() -> dict[str, type[Table]]:
    return {table._meta.tablename: table for table in registry.all_tables()}


@dataclass
class Chain:
    """The audit chain as the generator writes it: its end so far. Each round's events are
    chained as they are written (the sealer's rule, `audit_service.row_hash`, in the order the
    sealer would give them: a round is one transaction, written in the order things happened)
    and the head is moved in the same transaction, so nothing is left for the sealer to update."""

    end: ChainEnd | None = None

    def place(self, event: history.AuditRecord) -> tuple[int, int, str, str]:
        """Give `event` its place after the end and make it the end: its seq, txid (0: no
        transaction waits to be sealed), prev_hash and hash."""
        seq = self.end.seq + 1 if self.end else 1
        prev_hash = self.end.hash if self.end else GENESIS_HASH
        # The row as the sealer reads it back (object ids are stored as text).
        row = {
            "occurred_at": event.occurred_at,
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": str(event.object_id),
            "summary": event.summary,
        }
        digest = audit_service.row_hash(row, seq=seq, prev_hash=prev_hash)
        self.end = ChainEnd(seq=seq, hash=digest)
        return seq, 0, prev_hash, digest


@dataclass
class Records:
    """A round's rows as the writer copies them: per table, a tuple per row in the table's
    column order with JSON already encoded, made where the round is built (a worker process,
    side by side with the others) so that the one writing process only copies; and its events,
    which the writer chains."""

    tables: dict[str, list[tuple[Any, ...]]]
    events: list[history.AuditRecord]


def records_of(rows: history.Rows) -> Records:
    tables = _tables()
    return Records(
        tables={name: _records(tables[name], values) for name, values in rows.tables.items()},
        events=rows.events,
    )


def _records(table: type[Table], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    columns = table._meta.columns
    in_order = itemgetter(*(column._meta.name for column in columns))
    json_at = [index for index, column in enumerate(columns) if isinstance(column, JSON | JSONB)]
    records = []
    for row in rows:
        values = list(in_order(row))
        for index in json_at:
            # Encoded as db.insert_rows encodes it for the server: a None stays SQL NULL.
            if values[index] is not None:
                values[index] = dump_json(values[index])
        records.append(tuple(values))
    return records


# The audit_event table's columns, in its order (checked in write_rows): its rows are built here
# as tuples, a million and a half of them, without a loop over the columns for each.
AUDIT_COLUMNS = (
    "id",
    "seq",
    "txid",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "summary",
    "prev_hash",
    "hash",
)


async def write_rows(rows: Records, chain: Chain | None = None) -> None:
    """Write `rows` and their audit events (in the order they happened) in the current write
    transaction: COPY on PostgreSQL, multi-row INSERTs on SQLite. With `chain`, the events are
    written sealed, after its end, and the head moved onto them; without, unchained, for
    `audit_service.seal()` to chain as it chains an API process's events."""
    tables = _tables()
    for name, values in rows.tables.items():
        await _bulk_insert(tables[name], values)
    events = sorted(rows.events, key=lambda event: event.occurred_at)  # stable: written order
    if not events:
        return
    audit = tables[audit_service.CHAIN]
    assert tuple(column._meta.db_column_name for column in audit._meta.columns) == AUDIT_COLUMNS
    # Ids from the history, not from the database's sequence, so one seed gives the same ids.
    rng = random.Random(f"{events[0].occurred_at.isoformat()}/{len(events)}")
    ids = [history.new_id(rng) for _ in events]
    if chain is None:
        txid, slots = await db.log_slots(
            audit_service.CHAIN, "seq", audit_service.PENDING_SEQUENCE, len(events)
        )
        places = [(slot, txid, "", "") for slot in slots]
    else:
        # As a sealing: under the seal lock, the rows and the head in one transaction.
        await db.lock_for_append(audit_service.SEAL_LOCK)
        before = chain.end
        places = [chain.place(event) for event in events]
        assert chain.end is not None
        await audit_service.move_head(before, chain.end)
    await _bulk_insert(
        audit,
        [
            (
                id,
                seq,
                txid,
                event.occurred_at,
                event.actor_id,
                event.actor_label,
                event.action,
                event.object_type,
                str(event.object_id),
                dump_json(event.summary),
                prev_hash,
                hash,
            )
            for id, event, (seq, txid, prev_hash, hash) in zip(ids, events, places, strict=True)
        ],
    )


async def _bulk_insert(table: type[Table], records: list[tuple[Any, ...]]) -> None:
    if not records:
        return
    if not db.is_postgres():
        await db.insert_rows_in_bulk(table, records)
        return
    names = [column._meta.db_column_name for column in table._meta.columns]
    transaction = db.engine().current_transaction.get()
    assert transaction is not None, "bulk inserts run inside db.write_transaction()"
    await transaction.connection.copy_records_to_table(
        table._meta.tablename, records=records, columns=names
    )


# --- Evidence: real files through the real service ----------------------------------------------


def _photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(110, 230) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 440), outline=(40, 40, 40), width=4)
    draw.text((60, 60), f"Spotcheck bench #{seed}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _signature(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    points = [(20 + 60 * step, rng.randint(25, 95)) for step in range(6)]
    ImageDraw.Draw(image).line(points, fill=(20, 40, 160, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def store_evidence(
    uploader: history.User, province: history.Province, settings: Settings, seed: int
) -> tuple[list[str], list[str]]:
    principal = Principal(
        user_id=uploader.id,
        username=uploader.username,
        role=Role(uploader.role),
        home_unit_id=uploader.home_unit_id,
        home_unit_path=province.inspection_office.path,
    )

    async def store(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        await evidence_service.store(
            sha256=digest, data=data, principal=principal, settings=settings
        )
        return digest

    photos = [await store(_photo(seed * 1000 + index)) for index in range(PHOTOS)]
    signatures = [await store(_signature(seed * 1000 + index)) for index in range(SIGNATURES)]
    return photos, signatures


# --- The history ---------------------------------------------------------------------------------


def shipped_template() -> tuple[ChecklistTemplate, dict[str, Any]]:
    template = load_template((SHIPPED_TEMPLATES_DIR / TEMPLATE_FILE).read_text(encoding="utf-8"))
    row = {
        "template_key": template.key,
        "version": template.version,
        "title_vi": template.title.vi,
        "title_en": template.title.en,
        "content": json.loads(checklist_canonical.canonical_json(template)),
        "content_sha256": checklist_canonical.content_sha256(template),
    }
    return template, row


async def generate(
    settings: Settings,
    shape: Shape,
    *,
    workers: int = 0,
    sealer: bool = False,
    say: Callable[[str], None] = print,
) -> Generated:
    """Fill the (migrated, empty) database of `settings`, bound by the caller. With `workers`,
    rounds are built in that many processes while this one writes and seals. The audit events
    are written sealed; with `sealer`, unchained, and `audit_service.seal()` chains each round's
    (what tests/bench/test_scale.py compares the generator's chain with)."""
    tables = _tables()
    if await tables["unit"].count() or await tables["inspection"].count():
        raise SystemExit("bench scale: the database is not empty; give it a fresh migrated one")
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    rng = random.Random(shape.seed)
    province = history.build_province(rng, shape.units)
    template, checklist = shipped_template()
    version_id = history.new_id(rng)
    first_day = shape.until - timedelta(days=shape.days)
    set_up_at = history.local(first_day - timedelta(days=10), 9.0)

    password_hash = await passwords.hash_password(history.PASSWORD)
    photos, signatures = await store_evidence(
        province.inspectors[0], province, settings, shape.seed
    )
    setup = history.setup_rows(
        province,
        password_hash=password_hash,
        checklist={"id": version_id, **checklist},
        at=set_up_at,
    )
    chain = None if sealer else Chain()
    async with db.write_transaction():
        await write_rows(records_of(setup), chain)
    sealed = await audit_service.seal() if sealer else len(setup.events)
    seconds["set_up"] = time.perf_counter() - began

    context = history.History(
        province=province,
        template=template,
        version_id=version_id,
        photos=photos,
        signatures=signatures,
        until=history.local(shape.until, 17.0),
        seed=shape.seed,
    )
    planned = history.rounds(
        province, inspections=shape.inspections, first_day=first_day, days=shape.days
    )
    counts: dict[str, int] = {name: len(rows) for name, rows in setup.tables.items()}
    counts["audit_event"] = len(setup.events)
    pending: list[history.AuditRecord] = []
    writing = sealing = 0.0
    async for number, batch in _built(context, planned, workers):
        # Events before the next round begins are final: later rounds add only events after
        # that moment. The others wait, so the chain keeps the order of the history.
        boundary = (
            history.starts_after(planned[number + 1])
            if number + 1 < len(planned)
            else context.until
        )
        pending += batch.events
        pending.sort(key=lambda event: event.occurred_at)
        cut = next(
            (index for index, event in enumerate(pending) if event.occurred_at >= boundary),
            len(pending),
        )
        batch.events, pending = pending[:cut], pending[cut:]
        started = time.perf_counter()
        async with db.write_transaction():
            await write_rows(batch, chain)
        writing += time.perf_counter() - started
        if sealer:
            started = time.perf_counter()
            sealed += await audit_service.seal()
            sealing += time.perf_counter() - started
        else:
            sealed += len(batch.events)
        for name, rows in batch.tables.items():
            counts[name] = counts.get(name, 0) + len(rows)
        counts["audit_event"] += len(batch.events)
        if number % 10 == 0 or number == len(planned) - 1:
            say(
                f"round {number + 1}/{len(planned)}: {counts.get('inspection', 0)} inspections, "
                f"{counts.get('inspection_answer', 0)} answers, "
                f"{counts['audit_event']} audit events, {time.perf_counter() - began:.0f} s"
            )
    assert not pending, "every event up to the end of the history is written"
    # Without the sealer, chaining is part of writing (hashing in this process: see Chain).
    seconds.update(write_rows=writing, seal_audit=sealing)
    seconds["rounds"] = time.perf_counter() - began - seconds["set_up"]
    started = time.perf_counter()
    await _analyze()
    seconds["vacuum_analyze"] = time.perf_counter() - started
    seconds["total"] = time.perf_counter() - began
    database_bytes, table_bytes = await _sizes(settings)
    cpu = {
        "generator": _own_cpu(resource.RUSAGE_SELF),
        "builders": _own_cpu(resource.RUSAGE_CHILDREN),
        "postgres_backends": await _backend_cpu(),
    }
    return Generated(
        shape={**asdict(shape), "until": shape.until.isoformat()},
        engine="postgres" if db.is_postgres() else "sqlite",
        counts=dict(sorted(counts.items())),
        audit_events_sealed=sealed,
        seconds={key: round(value, 1) for key, value in seconds.items()},
        database_bytes=database_bytes,
        table_bytes=table_bytes,
        history_from=first_day.isoformat(),
        history_until=shape.until.isoformat(),
        workers=workers,
        cpu_seconds=cpu,
    )


_context: history.History | None = None


def _start_worker(context: history.History) -> None:
    global _context
    _context = context


def _build_in_worker(planned: history.Round) -> Records:
    assert _context is not None
    return records_of(history.round_rows(_context, planned))


async def _built(
    context: history.History, planned: list[history.Round], workers: int
) -> AsyncIterator[tuple[int, Records]]:
    """Each round's rows in order: built here, or by `workers` processes a few rounds ahead
    (bounded, so memory holds a few rounds at a time)."""
    if workers < 1:
        for each in planned:
            yield each.number, records_of(history.round_rows(context, each))
        return
    # Spawned, not forked: this process holds an event loop and database connections.
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(context,),
    ) as pool:
        ahead: deque[tuple[int, Future[Records]]] = deque()
        queue = iter(planned)
        for each in queue:
            ahead.append((each.number, pool.submit(_build_in_worker, each)))
            if len(ahead) > workers + 1:
                break
        while ahead:
            number, future = ahead.popleft()
            rows = await asyncio.wrap_future(future)
            following = next(queue, None)
            if following is not None:
                ahead.append((following.number, pool.submit(_build_in_worker, following)))
            yield number, rows


async def _analyze() -> None:
    """What autovacuum would have done to a database that grew over two years: the planner's
    statistics and the visibility map (the sealer's updates left a dead row per event)."""
    if db.is_postgres():
        await db.engine().run_ddl("VACUUM ANALYZE")
    else:
        await db.engine().run_ddl("ANALYZE")


def _own_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 1)


async def _backend_cpu() -> float | None:
    """CPU time of this database's PostgreSQL backends (the pool's connections, which lived
    through the whole run), when the server runs on this machine."""
    if not db.is_postgres():
        return None
    rows = await db.engine().run_ddl(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    )
    times = [process_cpu(int(row["pid"])) for row in rows]
    return None if None in times else round(sum(t for t in times if t is not None), 1)


def process_cpu(pid: int) -> float | None:
    """User and system CPU seconds of a process on this machine (None if it is not here)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _sizes(settings: Settings) -> tuple[int, dict[str, int]]:
    if db.is_postgres():
        total = await db.engine().run_ddl("SELECT pg_database_size(current_database()) AS size")
        tables = await db.engine().run_ddl(
            "SELECT relname AS name, pg_total_relation_size(relid) AS size "
            "FROM pg_catalog.pg_statio_user_tables ORDER BY 2 DESC LIMIT 8"
        )
        return int(total[0]["size"]), {row["name"]: int(row["size"]) for row in tables}
    path = settings.sqlite_path
    size = sum(
        candidate.stat().st_size for candidate in (path, Path(f"{path}-wal")) if candidate.exists()
    )
    return size, {}


# --- Command line --------------------------------------------------------------------------------


def parse_shape(argv: list[str]) -> tuple[Shape, int]:
    parser = argparse.ArgumentParser(
        prog="python -m bench scale", description=__doc__.split("\n")[0]
    )
    defaults = Shape()
    parser.add_argument("--units", type=int, default=defaults.units)
    parser.add_argument("--inspections", type=int, default=defaults.inspections)
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--until", type=date.fromisoformat, default=defaults.until)
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes building rounds while this one writes (0: build here)",
    )
    args = parser.parse_args(argv)
    return Shape(args.units, args.inspections, args.days, args.seed, args.until), args.workers


def settings_for(database_url: str, media_dir: Path) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        media_dir=media_dir,
        # The sealer runs here, between rounds; no API process seals alongside.
        audit_seal_interval_seconds=0,
    )


async def run_generator(settings: Settings, shape: Shape, workers: int) -> Generated:
    from server.wiring import wire_packages

    db.bind_engine(db.build_engine(settings), registry.all_tables())
    wire_packages(settings)
    await db.open_database(settings)
    try:
        return await generate(
            settings, shape, workers=workers, say=lambda line: print(line, file=sys.stderr)
        )
    finally:
        await db.close_database()


def migrate(database_url: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        env={**os.environ, **(env or {}), "SPOTCHECK_DATABASE_URL": database_url},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def main(argv: list[str]) -> int:
    from bench.ingest import create_database

    shape, workers = parse_shape(argv)
    database_url = os.environ.get("SPOTCHECK_DATABASE_URL")
    if not database_url:
        database_url = asyncio.run(create_database())
        print(f"created {database_url}", file=sys.stderr)
        migrate(database_url, {"SPOTCHECK_ENVIRONMENT": "development"})
    media_dir = Path(os.environ.get("SPOTCHECK_MEDIA_DIR", ROOT / "var" / "media"))
    result = asyncio.run(run_generator(settings_for(database_url, media_dir), shape, workers))
    print(json.dumps({"database_url": database_url, **asdict(result)}, indent=2))
    return 0
