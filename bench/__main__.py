"""`make bench`: run every benchmark and write JSON under bench/results/.

Each benchmark times the project's way against a simple baseline in the same process, on the same
machine, interleaved, and reports the ratio; absolute times vary between machines, ratios less.

- scoring: the checklist engine scoring a full inspection, against a plain sum of the same points
  (what the engine costs for visibility rules, N/A rescaling, evidence rules and findings);
- sync: one batch of all answer ops, against the same ops sent one request each (what batching
  saves a phone on a weak network);
- minutes: rendering the full minutes PDF, against a one-page WeasyPrint document with the same
  fonts (the cost of the document itself, not of WeasyPrint's start-up);
- app: the phone app's first load (gzipped JS + CSS, budget 150 KB) and time to interactive in
  Chromium on a throttled phone profile, against a bare HTML page on the same profile
  (bench/app_budget.py). `python -m bench app` runs it alone;
- ingest: sync batches of 40 answers on PostgreSQL from 1, 10 and 50 phones at once, the real
  server (one worker and two) against a bare Litestar + asyncpg endpoint inserting the same rows
  (bench/ingest.py, bench/bare_ingest.py). `python -m bench ingest` runs it alone;
- outbox: notification delivery on PostgreSQL, 3,000 webhook messages drained by one and then two
  `spotcheck worker` processes into a local receiver, against httpx POSTing the same bodies to it
  at the same concurrency, exactly once checked by event key (bench/outbox.py).
  `python -m bench outbox` runs it alone.
- dossiers: a 100,000-row dossier ledger read, parsed and validated from CSV and from XLSX, and
  every rule run over it, against the same files merely read (bench/dossiers.py).
  `python -m bench dossiers` runs it alone.
- reports: leader reports at province scale on PostgreSQL: a database filled by the scale
  generator (`python -m bench scale`: ~200 units, 20,000 signed inspections over two years,
  ~1,040,000 answers, ~100,000 findings and corrective actions, the sealed audit chain), then
  the summary, ranking, summary PDF and exports through `spotcheck serve` as the province's and a
  district's leader, fresh and repeated (p50/p95), against one hand-written SQL query per figure
  through asyncpg; and the API process's peak RSS after them and after a few minutes of mixed
  load (bench/reports.py, bench/scale.py, bench/province.py). `python -m bench reports` runs it
  alone; generating the database takes most of its time.
- ingest-full (not in the default run: it needs a generated province, given as for `reports` in
  SPOTCHECK_BENCH_REPORTS_DATABASE): the ingest load at 10 phones on that database against one
  with only the demo, in alternating rounds; the target is within 10 % (bench/ingest_full.py).
- reports-sqlite (not in the default run: it needs a generated province in a SQLite file, in
  SPOTCHECK_BENCH_SQLITE_DATABASE): the summary and ranking through the server on SQLite, the
  embedded default; the target is < 1 s (bench/reports_sqlite.py).
- dossier-import: the same 100,000 rows imported through the service on PostgreSQL (new, the
  same file again, a later export with 1 % changed), against the file merely read and validated
  (bench/dossier_import.py). `python -m bench dossier-import` runs it alone.
- dossier-indicators: the summary's dossier indicators for 204 communes with 3,000 dossiers
  each over two quarters on PostgreSQL, first and again, against the same dossiers merely read
  (bench/dossier_indicators.py). `python -m bench dossier-indicators` runs it alone.
- summary-pdf: the leader's summary PDF of a fabricated province (204 communes, every section
  filled) and of a district (13), rendered in one process as a render worker does (charts, HTML,
  WeasyPrint), median of 5 CPU and wall times with the load average (bench/summary_pdf.py).
  `python -m bench summary-pdf` runs it alone.

`python -m bench table` prints the speed-and-scale targets beside the figures last written under
bench/results/ (bench/targets.py); every run ends with that table.

Not in `make bench` (an hour): `python -m bench soak [--minutes 60]`, the API process's RSS (and
the render pool's and the worker's) sampled every 10 s under a fixed-rate mixed load through
`spotcheck serve` and `spotcheck worker` on a small generated province (bench/soak.py).

`python -m bench scale [--units N] [--inspections N] [--seed N] [--until DATE]` only generates
(into SPOTCHECK_DATABASE_URL, or a new PostgreSQL database whose URL it prints).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.targets import load_results
from bench.targets import render as render_targets

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def summary(project: list[float], baseline: list[float]) -> dict[str, Any]:
    project_median = statistics.median(project)
    baseline_median = statistics.median(baseline)
    return {
        "project_median_s": round(project_median, 6),
        "baseline_median_s": round(baseline_median, 6),
        "ratio_project_over_baseline": round(project_median / baseline_median, 3),
        "samples": len(project),
    }


def bench_scoring() -> dict[str, Any]:
    import random

    from checklists.scoring import Answer, score
    from checklists.services import SHIPPED_TEMPLATES_DIR
    from checklists.validator import load_template

    template = load_template((SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml").read_text(), "t.yaml")
    rng = random.Random(7)
    answers: dict[str, Answer] = {}
    for _section, item in template.items():
        kind = item.answer_type
        if kind in ("yes_no", "yes_no_na"):
            answers[item.key] = Answer(value=rng.choice(["yes", "no"]), photo_count=2, note="x")
        elif kind == "count":
            answers[item.key] = Answer(value=rng.randint(0, 3), photo_count=2, note="x")
        elif kind == "percent":
            answers[item.key] = Answer(
                numerator=rng.randint(5, 10), denominator=10, photo_count=2, note="x"
            )
        elif kind == "date":
            answers[item.key] = Answer(value="2026-11-01")
    points = {item.key: float(getattr(item, "points", 0)) for _s, item in template.items()}

    def baseline() -> None:
        earned = sum(points[key] for key, answer in answers.items() if answer.value in ("yes", 0))
        _ = earned / 100

    project, base = [], []
    for _ in range(30):  # interleaved, so drift hits both sides alike
        project += timed(lambda: score(template, answers), 1)
        base += timed(baseline, 20)[:1]
    return {
        "name": "scoring",
        "what": "score one full inspection vs a plain sum",
        **summary(project, base),
    }


def bench_sync_and_minutes() -> list[dict[str, Any]]:
    """Runs the API in-process on a fresh SQLite database."""
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/bench.sqlite3"
        env = {
            **os.environ,
            "SPOTCHECK_DATABASE_URL": url,
            "SPOTCHECK_ENVIRONMENT": "development",
            "SPOTCHECK_MEDIA_DIR": f"{workdir}/media",
        }
        for command in (["migrate"], ["demo"]):
            subprocess.run(
                [sys.executable, "-m", "server.cli", *command],
                env=env,
                check=True,
                capture_output=True,
            )
        os.environ.update(
            {
                key: env[key]
                for key in (
                    "SPOTCHECK_DATABASE_URL",
                    "SPOTCHECK_ENVIRONMENT",
                    "SPOTCHECK_MEDIA_DIR",
                )
            }
        )
        return asyncio.run(_api_benchmarks())


async def _api_benchmarks() -> list[dict[str, Any]]:
    import uuid

    import httpx

    from server.app import create_app

    app = create_app()
    results = []
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def login(username: str, password: str) -> dict[str, str]:
                response = await client.post(
                    "/api/v1/auth/login",
                    json={"username": username, "password": password, "device_name": "bench"},
                )
                return {"Authorization": f"Bearer {response.json()['access_token']}"}

            inspector = await login("kiemtra1", "inspector-demo-2026")
            boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
            assignment = boot["assignments"][0]
            content = boot["checklist_versions"][0]["content"]
            items = [item for section in content["sections"] for item in section["items"]]
            inspection_id = assignment["id"]
            now = datetime.now(UTC).isoformat()
            await client.post(
                "/mobile/v1/sync",
                json={
                    "device_id": "bench",
                    "sent_at": now,
                    "ops": [
                        {
                            "op_id": str(uuid.uuid4()),
                            "type": "start",
                            "payload": {
                                "inspection_id": inspection_id,
                                "device_time": now,
                                "latitude": assignment["unit"]["latitude"],
                                "longitude": assignment["unit"]["longitude"],
                            },
                        }
                    ],
                },
                headers=inspector,
            )
            yes_no = [
                item["key"] for item in items if item["answer_type"] in ("yes_no", "yes_no_na")
            ]

            def ops() -> list[dict[str, Any]]:
                return [
                    {
                        "op_id": str(uuid.uuid4()),
                        "type": "answer",
                        "payload": {
                            "inspection_id": inspection_id,
                            "item_key": key,
                            "value": "yes",
                            "device_time": datetime.now(UTC).isoformat(),
                        },
                    }
                    for key in yes_no
                ]

            batched, single = [], []
            for _ in range(5):
                batch = ops()
                started = time.perf_counter()
                await client.post(
                    "/mobile/v1/sync",
                    json={"device_id": "bench", "sent_at": now, "ops": batch},
                    headers=inspector,
                )
                batched.append(time.perf_counter() - started)
                one_by_one = ops()
                started = time.perf_counter()
                for op in one_by_one:
                    await client.post(
                        "/mobile/v1/sync",
                        json={"device_id": "bench", "sent_at": now, "ops": [op]},
                        headers=inspector,
                    )
                single.append(time.perf_counter() - started)
            results.append(
                {
                    "name": "sync",
                    "what": f"{len(yes_no)} answer ops in one batch vs one request each",
                    **summary(batched, single),
                }
            )

            leader = await login("lanhdao.trucninh", "leader-demo-2026")
            signed = [
                row
                for row in (
                    await client.get("/api/v1/inspections?status=signed", headers=leader)
                ).json()
            ]
            from reports.pdf_engine import render_pdf

            minutes, served, baseline = [], [], []
            for row in signed:
                for lang in ("vi", "en"):
                    path = f"/api/v1/inspections/{row['id']}/minutes.pdf?lang={lang}"
                    started = time.perf_counter()
                    response = await client.get(path, headers=leader)
                    assert response.status_code == 200
                    minutes.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await client.get(path, headers=leader)  # signed minutes: served as stored
                    served.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    render_pdf("<p style=\"font-family: 'Spotcheck Serif'\">Biên bản</p>")
                    baseline.append(time.perf_counter() - started)
            results.append(
                {
                    "name": "minutes",
                    "what": "first render of a signed inspection's minutes PDF (vi and en) vs a one-page document",
                    "served_from_store_median_s": round(statistics.median(served), 4),
                    **summary(minutes, baseline),
                }
            )
    return results


def main() -> int:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    only = sys.argv[1:]
    if only == ["table"]:  # the targets beside the figures already measured; runs nothing
        print(render_targets(load_results(RESULTS_DIR)))
        return 0
    if only[:1] == ["scale"]:  # a generator, not a benchmark: it writes no result file
        from bench.scale import main as scale

        return scale(only[1:])
    results = []
    if not only or "app" in only:
        from bench.app_budget import bench_app

        results.append(bench_app())
    if not only or "scoring" in only:
        results.append(bench_scoring())
    if not only or {"sync", "minutes"} & set(only):
        results.extend(bench_sync_and_minutes())
    if not only or "ingest" in only:
        from bench.ingest import bench_ingest

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_ingest(Path(workdir)))
    if not only or "dossiers" in only:
        from bench.dossiers import bench_dossiers

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_dossiers(Path(workdir)))
    if not only or "dossier-import" in only:
        from bench.dossier_import import bench_dossier_import

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_dossier_import(Path(workdir)))
    if not only or "dossier-indicators" in only:
        from bench.dossier_indicators import bench_dossier_indicators

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_dossier_indicators(Path(workdir)))
    if not only or "outbox" in only:
        from bench.outbox import bench_outbox

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_outbox(Path(workdir)))
    if not only or "reports" in only:
        from bench.reports import bench_reports

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_reports(Path(workdir)))
    if not only or "summary-pdf" in only:
        from bench.summary_pdf import bench_summary_pdf

        results.append(bench_summary_pdf())
    if "ingest-full" in only:  # needs a generated province (SPOTCHECK_BENCH_REPORTS_DATABASE)
        from bench.ingest_full import bench_ingest_full

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_ingest_full(Path(workdir)))
    if only[:1] == ["soak"]:  # an hour by default: only ever on its own, never in `make bench`
        from bench.soak import main as soak

        with tempfile.TemporaryDirectory() as workdir:
            results.append(soak(only[1:], Path(workdir)))
    if "reports-sqlite" in only:  # needs a generated province in a SQLite file
        from bench.reports_sqlite import bench_reports_sqlite

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_reports_sqlite(Path(workdir)))
    if "exports" in only:  # not in the default run: `reports` measures the same at full size
        from bench.reports import bench_exports

        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_exports(Path(workdir)))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for result in results:
        result.update(machine=machine, at=stamp)
        path = RESULTS_DIR / f"{result['name']}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(json.dumps(result, ensure_ascii=False))
    print()
    print(render_targets(load_results(RESULTS_DIR)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
