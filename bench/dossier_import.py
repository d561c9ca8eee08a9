"""Dossier-ledger import through the service on PostgreSQL: 100,000 generated dossiers in the
generic export's CSV imported for one unit (read, parse and validate in a worker thread, compare
with the stored dossiers, work out the summary, then one write transaction: new dossiers and
history by COPY, changed ones by COPY into a staging table and one upsert, and the audit event),
against the same file merely read and validated (bench/dossiers.py's subject), so the difference
is what storing costs. Then the same file again (idempotent: found by
its hash, nothing written) and a later export with 1 % of the dossiers changed (updates with
history).

`python -m bench dossier-import` runs it alone; `SPOTCHECK_BENCH_DOSSIERS=N` changes the row
count. Needs PostgreSQL at `SPOTCHECK_BENCH_POSTGRES` (default postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from bench.ingest import create_database, drop_database, spotcheck_env
from bench.scale import migrate
from server import registry
from server.core import db
from server.core.audit.services import Actor
from server.core.settings import load_settings
from server.dossiers import services as dossier_service
from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.reading import load_ledger
from server.dossiers.writing import write_csv
from server.units import services as unit_service
from server.units.schemas import UnitIn, UnitKind

ROWS = int(os.environ.get("SPOTCHECK_BENCH_DOSSIERS", "100000"))
LAYOUT = "one-stop-export"
ACTOR = Actor(id=None, label="bench")
T = TypeVar("T")


def _write(records: list[Any], path: Path) -> None:
    text = io.StringIO(newline="")
    write_csv(shipped_layout(LAYOUT), records, text)
    path.write_text(text.getvalue(), encoding="utf-8", newline="")


async def _timed(work: Callable[[], Awaitable[T]]) -> tuple[T, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await work()
    return result, {
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
    }


class _WriteTimer:
    """How long the import's bulk writes take (the COPYs and the upsert: the database's side)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, insert: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await insert(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


async def _run(workdir: Path) -> dict[str, Any]:
    ledger = generate_ledger(
        1,
        unit_code="BENCH",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        count=ROWS,
    )
    first, later = workdir / "ledger.csv", workdir / "later.csv"
    _write(ledger.records, first)
    step = 100  # 1 % of the dossiers change in the later export: their result is withdrawn
    changed = [
        dataclasses.replace(record, result_file_present=not record.result_file_present)
        if index % step == 0
        else record
        for index, record in enumerate(ledger.records)
    ]
    _write(changed, later)
    load_before = os.getloadavg()
    settings = load_settings()
    db.bind_engine(db.build_engine(settings), registry.all_tables())
    await db.open_database(settings)
    try:
        unit_id = await unit_service.ensure_unit(
            UnitIn(code="BENCH", name_vi="Xã thử", name_en="Bench commune", kind=UnitKind.commune),
            parent_code=None,
            actor=ACTOR,
        )
        unit = await unit_service.get_unit_unscoped(unit_id)
        assert unit is not None

        def importing(path: Path) -> Callable[[], Awaitable[Any]]:
            return lambda: dossier_service.import_for_unit(
                unit,
                path=path,
                file_name=path.name,
                file_format="csv",
                layout=LAYOUT,
                actor=ACTOR,
                period_start=ledger.period_start,
                period_end=ledger.period_end,
            )

        async def read_only() -> Any:
            return load_ledger(first, file_format="csv", layout=shipped_layout(LAYOUT))

        _, baseline = await _timed(read_only)
        writing = _WriteTimer()
        db.insert_rows_in_bulk = writing.wrap(db.insert_rows_in_bulk)  # type: ignore[method-assign]
        fresh, fresh_time = await _timed(importing(first))
        fresh_time["of_which_bulk_writes_wall_s"] = round(writing.seconds, 2)
        again, again_time = await _timed(importing(first))
        update, update_time = await _timed(importing(later))
    finally:
        await db.close_database()
    assert fresh.ledger_import.created_count == ROWS and again.already_imported
    return {
        "name": "dossier-import",
        "rows": ROWS,
        "file_bytes": first.stat().st_size,
        "engine": "postgresql",
        "read_parse_validate_only": baseline,
        "import_new": fresh_time,
        "import_same_file_again": again_time,
        "import_later_export_1pct_changed": {
            **update_time,
            "updated": update.ledger_import.updated_count,
            "unchanged": update.ledger_import.unchanged_count,
        },
        "flagged_dossiers": fresh.flags.flagged_dossiers,
        # Other engineers' tests share the machine: the 1-minute load average around the run.
        "load_average_1m": {
            "before": round(load_before[0], 1),
            "after": round(os.getloadavg()[0], 1),
        },
    }


def bench_dossier_import(workdir: Path) -> dict[str, Any]:
    url = asyncio.run(create_database())
    env = spotcheck_env(url, workdir, 8000)
    try:
        migrate(url, env)
        os.environ.update(
            {key: env[key] for key in ("SPOTCHECK_DATABASE_URL", "SPOTCHECK_ENVIRONMENT")}
        )
        return asyncio.run(_run(workdir))
    finally:
        asyncio.run(drop_database(url))
