"""Sync ingest on a full database against an empty one: does the server slow down as data grows?

The same load generator as `bench ingest` (10 phones, batches of 40 answers) drives one
`spotcheck serve` worker on two PostgreSQL databases in turn, several rounds each, alternating so
that the machine's load falls on both alike:

- **empty**: migrated, the demo loaded (a few hundred answers), made by this run and dropped;
- **full**: the generated province (`python -m bench scale`: ~1,040,000 answers, 20,000
  inspections, 1.5 million audit events), given by its URL in SPOTCHECK_BENCH_REPORTS_DATABASE
  as for `bench reports`; this run only adds its own plans and answers to it.

The ratio full/empty of the batches per second (median of the rounds) is the figure; the target
is within 10 %. Writes bench/results/ingest-full.json.

    SPOTCHECK_BENCH_REPORTS_DATABASE=postgresql://... python -m bench ingest-full
"""

from __future__ import annotations

import asyncio
import os
import statistics
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.ingest import (
    NOW,
    Phone,
    Run,
    create_database,
    drive_measured,
    drop_database,
    prepare,
    spotcheck_server,
)
from bench.reports import set_up_phones as set_up_province_phones

CONCURRENCY = 10
ROUNDS = int(os.environ.get("SPOTCHECK_BENCH_FULL_ROUNDS", "3"))


async def _province_phones(base_url: str, database_url: str) -> list[Phone]:
    connection = await asyncpg.connect(database_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
            phones = await set_up_province_phones(client, connection, CONCURRENCY)
    finally:
        await connection.close()
    return [
        Phone(token=headers["Authorization"].removeprefix("Bearer "), inspection_id=inspection)
        for headers, inspection, _ in phones
    ]


async def _answers_stored(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM inspection_answer"))
    finally:
        await connection.close()


def bench_ingest_full(workdir: Path) -> dict[str, Any]:
    full_url = os.environ.get("SPOTCHECK_BENCH_REPORTS_DATABASE")
    if not full_url:
        raise SystemExit(
            "bench ingest-full needs a generated province: SPOTCHECK_BENCH_REPORTS_DATABASE=<url> "
            "(make one with `python -m bench scale`)"
        )
    empty_url = asyncio.run(create_database())
    runs: dict[str, list[Run]] = {"empty": [], "full": []}
    stored: dict[str, int] = {}
    try:
        empty_dir, full_dir = workdir / "empty", workdir / "full"
        empty_dir.mkdir()
        full_dir.mkdir()
        phones = {"empty": prepare(NOW, empty_url, empty_dir)}
        port, server = spotcheck_server(full_url, full_dir, workers=1)
        with server:
            phones["full"] = asyncio.run(_province_phones(f"http://127.0.0.1:{port}", full_url))
        urls = {"empty": empty_url, "full": full_url}
        dirs = {"empty": empty_dir, "full": full_dir}
        for name in ("empty", "full"):
            stored[name] = asyncio.run(_answers_stored(urls[name]))
        for _ in range(ROUNDS):
            for name in ("empty", "full"):
                port, server = spotcheck_server(urls[name], dirs[name], workers=1)
                with server as running:
                    base = f"http://127.0.0.1:{port}"
                    side = f"spotcheck-{name}-postgres-1w"
                    runs[name].append(
                        drive_measured(
                            base, side, phones[name], CONCURRENCY, running.pid, urls[name]
                        )
                    )
    finally:
        asyncio.run(drop_database(empty_url))
    reports = {name: [run.report() for run in runs[name]] for name in runs}
    median = {
        name: statistics.median(report["batches_per_s"] for report in reports[name])
        for name in reports
    }
    return {
        "name": "ingest-full",
        "what": (
            f"sync batches of 40 answers from {CONCURRENCY} phones, one spotcheck serve worker on "
            f"PostgreSQL, {ROUNDS} alternating rounds: a database with the demo against the "
            "generated province"
        ),
        "answers_stored": stored,
        "batches_per_s_median": median,
        "full_over_empty": round(median["full"] / median["empty"], 3) if median["empty"] else None,
        "target": "within 10 %",
        "runs": reports,
        "load_average_after": os.getloadavg(),
    }
