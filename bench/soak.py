"""`python -m bench soak [--minutes 60]`: the API process's memory under an hour of mixed load.

Issue 13's target: the API process's RSS < 200 MB after an hour of mixed load including PDFs.
`bench reports` measures a few minutes of back-to-back load; this runs the same kind of load for
long, at a moderate fixed rate, and watches whether memory settles or keeps growing.

- The database: a new PostgreSQL database (dropped at the end) filled by the scale generator at
  a small size (SHAPE: ~200 units, 3,000 signed inspections over two years, ~155,000 answers,
  ~15,000 findings and actions), like `bench exports`; SPOTCHECK_BENCH_REPORTS_DATABASE and
  SPOTCHECK_BENCH_REPORTS_MEDIA measure an existing one instead (see bench/reports.py).
- The processes: the real `spotcheck serve` (one worker, so one API process) and `spotcheck
  worker` (notifications and timed triggers), started by this run and stopped at its end.
- The load, from a few clients at a fixed rate (each client starts its next step on a schedule,
  not when the last answered, so a slower server gets the same work): five phones (one step
  every PHONE_PERIOD_S: a sync batch of 40 answers, a photo uploaded every third step, the photo
  read back, a bootstrap every fourth and a new login every tenth) and two leaders, the
  province's and a district's (one request every LEADER_PERIOD_S: summary, ranking, summary PDF,
  a signed inspection's minutes PDF (vi or en), the exports CSV and XLSX, a comment on a
  corrective action, the action list), only to 127.0.0.1.
- The samples, every SAMPLE_PERIOD_S: the API process's RSS, its render pool's processes (the
  fork server and the render workers: its children, not part of its RSS) and the worker's, with
  the load average. Reported: the API's RSS at the start (after the first sample under load),
  its peak and at the end, and its slope over the last 30 minutes (over the second half of a run
  shorter than an hour), a least-squares line through the samples, in MB per hour.

Writes bench/results/soak.json. Not part of `make bench` (an hour) nor of `make test`.

    python -m bench soak --minutes 60
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.ingest import answer_payloads, drop_database, free_port, process, spotcheck_env
from bench.reports import (
    TARGET_RSS_MB,
    Leader,
    Tally,
    answer_batch,
    children,
    clocked,
    history_span,
    http_call,
    leaders,
    login,
    photo,
    prepare,
    set_up_phones,
    status_kb,
)
from bench.scale import process_cpu

SHAPE = {"--units": "200", "--inspections": "3000"}
PHONES = 5
PHONE_PERIOD_S = 6.0
LEADER_PERIOD_S = 4.0
SAMPLE_PERIOD_S = 10.0
SLOPE_WINDOW_S = 30 * 60
# What a leader asks for, with its weight (out of 100).
LEADER_MIX = (
    ("summary", 20),
    ("ranking", 15),
    ("summary.pdf", 10),
    ("minutes.pdf", 15),
    ("inspections.csv", 5),
    ("findings.csv", 5),
    ("actions.csv", 5),
    ("answers.csv", 5),
    ("findings.xlsx", 5),
    ("action.comment", 10),
    ("actions", 5),
)


# --- Pure: the figures from the samples ----------------------------------------------------------


def slope_mb_per_hour(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of (seconds, MB) points, in MB per hour; None under two points."""
    if len(points) < 2:
        return None
    count = len(points)
    mean_t = sum(t for t, _ in points) / count
    mean_v = sum(v for _, v in points) / count
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    covariance = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return covariance / spread * 3600


def rss_figures(
    points: list[tuple[float, float]], window_s: float = SLOPE_WINDOW_S
) -> dict[str, Any]:
    """Start, peak and end of a series of (seconds since the load began, MB) samples, and its
    slope over the last `window_s` seconds (or the second half of a shorter series)."""
    if not points:
        return {"start_mb": None, "peak_mb": None, "end_mb": None, "slope_mb_per_hour": None}
    last = points[-1][0]
    window = window_s if last >= 2 * window_s else last / 2
    tail = [(t, v) for t, v in points if t >= last - window]
    slope = slope_mb_per_hour(tail)
    return {
        "start_mb": round(points[0][1], 1),
        "peak_mb": round(max(v for _, v in points), 1),
        "end_mb": round(points[-1][1], 1),
        "slope_mb_per_hour": None if slope is None else round(slope, 2),
        "slope_window_s": round(window),
    }


# --- The processes' memory -----------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    try:
        return round(status_kb(pid)["VmRSS"] / 1024, 1)
    except (OSError, KeyError):
        return None


def sample(started: float, api_pid: int, worker_pid: int) -> dict[str, Any]:
    render = [each for each in (rss_mb(child) for child in children(api_pid)) if each is not None]
    return {
        "t_s": round(time.monotonic() - started, 1),
        "api_rss_mb": rss_mb(api_pid),
        "render_rss_mb": render,
        "worker_rss_mb": rss_mb(worker_pid),
        "load_1m": round(os.getloadavg()[0], 2),
    }


# --- The load ------------------------------------------------------------------------------------


async def paced(period: float, stop_at: float, step: Any, offset: float = 0.0) -> None:
    """Run `step(n)` every `period` seconds until `stop_at`; a step that overran its slot is not
    made up for (the rate stays the fixed one, and a slow server does not get a burst)."""
    due = time.monotonic() + offset
    count = 0
    while True:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() >= stop_at:
            return
        count += 1
        await step(count)
        due += period
        if due < time.monotonic():
            due = time.monotonic()


@dataclass
class Targets:
    signed: dict[str, list[str]]  # signed inspections each leader may see (their minutes)
    actions: dict[str, list[str]]  # corrective actions each leader may see, by username
    photos: list[str]  # evidence the leaders read


async def targets(connection: asyncpg.Connection, people: list[Leader]) -> Targets:
    signed, actions = {}, {}
    for leader in people:
        signed[leader.username] = [
            str(row["id"])
            for row in await connection.fetch(
                "SELECT id FROM inspection WHERE status IN ('signed', 'closed') "
                "AND unit_path LIKE $1 ORDER BY id",
                f"{leader.scope_path}%",
            )
        ]
        actions[leader.username] = [
            str(row["id"])
            for row in await connection.fetch(
                "SELECT id FROM corrective_action WHERE responsible_unit_path LIKE $1 "
                "ORDER BY id LIMIT 500",
                f"{leader.scope_path}%",
            )
        ]
    photos = [
        row["sha256"]
        for row in await connection.fetch(
            "SELECT sha256 FROM evidence WHERE media_type = 'image/jpeg' ORDER BY sha256"
        )
    ]
    return Targets(signed, actions, photos)


async def soak_load(
    base_url: str,
    database_url: str,
    api_pid: int,
    worker_pid: int,
    seconds: float,
    span: tuple[date, date],
) -> dict[str, Any]:
    start, end = span
    tally = Tally()
    samples: list[dict[str, Any]] = []
    connection = await asyncpg.connect(database_url)
    try:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=base_url, timeout=300, limits=limits) as client:
            phones = await set_up_phones(client, connection, PHONES)
            people = await leaders(client, connection)
            known = await targets(connection, people)
            answers = answer_payloads()
            began = time.monotonic()
            stop_at = began + seconds
            rng = random.Random(13)
            kinds = [kind for kind, weight in LEADER_MIX for _ in range(weight)]

            def leader_step(leader: Leader) -> Any:
                async def step(_count: int) -> None:
                    kind = rng.choice(kinds)
                    days = rng.choice([30, 90, 365, 730])
                    if kind == "answers.csv":
                        days = 30  # the whole period is most of the answers: a rare export
                    period = {
                        "period_from": max(start, end - timedelta(days=days)).isoformat(),
                        "period_to": end.isoformat(),
                    }
                    if kind in ("summary", "ranking", "summary.pdf"):
                        path = f"/api/v1/reports/{kind}"
                        await tally.run(kind, http_call(client, path, leader.session, **period))
                    elif kind.endswith((".csv", ".xlsx")):
                        path = f"/api/v1/exports/{kind}"
                        await tally.run(kind, http_call(client, path, leader.session, **period))
                    elif kind == "minutes.pdf":
                        path = f"/api/v1/inspections/{rng.choice(known.signed[leader.username])}/minutes.pdf"
                        lang = rng.choice(["vi", "en"])
                        await tally.run(kind, http_call(client, path, leader.session, lang=lang))
                    elif kind == "actions":
                        path = "/api/v1/actions"
                        await tally.run(kind, http_call(client, path, leader.session, limit=50))
                    else:
                        action_id = rng.choice(known.actions[leader.username])

                        async def comment() -> int:
                            response = await client.post(
                                f"/api/v1/actions/{action_id}/comments",
                                headers=await leader.session.headers(),
                                json={"text": f"Soak check {uuid.uuid4().hex[:8]}"},
                            )
                            if response.status_code != 200:
                                raise RuntimeError(response.text[:300])
                            return len(response.content)

                        await tally.run(kind, clocked(comment))
                    sha = rng.choice(known.photos)
                    await tally.run(
                        "evidence", http_call(client, f"/api/v1/evidence/{sha}", leader.session)
                    )

                return step

            def phone_step(
                index: int, headers: dict[str, str], inspection_id: str, mine: list[str]
            ) -> Any:
                username = f"phone-{index}"
                token = {"headers": headers}

                async def step(count: int) -> None:
                    if count % 10 == 0:

                        async def relogin() -> int:
                            token["headers"] = await login(client, phones_users[index])
                            return 0

                        await tally.run("login", clocked(relogin))
                    current = token["headers"]
                    if count % 4 == 1:
                        await tally.run(
                            "bootstrap", http_call(client, "/mobile/v1/bootstrap", current)
                        )
                    if count % 3 == 1:
                        data = photo(index * 1_000_000 + count)
                        sha = hashlib.sha256(data).hexdigest()

                        async def upload() -> int:
                            response = await client.put(
                                f"/mobile/v1/evidence/{sha}",
                                content=data,
                                headers={**current, "Content-Type": "image/jpeg"},
                            )
                            if response.status_code not in (200, 201):
                                raise RuntimeError(response.text[:300])
                            return len(data)

                        await tally.run("evidence.upload", clocked(upload))
                        mine.append(sha)
                        del mine[:-1]  # only the last is needed: the answers carry it
                    body = answer_batch(f"bench-soak-{username}", inspection_id, answers, mine[-1:])

                    async def sync() -> int:
                        response = await client.post("/mobile/v1/sync", json=body, headers=current)
                        if response.status_code != 200:  # its body may not be JSON (a 503)
                            raise RuntimeError(response.text[:300])
                        statuses = {r["status"] for r in response.json().get("results", [])}
                        if statuses != {"applied"}:
                            raise RuntimeError(response.text[:300])
                        return len(response.content)

                    await tally.run("sync", clocked(sync))
                    if mine:
                        await tally.run(
                            "evidence", http_call(client, f"/api/v1/evidence/{mine[-1]}", current)
                        )

                return step

            phones_users = [
                row["username"]
                for row in await connection.fetch(
                    "SELECT username FROM app_user WHERE role = 'inspector' "
                    "ORDER BY username LIMIT $1",
                    PHONES,
                )
            ]

            async def sampler(_count: int) -> None:
                samples.append(sample(began, api_pid, worker_pid))

            await asyncio.gather(
                paced(SAMPLE_PERIOD_S, stop_at + 0.5, sampler),
                *(
                    paced(LEADER_PERIOD_S, stop_at, leader_step(leader), offset=i * 1.3)
                    for i, leader in enumerate(people)
                ),
                *(
                    paced(PHONE_PERIOD_S, stop_at, phone_step(i, *phone), offset=i * 1.1)
                    for i, phone in enumerate(phones)
                ),
            )
            ran = time.monotonic() - began
    finally:
        await connection.close()
    api = [(s["t_s"], s["api_rss_mb"]) for s in samples if s["api_rss_mb"] is not None]
    render_total = [(s["t_s"], sum(s["render_rss_mb"])) for s in samples]
    worker = [(s["t_s"], s["worker_rss_mb"]) for s in samples if s["worker_rss_mb"] is not None]
    peak_kb = status_kb(api_pid).get("VmHWM", 0)
    return {
        "seconds": round(ran, 1),
        "requests": tally.report(),
        "api_rss": {**rss_figures(api), "vm_hwm_mb": round(peak_kb / 1024, 1)},
        "render_pool_rss_total": rss_figures(render_total),
        "render_pool_processes_at_end": len(samples[-1]["render_rss_mb"]) if samples else 0,
        "worker_rss": rss_figures(worker),
        "api_cpu_s": process_cpu(api_pid),
        "load_1m": {
            "min": min((s["load_1m"] for s in samples), default=None),
            "max": max((s["load_1m"] for s in samples), default=None),
            "mean": round(sum(s["load_1m"] for s in samples) / len(samples), 2)
            if samples
            else None,
        },
        "samples": samples,
    }


def bench_soak(workdir: Path, minutes: float) -> dict[str, Any]:
    prepared = prepare(workdir, SHAPE, database_prefix="spotcheck_soak_rss")
    try:
        span = asyncio.run(history_span(prepared.database_url))
        port = free_port()
        env = spotcheck_env(prepared.database_url, workdir, port)
        env["SPOTCHECK_MEDIA_DIR"] = str(prepared.media_dir)
        serve = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1"]
        serve += ["--port", str(port), "--workers", "1"]
        worker = [sys.executable, "-m", "server.cli", "worker"]
        base_url = f"http://127.0.0.1:{port}"
        load_before = os.getloadavg()
        with process(serve, env, f"{base_url}/health", workdir / "soak-server.log") as server:
            with process(worker, env, f"{base_url}/health", workdir / "soak-worker.log") as work:
                at_start = rss_mb(server.pid)
                result = asyncio.run(
                    soak_load(
                        base_url, prepared.database_url, server.pid, work.pid, minutes * 60, span
                    )
                )
    finally:
        if prepared.owned:
            asyncio.run(drop_database(prepared.database_url))
    end_mb = result["api_rss"]["end_mb"]
    return {
        "name": "soak",
        "what": (
            f"{minutes:g} min of mixed load at a fixed rate ({PHONES} phones every "
            f"{PHONE_PERIOD_S:g} s, 2 leaders every {LEADER_PERIOD_S:g} s, PDFs and exports "
            "included) through `spotcheck serve` (one worker) and `spotcheck worker`; RSS sampled "
            f"every {SAMPLE_PERIOD_S:g} s"
        ),
        "generation": prepared.generated,
        "target_api_rss_mb": TARGET_RSS_MB,
        "api_rss_mb_idle_before_load": at_start,
        # The target is about the end of the hour; the peak is said beside it.
        "within_target": end_mb is not None and end_mb < TARGET_RSS_MB,
        "peak_within_target": end_mb is not None and result["api_rss"]["peak_mb"] < TARGET_RSS_MB,
        "environment": {
            key: os.environ[key]
            for key in ("MALLOC_ARENA_MAX", "PYTHONMALLOC")
            if key in os.environ
        },
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        **result,
    }


def main(argv: list[str], workdir: Path) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench soak")
    parser.add_argument("--minutes", type=float, default=60.0)
    options = parser.parse_args(argv)
    return bench_soak(workdir, options.minutes)
