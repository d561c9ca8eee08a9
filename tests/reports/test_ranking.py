"""The ranking rules, periods, band and heatmap shaping, and the SVG charts: pure, no database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import charts
from reports.ranking import (
    Band,
    BandScale,
    SectionCell,
    UnitFigures,
    band_distribution,
    band_for,
    competition_ranks,
    heatmap,
    ordered_section_keys,
    previous_period,
    rank_units,
)

BANDS = [
    Band("tot", "Tốt", 90),
    Band("kha", "Khá", 80),
    Band("trung_binh", "Trung bình", 65),
    Band("khong_dat", "Không đạt", 0),
]


def unit(key: str, average: float | None, scored: int = 3, inspections: int | None = None):
    return UnitFigures(
        unit=key,
        name=f"Đơn vị {key}",
        inspections=scored if inspections is None else inspections,
        scored=scored,
        average_score=average,
    )


def test_units_are_ranked_by_average_highest_first() -> None:
    result = rank_units([unit("A", 70.0), unit("B", 95.5), unit("C", 82.25)], bands=BANDS)

    assert [(entry.unit, entry.rank) for entry in result.ranked] == [("B", 1), ("C", 2), ("A", 3)]
    assert [entry.band.key for entry in result.ranked if entry.band] == ["tot", "kha", "trung_binh"]
    assert result.insufficient_data == []


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    result = rank_units(
        [unit("A", 90.0), unit("B", 85.0), unit("C", 85.0), unit("D", 80.0), unit("E", 90.0)]
    )

    ranks = {entry.unit: entry.rank for entry in result.ranked}
    assert ranks == {"A": 1, "E": 1, "B": 3, "C": 3, "D": 5}


def test_averages_equal_as_shown_are_a_tie() -> None:
    # 85.004 and 84.996 both show as 85.00: a leader could not tell them apart, so neither can we.
    result = rank_units([unit("A", 85.004), unit("B", 84.996), unit("C", 84.994)])

    ranks = {entry.unit: entry.rank for entry in result.ranked}
    assert ranks == {"A": 1, "B": 1, "C": 3}
    assert {entry.average_score for entry in result.ranked} == {85.0, 84.99}


def test_change_is_previous_rank_minus_current_rank() -> None:
    previous = [unit("A", 95.0), unit("B", 90.0), unit("C", 70.0)]
    current = [unit("A", 80.0), unit("B", 92.0), unit("C", 85.0), unit("D", 99.0)]

    result = rank_units(current, previous)

    by_unit = {entry.unit: entry for entry in result.ranked}
    assert (by_unit["D"].rank, by_unit["D"].previous_rank, by_unit["D"].rank_change) == (
        1,
        None,
        None,
    )
    assert (by_unit["B"].rank, by_unit["B"].previous_rank, by_unit["B"].rank_change) == (2, 2, 0)
    assert (by_unit["C"].rank, by_unit["C"].previous_rank, by_unit["C"].rank_change) == (3, 3, 0)
    assert (by_unit["A"].rank, by_unit["A"].previous_rank, by_unit["A"].rank_change) == (4, 1, -3)
    assert by_unit["A"].score_change == -15.0
    assert by_unit["D"].score_change is None


def test_too_few_inspections_are_listed_apart_not_ranked() -> None:
    current = [
        unit("A", 99.0, scored=1),  # the best score, but one visit only
        unit("B", 80.0, scored=2),
        unit("C", 70.0, scored=3),
        unit("D", None, scored=0, inspections=1),  # started, not scored yet
    ]

    result = rank_units(current, min_inspections=2, bands=BANDS)

    assert [(entry.unit, entry.rank) for entry in result.ranked] == [("B", 1), ("C", 2)]
    unranked = {entry.unit: entry for entry in result.insufficient_data}
    assert set(unranked) == {"A", "D"}
    assert unranked["A"].average_score == 99.0 and unranked["A"].scored == 1
    assert unranked["D"].average_score is None and unranked["D"].inspections == 1


def test_insufficient_data_in_the_previous_period_means_no_change() -> None:
    previous = [unit("A", 90.0, scored=1), unit("B", 80.0, scored=2)]
    current = [unit("A", 95.0, scored=2), unit("B", 85.0, scored=2)]

    result = rank_units(current, previous, min_inspections=2)

    by_unit = {entry.unit: entry for entry in result.ranked}
    # A was not comparable then: no previous rank, no change; B was first among the comparable.
    assert (by_unit["A"].previous_rank, by_unit["A"].rank_change) == (None, None)
    assert (by_unit["B"].previous_rank, by_unit["B"].rank_change) == (1, -1)


def test_min_inspections_one_ranks_everyone_with_a_score() -> None:
    result = rank_units([unit("A", 50.0, scored=1), unit("B", None, scored=0)], min_inspections=1)

    assert [entry.unit for entry in result.ranked] == ["A"]
    assert [entry.unit for entry in result.insufficient_data] == ["B"]
    with pytest.raises(ValueError):
        rank_units([], min_inspections=0)


@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 5)),
        max_size=25,
    ),
    st.integers(1, 4),
)
def test_ranking_properties(entries: list[tuple[int, int]], min_inspections: int) -> None:
    figures = [
        unit(f"U{index}", score / 100 if scored else None, scored=scored)
        for index, (score, scored) in enumerate(entries)
    ]
    result = rank_units(figures, min_inspections=min_inspections)

    # Everyone is either ranked or listed apart, never both.
    ranked = {entry.unit for entry in result.ranked}
    apart = {entry.unit for entry in result.insufficient_data}
    assert ranked | apart == {entry.unit for entry in figures} and not ranked & apart
    assert all(entry.scored >= min_inspections for entry in result.ranked)
    assert all(entry.scored < min_inspections for entry in result.insufficient_data)
    # Rank = 1 + the number of units with a strictly better shown average.
    for entry in result.ranked:
        better = sum(other.average_score > entry.average_score for other in result.ranked)
        assert entry.rank == 1 + better
    # Listed in rank order.
    assert [entry.rank for entry in result.ranked] == sorted(entry.rank for entry in result.ranked)


def test_competition_ranks_of_nothing_is_empty() -> None:
    assert competition_ranks([], min_inspections=2) == {}


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, "tot"),
        (90, "tot"),
        (89.996, "tot"),
        (89.99, "kha"),
        (65, "trung_binh"),
        (0, "khong_dat"),
    ],
)
def test_band_of_a_score_uses_the_shown_value(score: float, band: str) -> None:
    found = band_for(score, BANDS)
    assert found is not None and found.key == band


@given(st.floats(min_value=-10, max_value=110, allow_nan=False))
def test_precomputed_band_scale_agrees_with_a_plain_search(score: float) -> None:
    """The bisection over sorted thresholds gives the band a plain search over the bands gives."""
    shown = round(score, 2)
    reached = [band for band in BANDS if shown >= band.min_score]
    expected = max(reached, key=lambda band: band.min_score) if reached else BANDS[-1]
    scale = BandScale.of(list(reversed(BANDS)))  # in any order

    assert scale.band(score) == expected
    assert scale.order(score) == BANDS.index(expected)  # BANDS is best first


def test_band_of_nothing_is_nothing() -> None:
    assert band_for(None, BANDS) is None
    assert band_for(50, []) is None


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # Whole months map to the same number of whole months before.
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))),
        ((date(2026, 1, 1), date(2026, 3, 31)), (date(2025, 10, 1), date(2025, 12, 31))),
        ((date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 2, 1), date(2024, 2, 29))),
        ((date(2026, 1, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))),
        # Anything else: the window of the same length just before.
        ((date(2026, 3, 10), date(2026, 3, 19)), (date(2026, 2, 28), date(2026, 3, 9))),
        ((date(2026, 5, 5), date(2026, 5, 5)), (date(2026, 5, 4), date(2026, 5, 4))),
    ],
)
def test_previous_period(period: tuple[date, date], expected: tuple[date, date]) -> None:
    assert previous_period(*period) == expected


def test_previous_period_refuses_a_reversed_period() -> None:
    with pytest.raises(ValueError):
        previous_period(date(2026, 3, 2), date(2026, 3, 1))


def test_band_distribution_keeps_every_band_in_order_and_adds_the_unscored() -> None:
    rows = band_distribution({"kha": 3, None: 1, "tot": 4, "old_band": 2}, BANDS)

    assert [(row.key, row.count) for row in rows] == [
        ("tot", 4),
        ("kha", 3),
        ("trung_binh", 0),
        ("khong_dat", 0),
        ("old_band", 2),
        (None, 1),
    ]
    assert sum(row.count for row in rows) == 10
    assert rows[0].share == 0.4
    assert band_distribution({}, BANDS)[0].share == 0.0


def test_heatmap_is_a_full_grid_with_empty_cells_not_zeros() -> None:
    cells = [
        SectionCell(unit="U1", section_key="A", average_score=95.0, inspections=2),
        SectionCell(unit="U1", section_key="B", average_score=60.0, inspections=2),
        SectionCell(unit="U2", section_key="B", average_score=None, inspections=0),
    ]
    keys = ordered_section_keys([cell.section_key for cell in cells], ["B", "A", "C"])

    grid = heatmap(cells, units=[("U2", "Hai"), ("U1", "Một")], section_keys=keys, bands=BANDS)

    assert keys == ["B", "A"]
    assert [row.unit for row in grid] == ["U2", "U1"]
    assert [cell.average_score for cell in grid[0].cells] == [None, None]
    assert [(cell.average_score, cell.band_order) for cell in grid[1].cells] == [
        (60.0, 3),
        (95.0, 0),
    ]


def test_ordered_section_keys_puts_unknown_keys_last() -> None:
    assert ordered_section_keys(["Z", "A", "B"], ["B", "A"]) == ["B", "A", "Z"]


# --- Charts --------------------------------------------------------------------------------------


NASTY = "UBND xã <Hải Hậu> & \"Trung tâm\" 'một cửa'"


def test_ranking_chart_keeps_labels_as_given_and_vietnamese() -> None:
    """A chart's text is laid over its image as text (the template escapes it like any other)."""
    chart = charts.ranking_bar_chart(
        [
            charts.Bar(label=f"1. {NASTY}", value=92.5, color="#1e7b3a", caption="Tốt"),
            charts.Bar(label="2. Phường Đông Ngạc", value=81.25, color="#7cb342"),
        ]
    )

    words = chart.words()
    assert words[0].startswith('1. UBND xã <Hải Hậu> & "Tr') and words[0].endswith("92,50 Tốt")
    assert "…" in words[0]  # clipped
    assert words[1] == "2. Phường Đông Ngạc 81,25"
    assert "0 25 50 75 100" in words
    assert chart.title == "Xếp hạng đơn vị theo điểm bình quân"
    bars = [shape for shape in chart.shapes if isinstance(shape, charts.Rect)]
    assert [bar.color for bar in bars] == ["#1e7b3a", "#7cb342"]
    assert bars[0].width > bars[1].width > 0


def test_heatmap_chart_keeps_labels_and_marks_empty_cells() -> None:
    chart = charts.section_heatmap(
        row_labels=[NASTY, "Xã Nghĩa Hưng"],
        column_labels=["A", "B&C"],
        cells=[
            [charts.HeatCell(95.0, "#1e7b3a"), charts.HeatCell(None, charts.NO_DATA_COLOR)],
            [charts.HeatCell(55.5, "#c62828"), charts.HeatCell(70.0, "#e8a317")],
        ],
        total_first=True,
    )

    words = chart.words()
    assert words[0] == "A B&C"
    assert words[1].endswith("95,0 –") and words[2] == "Xã Nghĩa Hưng 55,5 70,0"
    bold = [block for block in chart.texts if block.bold]
    assert len(bold) == 2 and "95,0" in bold[1].text  # the headers, and the whole scope's row


def test_band_chart_and_empty_charts_draw() -> None:
    chart = charts.band_distribution_chart(
        [charts.Slice("Tốt", 3, 0.75, "#1e7b3a"), charts.Slice("Không đạt", 1, 0.25, "#c62828")]
    )
    assert chart.words() == ["Tốt 3 (75%)", "Không đạt 1 (25%)"]
    for empty in (
        charts.ranking_bar_chart([]),
        charts.section_heatmap(row_labels=[], column_labels=[], cells=[]),
        charts.band_distribution_chart([]),
    ):
        assert empty.shapes == [] and len(empty.words()) == 1
        assert empty.png().startswith(b"\x89PNG")


def test_band_colors_run_from_green_to_red_whatever_the_number_of_bands() -> None:
    for count in (2, 3, 4, 5, 7):
        assert charts.band_color(0, count) == charts.BAND_COLORS[0]
        assert charts.band_color(count - 1, count) == charts.BAND_COLORS[-1]
    assert charts.band_color(None, 4) == charts.NO_DATA_COLOR
    assert charts.band_color(0, 1) == charts.BAND_COLORS[0]
