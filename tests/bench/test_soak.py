"""The soak bench's figures from its samples (bench/soak.py): start, peak, end and the slope."""

from __future__ import annotations

import pytest

from bench.soak import rss_figures, slope_mb_per_hour


def test_the_slope_of_a_steady_climb_is_in_mb_per_hour() -> None:
    points = [(t, 100 + t / 60) for t in range(0, 600, 10)]  # 1 MB a minute
    assert slope_mb_per_hour(points) == pytest.approx(60.0)


def test_a_flat_series_has_no_slope_and_too_few_points_none() -> None:
    assert slope_mb_per_hour([(t, 150.0) for t in range(0, 100, 10)]) == pytest.approx(0.0)
    assert slope_mb_per_hour([(0.0, 150.0)]) is None


def test_the_slope_reads_only_the_last_window() -> None:
    # Climbs for the first hour, then flat for 30 minutes: the last 30 minutes are flat.
    climb = [(float(t), 100 + t / 36) for t in range(0, 3600, 10)]
    flat = [(float(t), 200.0) for t in range(3600, 5410, 10)]
    figures = rss_figures(climb + flat)

    assert figures["slope_mb_per_hour"] == pytest.approx(0.0)
    assert figures["slope_window_s"] == 1800
    assert (figures["start_mb"], figures["peak_mb"], figures["end_mb"]) == (100.0, 200.0, 200.0)


def test_a_run_shorter_than_an_hour_takes_its_second_half() -> None:
    points = [(float(t), 100.0 if t < 300 else 100 + (t - 300) / 60) for t in range(0, 610, 10)]
    figures = rss_figures(points)

    assert figures["slope_window_s"] == 300
    assert figures["slope_mb_per_hour"] == pytest.approx(60.0)
