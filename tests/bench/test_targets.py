"""The targets table `make bench` prints: each figure read from its result file, judged against
its goal, and "not measured" where no run wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from bench.targets import TARGETS, load_results, render, rows


def _row(table: list[tuple[str, ...]], starts: str) -> tuple[str, ...]:
    (row,) = [row for row in table if row[0].startswith(starts)]
    return row


def test_a_figure_is_judged_against_its_goal_with_when_and_under_what_load() -> None:
    results = {
        "outbox": {
            "deliveries_per_s": {"two_workers": 512.4},
            "exactly_once": False,
            "at": "20261130T210000Z",
            "load_average_after": [2.25, 1.0, 0.5],
        },
        "ingest": {
            "ratios": {"c10": {"one_worker_over_bare": 0.39}},
            "runs": [{"side": "spotcheck-now-postgres-1w", "concurrency": 50, "p95_ms": 249.0}],
        },
    }
    table = rows(results)
    assert _row(table, "Outbox, two workers") == (
        "Outbox, two workers, to a local webhook",
        "≥ 500/s",
        "512/s",
        "met",
        "20261130T210000Z",
        "2.2",
    )
    assert _row(table, "Outbox: each message")[2:4] == ("no", "NOT met")
    assert _row(table, "Sync ingest, PostgreSQL, one worker, c=10")[2:4] == ("39 %", "NOT met")
    assert _row(table, "Sync ingest, one worker, c=50: p95")[2:4] == ("249 ms", "met")


def test_what_no_run_wrote_reads_not_measured() -> None:
    table = rows({"ingest": {"ratios": {}}})
    assert len(table) == len(TARGETS)
    assert all(row[2] == "not measured" and row[3] == "—" for row in table)


def test_a_soak_shorter_than_an_hour_does_not_count_for_the_hour_target() -> None:
    short = {"soak": {"seconds": 900, "api_rss": {"end_mb": 150.0, "peak_mb": 250.0}}}
    hour = {"soak": {"seconds": 3610, "api_rss": {"end_mb": 150.0, "peak_mb": 250.0}}}
    assert _row(rows(short), "API process RSS after")[2] == "not measured"
    assert _row(rows(hour), "API process RSS after")[2:4] == ("150 MB", "met")
    assert _row(rows(hour), "API process RSS at its highest")[2:4] == ("250 MB", "NOT met")


def test_the_table_is_read_from_the_result_files(tmp_path: Path) -> None:
    (tmp_path / "outbox.json").write_text(
        json.dumps({"deliveries_per_s": {"two_workers": 414.0}}), encoding="utf-8"
    )
    (tmp_path / "half-written.json").write_text('{"deliv', encoding="utf-8")
    text = render(load_results(tmp_path))
    assert "| Outbox, two workers, to a local webhook | ≥ 500/s | 414/s | NOT met |" in text
    assert text.count("\n") == len(TARGETS) + 1
