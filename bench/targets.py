"""The speed-and-scale targets beside the figures last measured: one table.

`python -m bench table` prints it from the result files under bench/results/, and `make bench`
prints it after its runs. Each row reads one figure from one result file; a figure no run has
written yet reads "not measured", never a guess. Beside each figure: when it was measured and the
machine's load average then (the figures are wall times on a shared two-core machine).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Result = dict[str, Any]


@dataclass(frozen=True)
class Target:
    what: str
    goal: str
    result: str  # the file's name under bench/results/, without .json
    read: Callable[[Result], float | bool | None]
    met: Callable[[Any], bool]
    shown: Callable[[Any], str]


def dig(result: Result, *path: str | int) -> Any:
    """The value at ``path`` in nested dicts and lists, or None where a step is missing."""
    value: Any = result
    for step in path:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _run(result: Result, side: str, concurrency: int, field: str) -> Any:
    for run in result.get("runs", []):
        if run.get("side") == side and run.get("concurrency") == concurrency:
            return run.get(field)
    return None


def _seconds_as_ms(value: float | None) -> float | None:
    return None if value is None else value * 1000


def _an_hour(result: Result) -> bool:
    return bool((dig(result, "seconds") or 0) >= 3600)


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _times(value: float) -> str:
    return f"{value:.2f}×"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _per_s(value: float) -> str:
    return f"{value:,.0f}/s"


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


TARGETS: tuple[Target, ...] = (
    Target(
        "Sync ingest, PostgreSQL, one worker, c=10: share of the bare endpoint's batches/s",
        "≥ 40 %",
        "ingest",
        lambda r: dig(r, "ratios", "c10", "one_worker_over_bare"),
        lambda v: v >= 0.40,
        _percent,
    ),
    Target(
        "Sync ingest, one worker, c=50: share of the bare endpoint's batches/s",
        "≥ 40 %",
        "ingest",
        lambda r: dig(r, "ratios", "c50", "one_worker_over_bare"),
        lambda v: v >= 0.40,
        _percent,
    ),
    Target(
        "Sync ingest, one worker, c=50: p95 of a 40-answer batch",
        "< 250 ms",
        "ingest",
        lambda r: _run(r, "spotcheck-now-postgres-1w", 50, "p95_ms"),
        lambda v: v < 250,
        _ms,
    ),
    Target(
        "Sync ingest, two workers over one, c=10",
        "≥ 1.7×",
        "ingest",
        lambda r: dig(r, "ratios", "c10", "two_workers_over_one"),
        lambda v: v >= 1.7,
        _times,
    ),
    Target(
        "Sync ingest, two workers over one, c=50",
        "≥ 1.7×",
        "ingest",
        lambda r: dig(r, "ratios", "c50", "two_workers_over_one"),
        lambda v: v >= 1.7,
        _times,
    ),
    Target(
        "Sync ingest, SQLite, c=10: over the code before issue 13",
        "≥ 10×",
        "ingest",
        lambda r: dig(r, "ratios", "c10", "sqlite_now_over_before"),
        lambda v: v >= 10,
        _times,
    ),
    Target(
        "Sync ingest with 1,000,000 answers stored over an empty database, c=10",
        "within 10 %",
        "ingest-full",
        lambda r: dig(r, "full_over_empty"),
        lambda v: abs(v - 1) <= 0.10,
        _times,
    ),
    Target(
        "/reports/summary over the province (1,000,000 answers), p95",
        "< 300 ms",
        "reports",
        lambda r: dig(r, "results", "province.summary", "p95_ms"),
        lambda v: v < 300,
        _ms,
    ),
    Target(
        "/reports/ranking over the province, p95",
        "< 300 ms",
        "reports",
        lambda r: dig(r, "results", "province.ranking", "p95_ms"),
        lambda v: v < 300,
        _ms,
    ),
    Target(
        "/reports/summary over the province on SQLite, p95",
        "< 1,000 ms",
        "reports-sqlite",
        lambda r: dig(r, "results", "province.summary", "p95_ms"),
        lambda v: v < 1000,
        _ms,
    ),
    Target(
        "/reports/ranking over the province on SQLite, p95",
        "< 1,000 ms",
        "reports-sqlite",
        lambda r: dig(r, "results", "province.ranking", "p95_ms"),
        lambda v: v < 1000,
        _ms,
    ),
    Target(
        "Summary PDF of a 204-unit province, render in one process (median CPU of 5)",
        "< 2,000 ms",
        "summary-pdf",
        lambda r: _seconds_as_ms(dig(r, "province", "cpu_s_median")),
        lambda v: v < 2000,
        _ms,
    ),
    Target(
        "Summary PDF of the generated province through the server, a new period each time "
        "(rendered anew on a warm pool), slowest of 3",
        "< 2,000 ms",
        "reports",
        lambda r: dig(r, "results", "province.summary.pdf.new", "p95_ms"),
        lambda v: v < 2000,
        _ms,
    ),
    Target(
        "Outbox, two workers, to a local webhook",
        "≥ 500/s",
        "outbox",
        lambda r: dig(r, "deliveries_per_s", "two_workers"),
        lambda v: v >= 500,
        _per_s,
    ),
    Target(
        "Outbox: each message delivered exactly once",
        "yes",
        "outbox",
        lambda r: dig(r, "exactly_once"),
        lambda v: v is True,
        _yes_no,
    ),
    Target(
        "API process RSS after an hour of mixed load with PDFs",
        "< 200 MB",
        "soak",
        lambda r: dig(r, "api_rss", "end_mb") if _an_hour(r) else None,
        lambda v: v < 200,
        _mb,
    ),
    Target(
        "API process RSS at its highest during that hour (sampled every 10 s; a stricter reading)",
        "< 200 MB",
        "soak",
        lambda r: dig(r, "api_rss", "peak_mb") if _an_hour(r) else None,
        lambda v: v < 200,
        _mb,
    ),
)


def load_results(directory: Path) -> dict[str, Result]:
    results: dict[str, Result] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            results[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a half-written file reads as not measured
    return results


def _load_average(result: Result) -> str:
    for field in ("load_average_after", "load_average_before", "load_average"):
        value = result.get(field, dig(result, "province", "load_after"))
        if isinstance(value, list) and value:
            return f"{value[0]:.1f}"
    return "—"


def rows(results: dict[str, Result]) -> list[tuple[str, str, str, str, str, str]]:
    """(target, goal, measured, met, measured at, load average) for each target."""
    table = []
    for target in TARGETS:
        result = results.get(target.result)
        value = target.read(result) if result is not None else None
        if value is None or result is None:
            table.append((target.what, target.goal, "not measured", "—", "—", "—"))
            continue
        table.append(
            (
                target.what,
                target.goal,
                target.shown(value),
                "met" if target.met(value) else "NOT met",
                str(result.get("at", "—")),
                _load_average(result),
            )
        )
    return table


def render(results: dict[str, Result]) -> str:
    header = ("Target", "Goal", "Measured", "Met", "At (UTC)", "Load")
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    return "\n".join(lines)
