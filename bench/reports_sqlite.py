"""`python -m bench reports-sqlite`: the leader's summary and ranking over a generated province on
SQLite, the embedded default (issue 13's target: < 1 s), through `spotcheck serve` (one worker).

The province is the scale generator's, written into a migrated SQLite file
(`SPOTCHECK_DATABASE_URL=sqlite:///… python -m bench scale`), named here by
SPOTCHECK_BENCH_SQLITE_DATABASE; this run adds only logins to it. As the province's and a
district's leader over the whole history: each call fresh once, then REPEATS_JSON rounds,
interleaved (`bench/reports.py`'s timing). There is no hand-written baseline here (the PostgreSQL
bench has one); the figure is judged against the target. Writes bench/results/reports-sqlite.json.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import spotcheck_server
from bench.reports import (
    DISTRICT_LEADER,
    PROVINCE_LEADER,
    REPEATS_JSON,
    Series,
    Session,
    http_call,
    measure,
)


def _span(path: str) -> tuple[date, date, int]:
    with sqlite3.connect(path) as connection:
        first, last, answers = connection.execute(
            "SELECT min(visit_date), max(visit_date), (SELECT count(*) FROM inspection_answer) "
            "FROM inspection"
        ).fetchone()
    return date.fromisoformat(first), date.fromisoformat(last), int(answers)


async def _measure(base_url: str, start: date, end: date) -> dict[str, Any]:
    period = {"period_from": start.isoformat(), "period_to": end.isoformat()}
    series: dict[str, Series] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=600) as client:
        for label, username in (("province", PROVINCE_LEADER), ("district", DISTRICT_LEADER)):
            session = Session(client, username)
            cases = [
                (f"{label}.{kind}", http_call(client, f"/api/v1/reports/{kind}", session, **period))
                for kind in ("summary", "ranking")
            ]
            await measure(series, cases, REPEATS_JSON)
    return {name: each.report() for name, each in series.items()}


def bench_reports_sqlite(workdir: Path) -> dict[str, Any]:
    url = os.environ.get("SPOTCHECK_BENCH_SQLITE_DATABASE", "")
    if not url.startswith("sqlite:///"):
        raise SystemExit(
            "bench reports-sqlite needs SPOTCHECK_BENCH_SQLITE_DATABASE=sqlite:///<file> holding "
            "a generated province (migrate it, then SPOTCHECK_DATABASE_URL=<it> python -m bench "
            "scale)"
        )
    start, end, answers = _span(url.removeprefix("sqlite:///"))
    load_before = os.getloadavg()
    port, server = spotcheck_server(url, workdir, workers=1)
    with server:
        results = asyncio.run(_measure(f"http://127.0.0.1:{port}", start, end))
    return {
        "name": "reports-sqlite",
        "what": (
            "the leader's summary and ranking over a generated province on SQLite through "
            "spotcheck serve (one worker), as the province's and a district's leader over the "
            "whole history, fresh and repeated"
        ),
        "answers_stored": answers,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "target_ms": 1000,
        "results": results,
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
    }
