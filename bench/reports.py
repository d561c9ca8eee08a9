"""Leader reports at province scale: the real server (`spotcheck serve`, one worker) on a
PostgreSQL database filled by the scale generator (`python -m bench scale`: ~200 units, 20,000
signed inspections over two years, ~1,040,000 answers, ~100,000 findings and actions, ~1.5
million sealed audit events), against hand-written SQL in the same run.

What is measured, as the province's leader (`lanhdao.tinh`, the whole tree) and as a district
leader (`lanhdao.h01`, one district of ~13 communes), over the whole two years (the summary's
previous period is the two years before, which holds nothing):

- `GET /api/v1/reports/summary`, `/ranking` and `/summary.pdf`, and the exports
  `inspections.csv`, `findings.csv`, `actions.csv`, `findings.xlsx` (the whole period) and
  `answers.csv` (the last 90 days: ~130,000 rows; the whole period is ~1M rows);
- each first on a freshly started server ("fresh": cold caches and prepared statements), then
  repeated (12 times for the JSON reports, past the 5 executions after which PostgreSQL may switch
  a prepared statement to a generic plan; 3 times for PDFs and exports), with p50 and p95 of the
  repeats, timed from the request to the last byte of the body;
- the baseline, interleaved: the same figures computed by one hand-written SQL query straight
  through asyncpg (summary: one statement of CTEs returning status counts, averages, bands,
  per-unit figures for both periods, per-section averages, findings by category and severity and
  actions per responsible unit; ranking: per-unit figures for both periods; exports:
  `COPY (SELECT … joined to unit …) TO STDOUT CSV` of the same rows); the PDF is compared with
  the summary's SQL and with the JSON summary (what rendering adds). The baselines skip the
  secrecy rules (every generated inspection has started, so the rows are the same);
- the API process's peak resident memory (VmHWM from /proc/<pid>/status) after those calls, and
  after a bounded mixed load (SPOTCHECK_BENCH_MIXED_SECONDS, 180 s by default, not the hour of
  the target): two leaders reading reports and exports, five phones sending sync batches of 40
  answers with photos they upload, and evidence reads, all at once; its RSS is sampled every
  second. The PDF render pool's processes are reported apart (they are children of the API
  process, not part of its RSS).

Targets (issue 13): summary and ranking < 300 ms over 1M answers, summary PDF < 2 s, API RSS
< 200 MB (after an hour of mixed load; here a shorter one, as said above).

Writes bench/results/reports.json. The database is created, generated and dropped by the run;
SPOTCHECK_BENCH_REPORTS_DATABASE (a generated database's URL) with SPOTCHECK_BENCH_REPORTS_MEDIA
(its evidence directory) measures an existing one instead and leaves it in place (the mixed load
adds a few plans and answers to it). SPOTCHECK_BENCH_SCALE_UNITS and
SPOTCHECK_BENCH_SCALE_INSPECTIONS shrink a generated one. SPOTCHECK_BENCH_REPORTS_PARTS (a
comma-separated subset of "json,pdf,exports,mixed", all by default) measures only those parts
(json: the summary and ranking); the figures of the parts skipped are carried over from the file
it replaces under "not_rerun", with that run's time stamp, never mixed with this run's.

    python -m bench reports
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from PIL import Image

from bench.ingest import (
    answer_payloads,
    create_database,
    drop_database,
    spotcheck_server,
    start_batch,
    sync_body,
)
from bench.province import PASSWORD
from bench.scale import migrate, process_cpu

ROOT = Path(__file__).resolve().parent.parent
REPEATS_JSON = 12
REPEATS_PDF = 3
# An export of 100,000 rows runs its page queries hundreds of times within one call, so one
# repeat after the fresh call is enough (and each takes minutes at province scale).
MIXED_SECONDS = float(os.environ.get("SPOTCHECK_BENCH_MIXED_SECONDS", "180"))
TARGET_REPORT_MS = 300
TARGET_PDF_MS = 2000
TARGET_RSS_MB = 200
TARGET_EXPORT_RATIO = 3  # an export within 3x of the COPY of the same rows
PARTS = ("json", "pdf", "exports", "mixed")


def parts() -> tuple[str, ...]:
    """The parts SPOTCHECK_BENCH_REPORTS_PARTS asks for (all by default), in PARTS' order."""
    asked = os.environ.get("SPOTCHECK_BENCH_REPORTS_PARTS", "")
    chosen = {part.strip() for part in asked.split(",") if part.strip()} or set(PARTS)
    unknown = chosen - set(PARTS)
    if unknown:
        raise SystemExit(f"SPOTCHECK_BENCH_REPORTS_PARTS: unknown {sorted(unknown)}; use {PARTS}")
    return tuple(part for part in PARTS if part in chosen)


PROVINCE_LEADER = "lanhdao.tinh"
DISTRICT_LEADER = "lanhdao.h01"


# --- The database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    database_url: str
    media_dir: Path
    generated: dict[str, Any] | None  # what the generator reported, when this run generated it
    owned: bool  # made (and so dropped) by this run


def prepare(
    workdir: Path,
    default_shape: dict[str, str] | None = None,
    database_prefix: str = "spotcheck_bench",
) -> Prepared:
    existing = os.environ.get("SPOTCHECK_BENCH_REPORTS_DATABASE")
    if existing:
        media = Path(os.environ.get("SPOTCHECK_BENCH_REPORTS_MEDIA", workdir / "media"))
        return Prepared(existing, media, None, owned=False)
    database_url = asyncio.run(create_database(database_prefix))
    media = workdir / "media"
    env = {
        **os.environ,
        "SPOTCHECK_ENVIRONMENT": "development",
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_MEDIA_DIR": str(media),
    }
    try:
        migrate(database_url, env)
        shape = []
        for option, variable in (
            ("--units", "SPOTCHECK_BENCH_SCALE_UNITS"),
            ("--inspections", "SPOTCHECK_BENCH_SCALE_INSPECTIONS"),
        ):
            if os.environ.get(variable):
                shape += [option, os.environ[variable]]
            elif default_shape and option in default_shape:
                shape += [option, default_shape[option]]
        generated = subprocess.run(
            [sys.executable, "-m", "bench", "scale", *shape],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
        )
    except BaseException:
        asyncio.run(drop_database(database_url))
        raise
    return Prepared(database_url, media, json.loads(generated.stdout), owned=True)


async def history_span(database_url: str) -> tuple[date, date]:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT min(visit_date) AS a, max(visit_date) AS b FROM inspection"
        )
    finally:
        await connection.close()
    return row["a"], row["b"]


# --- Timing --------------------------------------------------------------------------------------


@dataclass
class Series:
    fresh_ms: float | None = None
    repeats_ms: list[float] = field(default_factory=list)
    size_bytes: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "fresh_ms": _round(self.fresh_ms),
            "p50_ms": percentile(self.repeats_ms, 0.5),
            "p95_ms": percentile(self.repeats_ms, 0.95),
            "repeats": len(self.repeats_ms),
            "bytes": self.size_bytes,
        }


def percentile(values: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return _round(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# A measured call: how long it took (ms) and how many bytes it brought.
Call = Callable[[], Awaitable[tuple[float, int]]]


def clocked(work: Callable[[], Awaitable[int]]) -> Call:
    async def call() -> tuple[float, int]:
        started = time.perf_counter()
        size = await work()
        return (time.perf_counter() - started) * 1000, size

    return call


async def measure(series: dict[str, Series], cases: list[tuple[str, Call]], repeats: int) -> None:
    """Each case once fresh, then `repeats` rounds with the cases interleaved (so a change in the
    machine's load hits the project and its baseline alike)."""
    for name, call in cases:
        elapsed, size = await call()
        series.setdefault(name, Series()).fresh_ms = elapsed
        series[name].size_bytes = size
    for _ in range(repeats):
        for name, call in cases:
            elapsed, _size = await call()
            series[name].repeats_ms.append(elapsed)


class Session:
    """A user's bearer token, renewed by logging in again (outside the timed part) well before it
    expires: at province scale the run outlasts an access token."""

    RENEW_AFTER_SECONDS = 300

    def __init__(self, client: httpx.AsyncClient, username: str) -> None:
        self.client, self.username = client, username
        self._headers: dict[str, str] = {}
        self._since = 0.0

    async def headers(self) -> dict[str, str]:
        if time.monotonic() - self._since > self.RENEW_AFTER_SECONDS:
            self._headers = await login(self.client, self.username)
            self._since = time.monotonic()
        return self._headers


def http_call(
    client: httpx.AsyncClient, path: str, who: Session | dict[str, str], **params: Any
) -> Call:
    async def call() -> tuple[float, int]:
        headers = who if isinstance(who, dict) else await who.headers()
        started = time.perf_counter()
        size = 0
        async with client.stream("GET", path, headers=headers, params=params) as response:
            if response.status_code != 200:
                body = (await response.aread()).decode(errors="replace")
                raise RuntimeError(f"GET {path} answered {response.status_code}: {body[:500]}")
            async for chunk in response.aiter_bytes():
                size += len(chunk)
        return (time.perf_counter() - started) * 1000, size

    return call


def answer_batch(
    device_id: str, inspection_id: str, answers: list[dict[str, Any]], evidence: list[str]
) -> dict[str, Any]:
    """A phone's sync batch answering `answers` now, each citing `evidence` when there is any."""
    cited = {"evidence": evidence} if evidence else {}
    return sync_body(
        device_id,
        "answer",
        [{"inspection_id": inspection_id, **answer, **cited} for answer in answers],
    )


def new_period_pdf_call(client: httpx.AsyncClient, who: Session, start: date, end: date) -> Call:
    """The summary PDF of a period starting a day later at each call: never in the cache."""
    later = itertools.count(1)

    async def call() -> tuple[float, int]:
        first_day = start + timedelta(days=next(later))
        period = {"period_from": first_day.isoformat(), "period_to": end.isoformat()}
        return await http_call(client, "/api/v1/reports/summary.pdf", who, **period)()

    return call


# --- The baselines: hand-written SQL through asyncpg ---------------------------------------------

COUNTED = """
    SELECT id, unit_id, status, total_score, rating_band, score, visit_date
    FROM inspection
    WHERE unit_path LIKE $1 AND started_at IS NOT NULL AND status <> 'cancelled'
      AND visit_date BETWEEN $4 AND $3
"""
UNITS_BY_PERIOD = """
    SELECT unit_id, visit_date >= $2 AS current, count(*) AS inspections,
           count(total_score) AS scored, avg(total_score) AS average
    FROM counted GROUP BY unit_id, visit_date >= $2
"""
RANKING_SQL = f"""
    WITH counted AS ({COUNTED})
    SELECT json_agg(u) FROM ({UNITS_BY_PERIOD}) u
"""
SUMMARY_SQL = f"""
    WITH counted AS ({COUNTED}),
    current AS (SELECT * FROM counted WHERE visit_date >= $2)
    SELECT
      (SELECT json_object_agg(status, n) FROM
         (SELECT status, count(*) AS n FROM current GROUP BY status) s) AS by_status,
      (SELECT avg(total_score) FROM current) AS average,
      (SELECT avg(total_score) FROM counted WHERE visit_date <= $5) AS previous_average,
      (SELECT json_object_agg(coalesce(rating_band, ''), n) FROM
         (SELECT rating_band, count(*) AS n FROM current GROUP BY rating_band) b) AS bands,
      (SELECT json_agg(u) FROM ({UNITS_BY_PERIOD}) u) AS units,
      (SELECT json_agg(s) FROM
         (SELECT c.unit_id, e->>'key' AS section, avg((e->>'score')::float) AS average,
                 count(e->>'score') AS scored
          FROM current c, json_array_elements(c.score->'sections') e
          WHERE c.score IS NOT NULL GROUP BY c.unit_id, e->>'key') s) AS sections_by_unit,
      (SELECT json_agg(s) FROM
         (SELECT e->>'key' AS section, avg((e->>'score')::float) AS average
          FROM current c, json_array_elements(c.score->'sections') e
          WHERE c.score IS NOT NULL GROUP BY e->>'key') s) AS sections,
      (SELECT json_agg(f) FROM
         (SELECT category, severity, count(*) AS n FROM finding
          WHERE inspection_id IN (SELECT id FROM current) GROUP BY category, severity) f)
        AS findings,
      (SELECT json_agg(a) FROM
         (SELECT responsible_unit_id, count(*) AS total,
                 sum(CASE WHEN status <> 'verified' THEN 1 ELSE 0 END) AS open,
                 sum(CASE WHEN status <> 'verified' AND due_at < now() THEN 1 ELSE 0 END)
                   AS overdue,
                 sum(CASE WHEN status = 'verified' THEN 1 ELSE 0 END) AS verified,
                 sum(CASE WHEN status = 'verified' AND verified_at <= due_at THEN 1 ELSE 0 END)
                   AS verified_on_time
          FROM corrective_action WHERE inspection_id IN (SELECT id FROM current)
          GROUP BY responsible_unit_id) a) AS actions
"""
INSPECTIONS_CSV = """
    SELECT i.id, u.code, u.name_vi, i.status, i.visit_date, i.started_at, i.submitted_at,
           i.signed_at, i.closed_at, i.total_score, i.rating_band,
           (SELECT string_agg((e->>'key') || ': ' || coalesce(e->>'score', ''), '; ')
              FROM json_array_elements(i.score->'sections') e) AS section_scores,
           i.flags::text, i.start_distance_m, i.clock_skew_seconds, i.follow_up_of
    FROM inspection i JOIN unit u ON u.id = i.unit_id
    WHERE i.unit_path LIKE '{path}%' AND i.started_at IS NOT NULL
      AND i.visit_date BETWEEN '{start}' AND '{end}'
    ORDER BY i.visit_date, i.id
"""
FINDINGS_CSV = """
    SELECT f.id, f.inspection_id, u.code, u.name_vi, i.visit_date, f.source, f.section_key,
           f.item_key, f.category, f.severity, f.description, f.staff_name,
           f.legal_basis::text, json_array_length(f.evidence), f.created_at
    FROM finding f JOIN inspection i ON i.id = f.inspection_id JOIN unit u ON u.id = i.unit_id
    WHERE i.unit_path LIKE '{path}%' AND i.started_at IS NOT NULL
      AND i.visit_date BETWEEN '{start}' AND '{end}'
    ORDER BY i.visit_date, i.id, f.created_at, f.id
"""
ANSWERS_CSV = """
    SELECT a.inspection_id, u.code, i.visit_date, a.item_key, a.value->>'value',
           a.value->>'numerator', a.value->>'denominator', a.note,
           json_array_length(a.evidence), a.device_time, a.received_at
    FROM inspection_answer a JOIN inspection i ON i.id = a.inspection_id
    JOIN unit u ON u.id = i.unit_id
    WHERE i.unit_path LIKE '{path}%' AND i.started_at IS NOT NULL
      AND i.visit_date BETWEEN '{start}' AND '{end}'
    ORDER BY i.visit_date, i.id, a.item_key
"""
ACTIONS_CSV = """
    SELECT a.id, a.inspection_id, a.finding_id, iu.code, ru.code, ru.name_vi, a.severity,
           a.category, a.title_vi, a.status, a.due_at,
           a.status <> 'verified' AND a.due_at < now(), a.verified_at,
           a.verified_at <= a.due_at, a.report, a.created_at, a.updated_at,
           (SELECT count(*) FROM corrective_action_event e WHERE e.action_id = a.id),
           (SELECT string_agg(e.at || ' · ' || e.kind || ' · ' || e.actor_label, E'\\n'
                              ORDER BY e.at, e.id)
              FROM corrective_action_event e WHERE e.action_id = a.id)
    FROM corrective_action a JOIN unit iu ON iu.id = a.inspected_unit_id
    JOIN unit ru ON ru.id = a.responsible_unit_id
    WHERE (a.responsible_unit_path LIKE '{path}%' OR a.inspected_unit_path LIKE '{path}%')
      AND a.inspection_id IN (SELECT id FROM inspection WHERE started_at IS NOT NULL
                              AND visit_date BETWEEN '{start}' AND '{end}')
    ORDER BY a.created_at, a.id
"""


def sql_call(connection: asyncpg.Connection, sql: str, *args: Any) -> Call:
    async def work() -> int:
        row = await connection.fetchrow(sql, *args)
        return len(json.dumps([row[key] for key in row.keys()], default=str))

    return clocked(work)


def copy_call(connection: asyncpg.Connection, sql: str) -> Call:
    """`COPY (query) TO STDOUT CSV`: the rows of an export, formatted by PostgreSQL."""

    async def work() -> int:
        sink = io.BytesIO()
        await connection.copy_from_query(sql, output=sink, format="csv", header=True)
        return sink.tell()

    return clocked(work)


# --- The run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leader:
    label: str
    username: str
    session: Session
    scope_path: str


def status_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def children(pid: int) -> list[int]:
    found = []
    for candidate in Path("/proc").iterdir():
        if not candidate.name.isdigit():
            continue
        try:
            parent = int((candidate / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found.append(int(candidate.name))
            found += children(int(candidate.name))
    return found


def memory(pid: int) -> dict[str, Any]:
    api = status_kb(pid)
    others = []
    for child in children(pid):
        try:
            others.append(status_kb(child))
        except OSError:
            pass
    return {
        "api_cpu_s": process_cpu(pid),
        "api_rss_mb": round(api.get("VmRSS", 0) / 1024, 1),
        "api_peak_rss_mb": round(api.get("VmHWM", 0) / 1024, 1),
        "child_processes": len(others),
        "children_peak_rss_mb": [round(each.get("VmHWM", 0) / 1024, 1) for each in others],
    }


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_name": "bench"},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def leaders(client: httpx.AsyncClient, connection: asyncpg.Connection) -> list[Leader]:
    found = []
    for label, username in (("province", PROVINCE_LEADER), ("district", DISTRICT_LEADER)):
        path = await connection.fetchval(
            "SELECT u.path FROM app_user a JOIN unit u ON u.id = a.home_unit_id "
            "WHERE a.username = $1",
            username,
        )
        found.append(Leader(label, username, Session(client, username), path))
    return found


async def measure_reports(
    base_url: str, database_url: str, start: date, end: date, measured: tuple[str, ...] = PARTS
) -> dict[str, Any]:
    previous_end = start - timedelta(days=1)
    previous_start = previous_end - (end - start)
    period = {"period_from": start.isoformat(), "period_to": end.isoformat()}
    series: dict[str, Series] = {}
    connection = await asyncpg.connect(database_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=600) as client:
            people = await leaders(client, connection)
            for leader in people:
                args = (f"{leader.scope_path}%", start, end, previous_start, previous_end)
                prefix = leader.label
                if "json" in measured:
                    await measure(
                        series,
                        [
                            (
                                f"{prefix}.summary",
                                http_call(
                                    client, "/api/v1/reports/summary", leader.session, **period
                                ),
                            ),
                            (f"{prefix}.summary.sql", sql_call(connection, SUMMARY_SQL, *args)),
                            (
                                f"{prefix}.ranking",
                                http_call(
                                    client, "/api/v1/reports/ranking", leader.session, **period
                                ),
                            ),
                            (
                                f"{prefix}.ranking.sql",
                                sql_call(connection, RANKING_SQL, *args[:4]),
                            ),
                        ],
                        REPEATS_JSON,
                    )
                if "pdf" in measured:
                    # The same period again is served from the rendered-document cache after its
                    # first render (which, the server's first, also starts the render pool);
                    # `.new` asks for a period a day shorter each time: new figures, a new render
                    # on a warm pool, what a leader choosing another period waits for.
                    await measure(
                        series,
                        [
                            (
                                f"{prefix}.summary.pdf",
                                http_call(
                                    client, "/api/v1/reports/summary.pdf", leader.session, **period
                                ),
                            ),
                            (
                                f"{prefix}.summary.pdf.new",
                                new_period_pdf_call(client, leader.session, start, end),
                            ),
                        ],
                        REPEATS_PDF,
                    )
                if "exports" in measured:
                    cases = export_cases(client, connection, leader, start, end)
                    await measure(series, cases, 1)
    finally:
        await connection.close()
    return {name: each.report() for name, each in series.items()}


def export_cases(
    client: httpx.AsyncClient,
    connection: asyncpg.Connection,
    leader: Leader,
    start: date,
    end: date,
) -> list[tuple[str, Call]]:
    """Each export beside the COPY of the same rows: inspections, findings and actions over the
    whole period; answers (~1M rows over it) and the XLSX of findings over the last 90 days."""
    recent = end - timedelta(days=89)
    cases = []
    for kind, sql, first_day, label in (
        ("inspections.csv", INSPECTIONS_CSV, start, "inspections.csv"),
        ("findings.csv", FINDINGS_CSV, start, "findings.csv"),
        ("actions.csv", ACTIONS_CSV, start, "actions.csv"),
        ("answers.csv", ANSWERS_CSV, recent, "answers_90_days.csv"),
        ("findings.xlsx", FINDINGS_CSV, recent, "findings_90_days.xlsx"),
    ):
        params = {"period_from": first_day.isoformat(), "period_to": end.isoformat()}
        fill = {"path": leader.scope_path, "start": first_day, "end": end}
        name = f"{leader.label}.{label}"
        cases.append((name, http_call(client, f"/api/v1/exports/{kind}", leader.session, **params)))
        cases.append((f"{name}.sql", copy_call(connection, sql.format(**fill))))
    return cases


def comparisons(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, figures in results.items():
        if name.endswith(".sql"):
            continue
        baseline = results.get(f"{name}.sql")
        if name.endswith("summary.pdf"):
            baseline = results.get(name.replace(".pdf", ".sql"))
        entry: dict[str, Any] = {}
        if baseline and baseline["p50_ms"]:
            entry["ratio_p50_over_sql"] = round(figures["p50_ms"] / baseline["p50_ms"], 2)
            entry["ratio_fresh_over_sql"] = round(figures["fresh_ms"] / baseline["fresh_ms"], 2)
        if name.endswith("summary.pdf"):
            json_summary = results[name.replace(".pdf", "")]
            entry["ratio_p50_over_json_summary"] = round(
                figures["p50_ms"] / json_summary["p50_ms"], 2
            )
            entry["within_target"] = figures["p95_ms"] < TARGET_PDF_MS
        elif name.endswith((".summary", ".ranking")):
            entry["within_target"] = figures["p95_ms"] < TARGET_REPORT_MS
        elif name.endswith((".csv", ".xlsx")) and "ratio_p50_over_sql" in entry:
            entry["within_target"] = entry["ratio_p50_over_sql"] <= TARGET_EXPORT_RATIO
        out[name] = entry
    return out


# --- The mixed load ------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)  # what the last failure said

    async def run(self, kind: str, call: Call) -> None:
        try:
            elapsed, _ = await call()
            self.latencies.setdefault(kind, []).append(elapsed)
        except (RuntimeError, httpx.HTTPError) as error:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.last_error[kind] = f"{type(error).__name__}: {error}"[:300]

    def report(self) -> dict[str, Any]:
        out = {}
        for kind in sorted(set(self.latencies) | set(self.errors)):
            values = self.latencies.get(kind, [])
            out[kind] = {
                "requests": len(values),
                "errors": self.errors.get(kind, 0),
                "p50_ms": percentile(values, 0.5),
                "p95_ms": percentile(values, 0.95),
                **({"last_error": self.last_error[kind]} if kind in self.last_error else {}),
            }
        return out


def photo(seed: int) -> bytes:
    image = Image.new("RGB", (800, 600), (seed * 37 % 255, seed * 91 % 255, seed * 53 % 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def set_up_phones(
    client: httpx.AsyncClient, connection: asyncpg.Connection, count: int
) -> list[tuple[dict[str, str], str, list[str]]]:
    """`count` inspectors, each with a plan of their own (made by the province's leader through
    the API) visiting one commune today, started: (headers, inspection id, answerable items)."""
    leader = await login(client, PROVINCE_LEADER)
    version = (await client.get("/api/v1/checklists", headers=leader)).json()[0]["versions"][-1]
    communes = await connection.fetch(
        "SELECT id, parent_id, latitude, longitude FROM unit WHERE kind IN ('commune', 'town') "
        "ORDER BY code LIMIT $1",
        count,
    )
    inspectors = await connection.fetch(
        "SELECT id, username FROM app_user WHERE role = 'inspector' ORDER BY username LIMIT $1",
        count,
    )
    now = datetime.now(UTC)
    phones: list[tuple[dict[str, str], str, list[str]]] = []
    for commune, inspector in zip(communes, inspectors, strict=False):
        plan = await client.post(
            "/api/v1/plans",
            headers=leader,
            json={
                "title": f"Bench mixed load {inspector['username']}",
                "checklist_version_id": version["id"],
                "scope_unit_id": str(commune["parent_id"]),
                "window_start": (now - timedelta(hours=1)).isoformat(),
                "window_end": (now + timedelta(days=1)).isoformat(),
                "assignment_visibility": "at_creation",
                "teams": [{"head_id": str(inspector["id"]), "member_ids": []}],
                "targets": [{"unit_id": str(commune["id"])}],
            },
        )
        plan.raise_for_status()
        inspection_id = plan.json()["targets"][0]["inspection_id"]
        headers = await login(client, inspector["username"])
        started = await client.post(
            "/mobile/v1/sync",
            headers=headers,
            json=start_batch(f"bench-{inspector['username']}", inspection_id, commune),
        )
        started.raise_for_status()
        phones.append((headers, inspection_id, []))
    return phones


async def mixed_load(
    base_url: str, database_url: str, pid: int, start: date, end: date
) -> dict[str, Any]:

    tally = Tally()
    samples: list[float] = []
    connection = await asyncpg.connect(database_url)
    try:
        pool_photos = [
            row["sha256"]
            for row in await connection.fetch(
                "SELECT sha256 FROM evidence WHERE media_type = 'image/jpeg' ORDER BY sha256"
            )
        ]
        limits = httpx.Limits(max_connections=30)
        async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:
            phones = await set_up_phones(client, connection, 5)
            people = await leaders(client, connection)
            answers = answer_payloads()
            stop_at = time.monotonic() + MIXED_SECONDS
            rng = random.Random(5)

            async def leader_loop(leader: Leader) -> None:
                while time.monotonic() < stop_at:
                    days = rng.choice([30, 90, 365, 730])
                    params = {
                        "period_from": max(start, end - timedelta(days=days)).isoformat(),
                        "period_to": end.isoformat(),
                    }
                    choice = rng.random()
                    if choice < 0.4:
                        path, kind = "/api/v1/reports/summary", "summary"
                    elif choice < 0.75:
                        path, kind = "/api/v1/reports/ranking", "ranking"
                    elif choice < 0.9:
                        path, kind = "/api/v1/reports/summary.pdf", "summary.pdf"
                    else:
                        path, kind = "/api/v1/exports/findings.csv", "findings.csv"
                    await tally.run(kind, http_call(client, path, leader.session, **params))
                    sha = rng.choice(pool_photos)
                    await tally.run(
                        "evidence", http_call(client, f"/api/v1/evidence/{sha}", leader.session)
                    )

            async def phone_loop(
                index: int, headers: dict[str, str], inspection_id: str, mine: list[str]
            ) -> None:
                sequence = 0
                while time.monotonic() < stop_at:
                    sequence += 1
                    if sequence % 3 == 1:
                        data = photo(index * 100_000 + sequence)
                        sha = hashlib.sha256(data).hexdigest()

                        async def upload(sha: str = sha, data: bytes = data) -> int:
                            response = await client.put(
                                f"/mobile/v1/evidence/{sha}",
                                content=data,
                                headers={**headers, "Content-Type": "image/jpeg"},
                            )
                            if response.status_code not in (200, 201):
                                raise RuntimeError(response.text[:300])
                            return len(data)

                        await tally.run("evidence.upload", clocked(upload))
                        mine.append(sha)
                    body = answer_batch(f"bench-mixed-{index}", inspection_id, answers, mine[-1:])

                    async def sync(body: dict[str, Any] = body) -> int:
                        response = await client.post("/mobile/v1/sync", json=body, headers=headers)
                        statuses = {r["status"] for r in response.json().get("results", [])}
                        if response.status_code != 200 or statuses != {"applied"}:
                            raise RuntimeError(response.text[:300])
                        return len(response.content)

                    await tally.run("sync", clocked(sync))
                    if mine:  # the photo the answers now carry (older ones were replaced)
                        await tally.run(
                            "evidence", http_call(client, f"/api/v1/evidence/{mine[-1]}", headers)
                        )

            async def sample() -> None:
                while time.monotonic() < stop_at:
                    samples.append(status_kb(pid)["VmRSS"] / 1024)
                    await asyncio.sleep(1)

            began = time.monotonic()
            await asyncio.gather(
                sample(),
                *(leader_loop(leader) for leader in people),
                *(phone_loop(i, *phone) for i, phone in enumerate(phones)),
            )
            seconds = time.monotonic() - began
    finally:
        await connection.close()
    return {
        "seconds": round(seconds, 1),
        "requests": tally.report(),
        "rss_mb_samples": {
            "first": round(samples[0], 1) if samples else None,
            "max": round(max(samples), 1) if samples else None,
            "last": round(samples[-1], 1) if samples else None,
        },
        **memory(pid),
    }


def bench_reports(workdir: Path) -> dict[str, Any]:
    measured = parts()
    prepared = prepare(workdir)
    try:
        start, end = asyncio.run(history_span(prepared.database_url))
        port, serving = spotcheck_server(
            prepared.database_url, workdir, workers=1, media_dir=prepared.media_dir
        )
        base_url = f"http://127.0.0.1:{port}"
        load_before = os.getloadavg()
        with serving as server:
            memory_at_start = memory(server.pid)
            results = asyncio.run(
                measure_reports(base_url, prepared.database_url, start, end, measured)
            )
            memory_after_reports = memory(server.pid)
            mixed = (
                asyncio.run(mixed_load(base_url, prepared.database_url, server.pid, start, end))
                if "mixed" in measured
                else None
            )
    finally:
        if prepared.owned:
            asyncio.run(drop_database(prepared.database_url))
    skipped = [part for part in PARTS if part not in measured]
    return {
        "name": "reports",
        "what": (
            "leader reports on the generated province (whole tree and one district, the whole "
            "two years): summary, ranking, summary PDF and exports through the real server, "
            "fresh and repeated, vs hand-written SQL through asyncpg; peak RSS of the API "
            f"process after them and after {MIXED_SECONDS:g} s of mixed load"
        ),
        "parts": list(measured),
        "skipped": skipped,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "generation": prepared.generated,
        "targets": {
            "summary_and_ranking_p95_ms": TARGET_REPORT_MS,
            "summary_pdf_p95_ms": TARGET_PDF_MS,
            "api_rss_mb": TARGET_RSS_MB,
        },
        "results": results,
        "comparisons": comparisons(results),
        "memory": {
            "at_start": memory_at_start,
            "after_reports": memory_after_reports,
            "within_target_after_reports": memory_after_reports["api_peak_rss_mb"] < TARGET_RSS_MB,
        },
        "mixed_load": (
            {**mixed, "within_target": mixed["api_peak_rss_mb"] < TARGET_RSS_MB} if mixed else None
        ),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        **({"not_rerun": not_rerun(skipped)} if skipped else {}),
    }


RESULTS_FILE = ROOT / "bench" / "results" / "reports.json"


def not_rerun(skipped: list[str], path: Path = RESULTS_FILE) -> dict[str, Any] | None:
    """The figures of the skipped parts from the file this run replaces (each with the time
    stamp of the run that measured it), so that measuring one part does not erase the others'
    last figures, nor passes them off as this run's."""
    if not path.exists():
        return None
    previous = json.loads(path.read_text(encoding="utf-8"))
    carried = previous.get("not_rerun") or {}
    stamp = {"measured_at": previous.get("at")}
    results = {
        name: figures
        for name, figures in carried.get("results", {}).items()
        if part_of(name) in skipped
    }
    results.update(
        {
            name: {**figures, **stamp}
            for name, figures in previous.get("results", {}).items()
            if part_of(name) in skipped
        }
    )
    kept: dict[str, Any] = {"results": results}
    if "mixed" in skipped:
        mixed = previous.get("mixed_load")
        kept["mixed_load"] = {**mixed, **stamp} if mixed else carried.get("mixed_load")
    return kept


def part_of(series: str) -> str:
    """Which part a series of `measure_reports` belongs to, from its name."""
    name = series.removesuffix(".sql").split(".", 1)[1]
    if name in ("summary", "ranking"):
        return "json"
    return "pdf" if name.startswith("summary.pdf") else "exports"  # .pdf and .pdf.new


# --- Exports alone, at a size a shared machine can build in a minute -----------------------------

EXPORTS_SHAPE = {"--units": "200", "--inspections": "5000"}
EXPORTS_REPEATS = 3


def bench_exports(workdir: Path) -> dict[str, Any]:
    """`python -m bench exports`: the exports of `bench reports` (the same cases, beside the same
    COPY baselines) on a quarter of the province (200 units, 5,000 inspections, ~260,000 answers,
    ~25,000 findings and actions, generated in about 3 minutes; SPOTCHECK_BENCH_SCALE_* or
    SPOTCHECK_BENCH_REPORTS_DATABASE as for `bench reports`), fresh and then EXPORTS_REPEATS
    times, with the API's peak RSS after. Writes bench/results/exports.json, keeping the "before"
    of the file it replaces (the same measurement of the code before the exports' rework)."""
    prepared = prepare(workdir, EXPORTS_SHAPE)
    try:
        start, end = asyncio.run(history_span(prepared.database_url))
        port, serving = spotcheck_server(
            prepared.database_url, workdir, workers=1, media_dir=prepared.media_dir
        )
        base_url = f"http://127.0.0.1:{port}"
        load_before = os.getloadavg()
        with serving as server:
            memory_at_start = memory(server.pid)
            results = asyncio.run(_measure_exports(base_url, prepared.database_url, start, end))
            memory_after = memory(server.pid)
    finally:
        if prepared.owned:
            asyncio.run(drop_database(prepared.database_url))
    return {
        "name": "exports",
        "what": (
            "the exports of `bench reports` (province and district leader) on a generated quarter "
            "of the province, through the real server, fresh and repeated, vs COPY of the same "
            "rows through asyncpg; target: within 3x of the COPY"
        ),
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "generation": prepared.generated,
        "results": results,
        "comparisons": comparisons(results),
        "memory": {"at_start": memory_at_start, "after_exports": memory_after},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        # Kept from the file this run replaces: the same measurement before the rework.
        **({"before": _previous_before()} if _previous_before() else {}),
    }


def _previous_before() -> dict[str, Any] | None:
    path = ROOT / "bench" / "results" / "exports.json"
    if not path.exists():
        return None
    before: dict[str, Any] | None = json.loads(path.read_text(encoding="utf-8")).get("before")
    return before


async def _measure_exports(
    base_url: str, database_url: str, start: date, end: date
) -> dict[str, Any]:
    series: dict[str, Series] = {}
    connection = await asyncpg.connect(database_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=600) as client:
            for leader in await leaders(client, connection):
                cases = export_cases(client, connection, leader, start, end)
                await measure(series, cases, EXPORTS_REPEATS)
    finally:
        await connection.close()
    return {name: each.report() for name, each in series.items()}
