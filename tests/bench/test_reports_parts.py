"""`python -m bench reports` measuring only some parts (SPOTCHECK_BENCH_REPORTS_PARTS): the
parts it runs, and the last figures of the others carried over apart, with their own time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import reports


def test_parts_default_to_all_and_refuse_unknown_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPOTCHECK_BENCH_REPORTS_PARTS", raising=False)
    assert reports.parts() == ("json", "pdf", "exports", "mixed")

    monkeypatch.setenv("SPOTCHECK_BENCH_REPORTS_PARTS", "mixed, json")
    assert reports.parts() == ("json", "mixed")

    monkeypatch.setenv("SPOTCHECK_BENCH_REPORTS_PARTS", "json,summary")
    with pytest.raises(SystemExit, match="summary"):
        reports.parts()


def test_each_series_belongs_to_its_part() -> None:
    assert reports.part_of("province.summary") == "json"
    assert reports.part_of("district.ranking.sql") == "json"
    assert reports.part_of("province.summary.pdf") == "pdf"
    assert reports.part_of("district.summary.pdf.new") == "pdf"
    assert reports.part_of("district.findings_90_days.xlsx") == "exports"
    assert reports.part_of("province.actions.csv.sql") == "exports"


def test_skipped_parts_keep_their_last_figures_with_when_they_were_measured(
    tmp_path: Path,
) -> None:
    older = {
        "at": "20261101T000000Z",
        "results": {
            "province.summary": {"p95_ms": 900.0},
            "province.summary.pdf": {"p95_ms": 40000.0},
            "province.actions.csv": {"p50_ms": 144000.0},
        },
        "mixed_load": {"api_peak_rss_mb": 150},
    }
    path = tmp_path / "reports.json"
    path.write_text(json.dumps(older), encoding="utf-8")

    kept = reports.not_rerun(["pdf", "exports", "mixed"], path)

    assert kept == {
        "results": {
            "province.summary.pdf": {"p95_ms": 40000.0, "measured_at": "20261101T000000Z"},
            "province.actions.csv": {"p50_ms": 144000.0, "measured_at": "20261101T000000Z"},
        },
        "mixed_load": {"api_peak_rss_mb": 150, "measured_at": "20261101T000000Z"},
    }

    # A later run that skips them again carries them with the stamp of the run that measured
    # them, not its predecessor's.
    newer = {
        "at": "20261130T000000Z",
        "results": {"province.summary": {"p95_ms": 250.0}},
        "mixed_load": None,
        "not_rerun": kept,
    }
    path.write_text(json.dumps(newer), encoding="utf-8")

    assert reports.not_rerun(["pdf", "exports", "mixed"], path) == kept
    assert reports.not_rerun(["exports"], path) == {
        "results": {"province.actions.csv": kept["results"]["province.actions.csv"]}
    }
