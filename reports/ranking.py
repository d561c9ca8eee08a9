"""Ranking, period and chart shaping for leader summaries. Pure: figures in, figures out, no I/O.

Rules, and the decisions behind them:

- **Who is ranked.** A unit is ranked when it has at least ``min_inspections`` *scored*
  inspections in the period (default 2). A unit with fewer is listed separately as
  ``insufficient_data``, with its figures but no rank, band or change: one visit is an anecdote,
  and ranking it next to a unit seen five times would compare unlike things.
- **Order and ties.** Units are ordered by their average score, compared as shown (rounded to
  2 decimals), highest first. Equal averages share a rank and the next rank is skipped
  (competition ranking: 1, 2, 2, 4), so "4th" always means "three units did better".
- **Change.** ``rank_change`` is the previous period's rank minus this one (positive = moved up),
  computed with the same rule over the previous period; a unit not ranked then has no change.
- **Band.** A unit's band is the band its rounded average reaches on the reference checklist's
  thresholds (the per-inspection critical-failure cap is not averaged into it; the bands
  distribution and findings show those).
- **Previous period.** Whole calendar months map to the same number of whole months before;
  any other period to the window of the same length just before it.
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

Key = TypeVar("Key")

DEFAULT_MIN_INSPECTIONS = 2
SCORE_DECIMALS = 2


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    min_score: float


@dataclass(frozen=True)
class UnitFigures(Generic[Key]):
    """One unit's figures for one period, as the aggregation query returns them."""

    unit: Key
    name: str
    inspections: int  # started, not cancelled
    scored: int  # of those, with a total score
    average_score: float | None  # over the scored ones


@dataclass(frozen=True)
class RankedUnit(Generic[Key]):
    unit: Key
    name: str
    rank: int
    inspections: int
    scored: int
    average_score: float
    band: Band | None
    previous_rank: int | None
    rank_change: int | None
    previous_average_score: float | None
    score_change: float | None


@dataclass(frozen=True)
class UnrankedUnit(Generic[Key]):
    unit: Key
    name: str
    inspections: int
    scored: int
    average_score: float | None


@dataclass(frozen=True)
class Ranking(Generic[Key]):
    ranked: list[RankedUnit[Key]]
    insufficient_data: list[UnrankedUnit[Key]]


def shown(score: float | None) -> float | None:
    return None if score is None else round(float(score), SCORE_DECIMALS)


@dataclass(frozen=True)
class BandScale:
    """A checklist's bands with their thresholds sorted once, for the many look-ups of one report
    (a band per ranked unit and per heatmap cell): each look-up is a bisection, not a sort."""

    lowest_first: tuple[Band, ...]
    thresholds: tuple[float, ...]  # of lowest_first, ascending

    @classmethod
    def of(cls, bands: Sequence[Band] | BandScale) -> BandScale:
        if isinstance(bands, BandScale):
            return bands
        ordered = tuple(sorted(bands, key=lambda band: band.min_score))
        return cls(ordered, tuple(band.min_score for band in ordered))

    def _position(self, score: float | None) -> int | None:
        """Index in `lowest_first` of the highest band the (rounded) score reaches, or 0."""
        if score is None or not self.lowest_first:
            return None
        reached = bisect.bisect_right(self.thresholds, round(float(score), SCORE_DECIMALS))
        return max(reached - 1, 0)

    def band(self, score: float | None) -> Band | None:
        """The highest band whose threshold the (rounded) score reaches; the lowest if none."""
        position = self._position(score)
        return None if position is None else self.lowest_first[position]

    def order(self, score: float | None) -> int | None:
        """0 for the best band, counting down to the lowest; None without a score."""
        position = self._position(score)
        return None if position is None else len(self.lowest_first) - 1 - position


def band_for(score: float | None, bands: Sequence[Band] | BandScale) -> Band | None:
    """The highest band whose threshold the (rounded) score reaches; the lowest if none does."""
    return BandScale.of(bands).band(score)


def _is_rankable(figures: UnitFigures[Key], min_inspections: int) -> bool:
    return figures.average_score is not None and figures.scored >= min_inspections


def competition_ranks(
    figures: Iterable[UnitFigures[Key]], *, min_inspections: int
) -> dict[Key, int]:
    """Rank of every rankable unit: by shown average, highest first, ties share a rank."""
    rankable = sorted(
        (entry for entry in figures if _is_rankable(entry, min_inspections)),
        key=lambda entry: -(shown(entry.average_score) or 0.0),
    )
    ranks: dict[Key, int] = {}
    previous_score: float | None = None
    current_rank = 0
    for position, entry in enumerate(rankable, start=1):
        score = shown(entry.average_score)
        if score != previous_score:
            current_rank, previous_score = position, score
        ranks[entry.unit] = current_rank
    return ranks


def rank_units(
    current: Sequence[UnitFigures[Key]],
    previous: Sequence[UnitFigures[Key]] = (),
    *,
    min_inspections: int = DEFAULT_MIN_INSPECTIONS,
    bands: Sequence[Band] | BandScale = (),
) -> Ranking[Key]:
    if min_inspections < 1:
        raise ValueError("min_inspections must be at least 1")
    scale = BandScale.of(bands)
    ranks = competition_ranks(current, min_inspections=min_inspections)
    previous_ranks = competition_ranks(previous, min_inspections=min_inspections)
    previous_by_unit = {
        entry.unit: entry for entry in previous if _is_rankable(entry, min_inspections)
    }
    ranked: list[RankedUnit[Key]] = []
    unranked: list[UnrankedUnit[Key]] = []
    for entry in current:
        if entry.unit not in ranks:
            unranked.append(
                UnrankedUnit(
                    unit=entry.unit,
                    name=entry.name,
                    inspections=entry.inspections,
                    scored=entry.scored,
                    average_score=shown(entry.average_score),
                )
            )
            continue
        average = shown(entry.average_score)
        assert average is not None
        rank = ranks[entry.unit]
        before = previous_by_unit.get(entry.unit)
        previous_rank = previous_ranks.get(entry.unit)
        previous_average = shown(before.average_score) if before else None
        ranked.append(
            RankedUnit(
                unit=entry.unit,
                name=entry.name,
                rank=rank,
                inspections=entry.inspections,
                scored=entry.scored,
                average_score=average,
                band=scale.band(average),
                previous_rank=previous_rank,
                rank_change=None if previous_rank is None else previous_rank - rank,
                previous_average_score=previous_average,
                score_change=None
                if previous_average is None
                else round(average - previous_average, SCORE_DECIMALS),
            )
        )
    ranked.sort(key=lambda unit: (unit.rank, unit.name))
    unranked.sort(key=lambda unit: (-unit.scored, unit.name))
    return Ranking(ranked=ranked, insufficient_data=unranked)


# --- Periods -------------------------------------------------------------------------------------


def previous_period(period_from: date, period_to: date) -> tuple[date, date]:
    """The period to compare with: the same number of whole months before when the period is
    whole calendar months, otherwise the window of the same length just before it."""
    if period_to < period_from:
        raise ValueError("period_from must not be after period_to")
    last_day = calendar.monthrange(period_to.year, period_to.month)[1]
    if period_from.day == 1 and period_to.day == last_day:
        months = (period_to.year - period_from.year) * 12 + period_to.month - period_from.month + 1
        start_index = period_from.year * 12 + period_from.month - 1 - months
        start = date(start_index // 12, start_index % 12 + 1, 1)
        return start, period_from - timedelta(days=1)
    length = period_to - period_from
    end = period_from - timedelta(days=1)
    return end - length, end


# --- Bands and heatmap shaping -------------------------------------------------------------------


@dataclass(frozen=True)
class BandShare:
    key: str | None  # None: started but not scored yet
    label: str
    min_score: float | None
    count: int
    share: float  # of all counted inspections, 0..1
    order: int  # 0 = best band


def band_distribution(
    counts: Mapping[str | None, int], bands: Sequence[Band], *, unscored_label: str = "Chưa chấm"
) -> list[BandShare]:
    """Every band from best to worst (zero counts included, so charts keep their shape), then
    bands seen in the data but not in the reference checklist, then the unscored ones."""
    total = sum(counts.values())
    ordered = sorted(bands, key=lambda band: -band.min_score)
    known = {band.key for band in ordered}
    rows = [
        BandShare(
            key=band.key,
            label=band.label,
            min_score=band.min_score,
            count=counts.get(band.key, 0),
            share=_share(counts.get(band.key, 0), total),
            order=index,
        )
        for index, band in enumerate(ordered)
    ]
    extra = sorted(key for key in counts if key is not None and key not in known)
    rows += [
        BandShare(
            key=key,
            label=key,
            min_score=None,
            count=counts[key],
            share=_share(counts[key], total),
            order=len(rows) + index,
        )
        for index, key in enumerate(extra)
    ]
    if counts.get(None):
        rows.append(
            BandShare(
                key=None,
                label=unscored_label,
                min_score=None,
                count=counts[None],
                share=_share(counts[None], total),
                order=len(rows),
            )
        )
    return rows


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


@dataclass(frozen=True)
class SectionCell:
    """One (unit, section) average, as the aggregation query returns it."""

    unit: object
    section_key: str
    average_score: float | None
    inspections: int


@dataclass(frozen=True)
class HeatmapCell:
    section_key: str
    average_score: float | None
    inspections: int
    band_order: int | None  # 0 = best band; None when there is no score


@dataclass(frozen=True)
class HeatmapRow(Generic[Key]):
    unit: Key
    name: str
    cells: list[HeatmapCell]


def band_order(score: float | None, bands: Sequence[Band] | BandScale) -> int | None:
    return BandScale.of(bands).order(score)


def heatmap(
    cells: Iterable[SectionCell],
    *,
    units: Sequence[tuple[Key, str]],
    section_keys: Sequence[str],
    bands: Sequence[Band] | BandScale = (),
) -> list[HeatmapRow[Key]]:
    """A full grid, rows in the given unit order, columns in the given section order; a missing
    (unit, section) is an empty cell, never a zero."""
    scale = BandScale.of(bands)
    by_position = {(cell.unit, cell.section_key): cell for cell in cells}
    rows = []
    for unit, name in units:
        row_cells = []
        for key in section_keys:
            found = by_position.get((unit, key))
            average = shown(found.average_score) if found else None
            row_cells.append(
                HeatmapCell(
                    section_key=key,
                    average_score=average,
                    inspections=found.inspections if found else 0,
                    band_order=scale.order(average),
                )
            )
        rows.append(HeatmapRow(unit=unit, name=name, cells=row_cells))
    return rows


def ordered_section_keys(keys: Iterable[str], reference: Sequence[str] = ()) -> list[str]:
    """The reference checklist's order first, then any other keys alphabetically."""
    seen = set(keys)
    head = [key for key in reference if key in seen]
    return head + sorted(seen - set(head))
