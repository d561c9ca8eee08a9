"""The leader summary's dossier indicators at province scale on PostgreSQL: 204 communes, each
with a ledger of 3,000 generated dossiers over two quarters (the summary's period and the one
before it), stored directly (an import row and the dossiers, as an import leaves them). Timed:
`dossier_service.indicators_by_unit` for both quarters as the summary asks it, the first time
(one query, one pass per unit through the rules and the indicators) and again (kept per latest
import), against the same query's rows merely read (what the pass adds to reading).

`python -m bench dossier-indicators` runs it alone; `SPOTCHECK_BENCH_INDICATOR_UNITS` and
`SPOTCHECK_BENCH_DOSSIERS_PER_UNIT` change the sizes. Needs PostgreSQL at
`SPOTCHECK_BENCH_POSTGRES` (default postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

from bench.ingest import create_database, drop_database, spotcheck_env
from bench.scale import migrate
from server import registry
from server.core import db
from server.core.settings import load_settings
from server.dossiers import services as dossier_service
from server.dossiers.generator import generate_ledger
from server.dossiers.tables import Dossier, DossierLedgerImport
from server.units import services as unit_service
from server.units.tables import Unit

UNITS = int(os.environ.get("SPOTCHECK_BENCH_INDICATOR_UNITS", "204"))
PER_UNIT = int(os.environ.get("SPOTCHECK_BENCH_DOSSIERS_PER_UNIT", "3000"))
PREVIOUS = (date(2026, 4, 1), date(2026, 6, 30))
CURRENT = (date(2026, 7, 1), date(2026, 9, 30))
T = TypeVar("T")


async def _timed(work: Callable[[], Awaitable[T]]) -> tuple[T, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await work()
    return result, {
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
    }


async def _province(now: datetime) -> tuple[str, list[UUID]]:
    root = uuid4()
    common = {
        "latitude": 20.2,
        "longitude": 106.2,
        "geofence_radius_m": 300,
        "time_zone": "Asia/Ho_Chi_Minh",
        "language": "vi",
        "active": True,
        "notification_targets": [],
        "created_at": now,
        "updated_at": now,
    }
    rows = [
        {
            "id": root,
            "code": "BENCH-P",
            "name_vi": "Tỉnh thử",
            "name_en": "Bench province",
            "kind": "province",
            "parent_id": None,
            "path": f"/{root}/",
            "depth": 0,
            **common,
        }
    ]
    communes = [uuid4() for _ in range(UNITS)]
    rows += [
        {
            "id": unit_id,
            "code": f"BENCH-{number:03d}",
            "name_vi": f"Xã thử {number:03d}",
            "name_en": f"Bench commune {number:03d}",
            "kind": "commune",
            "parent_id": root,
            "path": f"/{root}/{unit_id}/",
            "depth": 1,
            **common,
        }
        for number, unit_id in enumerate(communes)
    ]
    async with db.write_transaction():
        await db.insert_rows(Unit, rows)
    return f"/{root}/", communes


async def _store_ledger(number: int, unit_id: UUID, now: datetime) -> None:
    import_id = uuid4()
    dossiers = []
    for half, (start, end) in enumerate((PREVIOUS, CURRENT)):
        ledger = generate_ledger(
            number * 2 + half,
            unit_code=f"B{number:03d}",
            period_start=start,
            period_end=end,
            count=PER_UNIT // 2,
        )
        for record in ledger.records:
            values = dossier_service.record_values(record)
            values.update(
                id=uuid4(),
                unit_id=unit_id,
                dossier_code=record.dossier_code,
                import_id=import_id,
                updated_at=now,
            )
            dossiers.append(values)
    async with db.write_transaction():
        await db.insert_rows(
            DossierLedgerImport,
            [
                {
                    "id": import_id,
                    "unit_id": unit_id,
                    "layout": "one-stop-export",
                    "file_format": "csv",
                    "sha256": import_id.hex * 2,
                    "file_name": "bench.csv",
                    "row_count": len(dossiers),
                    "created_count": len(dossiers),
                    "updated_count": 0,
                    "unchanged_count": 0,
                    "period_start": PREVIOUS[0],
                    "period_end": CURRENT[1],
                    "imported_by_id": None,
                    "imported_by_label": "bench",
                    "imported_at": now,
                    "summary": {},
                }
            ],
        )
        await db.insert_rows(Dossier, dossiers)


async def _run() -> dict[str, Any]:
    settings = load_settings()
    db.bind_engine(db.build_engine(settings), registry.all_tables())
    await db.open_database(settings)
    try:
        now = datetime.now(UTC)
        path, communes = await _province(now)
        for number, unit_id in enumerate(communes):
            await _store_ledger(number, unit_id, now)
        units = await unit_service.units_below(path)
        periods = [CURRENT, PREVIOUS]

        async def read_only() -> int:
            rows = await Dossier.select().where(Dossier.unit_id.is_in(communes))
            return len(rows)

        stored, baseline = await _timed(read_only)
        first, first_time = await _timed(lambda: dossier_service.indicators_by_unit(units, periods))
        again, again_time = await _timed(lambda: dossier_service.indicators_by_unit(units, periods))
    finally:
        await db.close_database()
    assert len(first) == UNITS and again == first
    return {
        "name": "dossier-indicators",
        "engine": "postgresql",
        "units": UNITS,
        "dossiers": stored,
        "rows_read_only": baseline,
        "indicators_first": first_time,
        "indicators_again": again_time,
    }


def bench_dossier_indicators(workdir: Path) -> dict[str, Any]:
    url = asyncio.run(create_database())
    env = spotcheck_env(url, workdir, 8000)
    try:
        migrate(url, env)
        os.environ.update(
            {key: env[key] for key in ("SPOTCHECK_DATABASE_URL", "SPOTCHECK_ENVIRONMENT")}
        )
        return asyncio.run(_run())
    finally:
        asyncio.run(drop_database(url))
