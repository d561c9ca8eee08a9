"""Leader summaries and rankings for a period and a subtree (DESIGN §2.7).

What is counted: inspections that have **started** and are not cancelled, whose visit date is in
the period, of units in the subtree, and that the asker may know of (the inspections service's
secrecy-aware ``visible_clauses``, so a planned visit can never show up in a count). Scores,
bands and sections come from the submitted ones. Findings and corrective actions are those of
the counted inspections.

The figures come from a few SQL aggregations over rows (:mod:`reports.summary_queries`: one
over the inspections of both periods, one each over section scores, findings and corrective
actions), never from a Python loop over inspection rows nor from the score JSON; this module adds
up their small grouped results, and :mod:`reports.ranking` shapes them. The queries do not depend
on one another, so they run side by side (``db.read_together``), each on a pooled connection: at
province scale a summary waits for the slowest, not for the sum. The dossier indicators
(``dossier_indicators``) are the exception: the flagged share needs the pure rules over every
dossier, so the dossiers service makes one pass per unit over its stored ledger.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio.to_thread

from checklists import services as checklist_service
from checklists.format import ChecklistTemplate
from reports import ranking as rules
from reports import rendering, summary_document
from reports import summary_queries as queries
from reports.schemas import (
    ActionsOut,
    ActionUnitOut,
    BandOut,
    DossierIndicatorsOut,
    FindingCountOut,
    FindingsOut,
    HeatmapCellOut,
    HeatmapRowOut,
    IndicatorChangeOut,
    InspectionCounts,
    InsufficientUnitOut,
    PeriodOut,
    RankedUnitOut,
    RankingOut,
    SectionOut,
    SectionResultsOut,
    SummaryOut,
    UnitIndicatorsOut,
    UnitRef,
)
from server.core import db
from server.core.errors import InvalidInput, NotFound
from server.core.scopes import Principal, Role, require_role
from server.core.timeutil import require_sane_date
from server.dossiers import indicators as dossier_indicators
from server.dossiers import services as dossier_service
from server.dossiers.services import indicators_out
from server.inspections import services as inspection_service
from server.inspections.tables import Inspection
from server.units import services as unit_service
from server.units.tables import Unit

REPORT_ROLES = (Role.admin, Role.leader, Role.unit_head)
DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 3 * 366
CANCELLED = "cancelled"


# --- Scope and period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    unit: UnitRef
    path: str
    time_zone: str


async def _scope(principal: Principal, unit_id: UUID | None) -> Scope:
    """The subtree asked for; outside the asker's own subtree it does not exist (404)."""
    require_role(principal, *REPORT_ROLES)
    target = unit_id or principal.home_unit_id
    row = (
        await Unit.select(Unit.id, Unit.code, Unit.name_vi, Unit.name_en, Unit.path, Unit.time_zone)
        .where(Unit.id == target)
        .first()
    )
    if row is None or not principal.can_see_unit_path(row["path"]):
        raise NotFound(f"No unit {target} in your part of the unit tree.")
    return Scope(unit=_unit_ref(row), path=row["path"], time_zone=row["time_zone"])


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def out(self) -> PeriodOut:
        return PeriodOut(
            period_from=self.start, period_to=self.end, days=(self.end - self.start).days + 1
        )


def resolve_period(
    period_from: date | None, period_to: date | None, *, today: date
) -> tuple[Period, Period]:
    """The period asked for (default: the last 90 days up to today) and the one before it."""
    require_sane_date(period_from, "period_from")
    require_sane_date(period_to, "period_to")
    end = period_to or today
    start = period_from or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise InvalidInput(
            f"period_from ({start}) is after period_to ({end}); swap them or leave one out."
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(f"A summary covers at most {MAX_PERIOD_DAYS} days; narrow the period.")
    previous = rules.previous_period(start, end)
    return Period(start, end), Period(*previous)


def _today(time_zone: str, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(time_zone)).date()
    except (KeyError, ValueError):
        return now.date()


async def counted_clauses(principal: Principal, scope_path: str, period: Period) -> list[Any]:
    """Where-clauses on `Inspection` for what a summary counts (see the module docstring). A
    summary itself builds `scope_clauses` once and adds each of its two periods' clauses."""
    return [*await scope_clauses(principal, scope_path), *period_clauses(period)]


async def scope_clauses(principal: Principal, scope_path: str) -> list[Any]:
    """The part of `counted_clauses` that does not depend on the period (secrecy, subtree,
    started, not cancelled): worked out once per request, whatever the number of periods."""
    return [
        *await inspection_service.visible_clauses(principal),
        db.path_prefix_range(Inspection.unit_path, scope_path),
        Inspection.started_at.is_not_null(),
        Inspection.status != CANCELLED,
    ]


def period_clauses(period: Period) -> list[Any]:
    return [Inspection.visit_date >= period.start, Inspection.visit_date <= period.end]


# --- Figures from the aggregate queries (reports.summary_queries) --------------------------------


@dataclass(frozen=True)
class InspectionFigures:
    """Everything the inspection rows of one request say: the period's statuses, bands, score
    and units, the previous period's units and score, and the checklist versions in use."""

    statuses: dict[str, int]
    bands: dict[str | None, int]
    scored: int
    average: float | None
    previous_average: float | None
    units: list[rules.UnitFigures[UUID]]
    previous_units: list[rules.UnitFigures[UUID]]
    versions: list[UUID]  # the most used first


async def _inspection_figures(
    scoped: list[Any], current: Period, previous: Period
) -> InspectionFigures:
    """`scoped`: the request's `scope_clauses`."""
    # The previous period ends the day before the current one starts, so one range covers both.
    both = [*scoped, *period_clauses(Period(previous.start, current.end))]
    counted = queries.where([*scoped, *period_clauses(current)])
    groups, facets = await db.read_together(
        queries.unit_groups(queries.where(both), current.start), queries.facet_groups(counted)
    )
    now = [group for group in groups if group.current]
    before = [group for group in groups if not group.current]
    statuses: dict[str, int] = {}
    bands: dict[str | None, int] = {}
    versions: dict[UUID, int] = {}
    for facet in facets:
        statuses[facet.status] = statuses.get(facet.status, 0) + facet.inspections
        bands[facet.rating_band] = bands.get(facet.rating_band, 0) + facet.inspections
        versions[facet.checklist_version_id] = (
            versions.get(facet.checklist_version_id, 0) + facet.inspections
        )
    scored, average = _mean(now)
    _, previous_average = _mean(before)
    return InspectionFigures(
        statuses=statuses,
        bands=bands,
        scored=scored,
        average=average,
        previous_average=previous_average,
        units=_unit_figures(now),
        previous_units=_unit_figures(before),
        versions=sorted(versions, key=lambda version: (-versions[version], str(version))),
    )


def _mean(groups: list[queries.UnitGroup]) -> tuple[int, float | None]:
    scored = sum(group.scored for group in groups)
    return scored, queries.mean(sum(group.score_hundredths for group in groups), scored)


def _unit_figures(groups: list[queries.UnitGroup]) -> list[rules.UnitFigures[UUID]]:
    """Per unit (names are filled in later, once the units are read)."""
    return [
        rules.UnitFigures(
            unit=group.unit_id,
            name="",
            inspections=group.inspections,
            scored=group.scored,
            average_score=queries.mean(group.score_hundredths, group.scored),
        )
        for group in groups
    ]


def _section_cells(
    groups: list[queries.SectionGroup],
) -> tuple[list[rules.SectionCell], list[rules.SectionCell]]:
    """Per (unit, section), and per section over the whole scope: the mean section score
    (0-100) over the inspections in which the section could be scored (a section that could not
    be scored is not a zero)."""
    by_unit = [
        rules.SectionCell(
            unit=group.unit_id,
            section_key=group.section_key,
            average_score=queries.mean(group.score_hundredths, group.scored),
            inspections=group.scored,
        )
        for group in groups
    ]
    totals: dict[str, list[queries.SectionGroup]] = {}
    for group in groups:
        totals.setdefault(group.section_key, []).append(group)
    overall = []
    for key, key_groups in totals.items():
        scored = sum(group.scored for group in key_groups)
        hundredths = sum(group.score_hundredths for group in key_groups)
        overall.append(
            rules.SectionCell(
                unit=None,
                section_key=key,
                average_score=queries.mean(hundredths, scored),
                inspections=scored,
            )
        )
    return by_unit, overall


def _action_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return _action_row({key: sum(row[key] for row in rows) for key in queries.ACTION_FIGURES})


def _action_row(row: dict[str, Any]) -> dict[str, int]:
    figures = {key: int(row.get(key) or 0) for key in queries.ACTION_FIGURES}
    figures["verified_late"] = figures["verified"] - figures["verified_on_time"]
    return figures


async def _units(unit_ids: set[UUID]) -> dict[UUID, UnitRef]:
    if not unit_ids:
        return {}
    rows = await Unit.select(Unit.id, Unit.code, Unit.name_vi, Unit.name_en).where(
        Unit.id.is_in(sorted(unit_ids, key=str))
    )
    return {_uuid(row["id"]): _unit_ref(row) for row in rows}


# --- Checklist reference (section titles, band thresholds) ---------------------------------------


@dataclass(frozen=True)
class Reference:
    bands: list[rules.Band]
    scale: rules.BandScale  # the bands' thresholds, sorted once per report
    band_labels_en: dict[str, str]
    sections: dict[str, tuple[str, str]]  # key -> (vi, en)
    section_order: list[str]


async def _reference(version_ids: list[UUID]) -> Reference:
    """Titles and thresholds from the checklist versions in use: the most used version decides
    the bands and the section order; other versions only add titles of sections it lacks."""
    templates: list[ChecklistTemplate] = [
        await checklist_service.load_version_template(version_id) for version_id in version_ids
    ]
    if not templates:
        return Reference([], rules.BandScale.of([]), {}, {}, [])
    main = templates[0]
    sections: dict[str, tuple[str, str]] = {}
    for template in reversed(templates):
        for section in template.sections:
            sections[section.key] = (section.title.vi, section.title.en)
    bands = [
        rules.Band(key=band.key, label=band.label.vi, min_score=float(band.min_score))
        for band in main.rating_bands
    ]
    return Reference(
        bands=bands,
        scale=rules.BandScale.of(bands),
        band_labels_en={band.key: band.label.en for band in main.rating_bands},
        sections=sections,
        section_order=[section.key for section in main.sections],
    )


# --- Public API ----------------------------------------------------------------------------------


async def ranking(
    *,
    principal: Principal,
    unit_id: UUID | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    min_inspections: int = rules.DEFAULT_MIN_INSPECTIONS,
    now: datetime | None = None,
) -> RankingOut:
    now = now or datetime.now(UTC)
    scope = await _scope(principal, unit_id)
    current, previous = resolve_period(period_from, period_to, today=_today(scope.time_zone, now))
    _require_min_inspections(min_inspections)
    scoped = await scope_clauses(principal, scope.path)
    figures = await _inspection_figures(scoped, current, previous)
    reference = await _reference(figures.versions)
    units = await _units({entry.unit for entry in figures.units + figures.previous_units})
    result = _rank(figures, units, min_inspections, reference)
    return _ranking_out(scope, current, previous, min_inspections, result, units, reference)


def _require_min_inspections(min_inspections: int) -> None:
    if min_inspections < 1:
        raise InvalidInput("min_inspections must be at least 1.")


def _rank(
    figures: InspectionFigures,
    units: dict[UUID, UnitRef],
    min_inspections: int,
    reference: Reference,
) -> rules.Ranking[UUID]:
    def named(entries: list[rules.UnitFigures[UUID]]) -> list[rules.UnitFigures[UUID]]:
        return [
            dataclasses.replace(
                entry, name=units[entry.unit].name_vi if entry.unit in units else ""
            )
            for entry in entries
        ]

    return rules.rank_units(
        named(figures.units),
        named(figures.previous_units),
        min_inspections=min_inspections,
        bands=reference.scale,
    )


def _ranking_out(
    scope: Scope,
    current: Period,
    previous: Period,
    min_inspections: int,
    result: rules.Ranking[UUID],
    units: dict[UUID, UnitRef],
    reference: Reference,
) -> RankingOut:
    return RankingOut(
        scope_unit=scope.unit,
        period=current.out,
        previous_period=previous.out,
        min_inspections=min_inspections,
        ranked=[
            RankedUnitOut(
                unit=units[entry.unit],
                rank=entry.rank,
                inspections=entry.inspections,
                scored_inspections=entry.scored,
                average_score=entry.average_score,
                band=entry.band.key if entry.band else None,
                band_label_vi=entry.band.label if entry.band else None,
                previous_rank=entry.previous_rank,
                rank_change=entry.rank_change,
                previous_average_score=entry.previous_average_score,
                score_change=entry.score_change,
            )
            for entry in result.ranked
        ],
        insufficient_data=[
            InsufficientUnitOut(
                unit=units[entry.unit],
                inspections=entry.inspections,
                scored_inspections=entry.scored,
                average_score=entry.average_score,
            )
            for entry in result.insufficient_data
        ],
    )


async def summary(
    *,
    principal: Principal,
    unit_id: UUID | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    min_inspections: int = rules.DEFAULT_MIN_INSPECTIONS,
    now: datetime | None = None,
) -> SummaryOut:
    now = now or datetime.now(UTC)
    scope = await _scope(principal, unit_id)
    current, previous = resolve_period(period_from, period_to, today=_today(scope.time_zone, now))
    _require_min_inspections(min_inspections)
    scoped = await scope_clauses(principal, scope.path)
    counted = queries.where([*scoped, *period_clauses(current)])
    # Independent aggregates, side by side (each over up to a million rows at province scale).
    figures, sections, findings, action_units, indicators = await db.read_together(
        _inspection_figures(scoped, current, previous),
        queries.section_groups(counted),
        queries.finding_groups(counted),
        queries.action_groups(counted, now),
        _dossier_indicators(scope, current, previous),
    )
    unit_cells, overall_cells = _section_cells(sections)
    reference = await _reference(figures.versions)
    units = await _units(
        {entry.unit for entry in figures.units + figures.previous_units}
        | {row["unit_id"] for row in action_units}
    )
    result = _rank(figures, units, min_inspections, reference)
    statuses, scored, average = figures.statuses, figures.scored, figures.average
    previous_average = figures.previous_average
    bands = rules.band_distribution(figures.bands, reference.bands)
    action_totals = _action_totals(action_units)

    ranking_out = _ranking_out(scope, current, previous, min_inspections, result, units, reference)
    return SummaryOut(
        scope_unit=scope.unit,
        period=current.out,
        previous_period=previous.out,
        generated_at=now,
        time_zone=scope.time_zone,
        min_inspections=min_inspections,
        inspections=InspectionCounts(
            done=sum(statuses.values()), scored=scored, by_status=dict(sorted(statuses.items()))
        ),
        average_score=rules.shown(average),
        previous_average_score=rules.shown(previous_average),
        bands=[
            BandOut(
                key=band.key,
                label_vi=band.label,
                label_en=reference.band_labels_en.get(band.key or "", band.label)
                if band.key
                else "Not scored yet",
                min_score=band.min_score,
                count=band.count,
                share=band.share,
            )
            for band in bands
        ],
        ranking=ranking_out,
        section_results=_section_results(
            unit_cells, overall_cells, ranking_out, units, reference, scope
        ),
        findings=_findings_out(findings),
        actions=ActionsOut(
            **action_totals,
            by_responsible_unit=sorted(
                (
                    ActionUnitOut(unit=units[row["unit_id"]], **_action_row(row))
                    for row in action_units
                    if row["unit_id"] in units
                ),
                key=lambda entry: (-entry.overdue, -entry.open, entry.unit.name_vi),
            ),
        ),
        dossier_indicators=indicators,
    )


async def _dossier_indicators(
    scope: Scope, current: Period, previous: Period
) -> DossierIndicatorsOut | None:
    """Every unit of the scope with ledger data: one query and one pass per unit over its
    dossiers, or the figures kept since its latest import (``dossier_service.indicators_by_unit``),
    never a request per unit."""
    units = await unit_service.units_below(scope.path)
    found = await dossier_service.indicators_by_unit(
        units, [(current.start, current.end), (previous.start, previous.end)]
    )
    if not found:
        return None
    refs = {
        unit.id: UnitRef(id=unit.id, code=unit.code, name_vi=unit.name_vi, name_en=unit.name_en)
        for unit in units
    }
    rows = [
        _unit_indicators(refs[entry.unit_id], *entry.periods)
        for entry in sorted(
            found, key=lambda entry: (refs[entry.unit_id].name_vi, refs[entry.unit_id].code)
        )
    ]
    now_parts = [entry.periods[0] for entry in found if entry.periods[0] is not None]
    before_parts = [entry.periods[1] for entry in found if entry.periods[1] is not None]
    totals = _unit_indicators(
        None,
        dossier_indicators.combine(now_parts, period_start=current.start, period_end=current.end)
        if now_parts
        else None,
        dossier_indicators.combine(
            before_parts, period_start=previous.start, period_end=previous.end
        )
        if before_parts
        else None,
    )
    return DossierIndicatorsOut(units=rows, totals=totals)


def _unit_indicators(
    unit: UnitRef | None,
    current: dossier_indicators.PeriodIndicators | None,
    previous: dossier_indicators.PeriodIndicators | None,
) -> UnitIndicatorsOut:
    # The dossiers service gives None for a period in which nothing counts.
    difference = None
    if current is not None and previous is not None:
        difference = IndicatorChangeOut(
            **dataclasses.asdict(dossier_indicators.change(current, previous))
        )
    return UnitIndicatorsOut(
        unit=unit,
        current=indicators_out(current) if current else None,
        previous=indicators_out(previous) if previous else None,
        change=difference,
    )


def _section_results(
    unit_cells: list[rules.SectionCell],
    overall_cells: list[rules.SectionCell],
    ranking_out: RankingOut,
    units: dict[UUID, UnitRef],
    reference: Reference,
    scope: Scope,
) -> SectionResultsOut:
    keys = rules.ordered_section_keys(
        [cell.section_key for cell in unit_cells], reference.section_order
    )
    # Ranked units in rank order, then the others by name: the heatmap reads like the ranking.
    order = [entry.unit.id for entry in ranking_out.ranked] + [
        entry.unit.id for entry in ranking_out.insufficient_data
    ]
    seen_units = {cell.unit for cell in unit_cells}
    rows_units: list[tuple[UUID, str]] = [
        (unit_id, units[unit_id].name_vi) for unit_id in order if unit_id in seen_units
    ]
    grid = rules.heatmap(unit_cells, units=rows_units, section_keys=keys, bands=reference.scale)
    (overall,) = rules.heatmap(
        overall_cells, units=[(None, scope.unit.name_vi)], section_keys=keys, bands=reference.scale
    )
    band_keys = [band.key for band in reversed(reference.scale.lowest_first)]

    def cells(row: rules.HeatmapRow[Any]) -> list[HeatmapCellOut]:
        return [
            HeatmapCellOut(
                section_key=cell.section_key,
                average_score=cell.average_score,
                inspections=cell.inspections,
                band=None if cell.band_order is None else band_keys[cell.band_order],
            )
            for cell in row.cells
        ]

    return SectionResultsOut(
        sections=[
            SectionOut(
                key=key,
                title_vi=reference.sections.get(key, (key, key))[0],
                title_en=reference.sections.get(key, (key, key))[1],
            )
            for key in keys
        ],
        overall=HeatmapRowOut(unit=None, label=overall.name, cells=cells(overall)),
        rows=[
            HeatmapRowOut(unit=units[row.unit], label=row.name, cells=cells(row)) for row in grid
        ],
    )


def _findings_out(rows: list[dict[str, Any]]) -> FindingsOut:
    by_severity = {severity: 0 for severity in summary_document.SEVERITIES}
    by_category: dict[str, int] = {}
    for row in rows:  # at most categories × severities aggregated rows
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + row["count"]
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["count"]
    return FindingsOut(
        total=sum(by_severity.values()),
        by_severity=by_severity,
        by_category=dict(sorted(by_category.items(), key=lambda item: (-item[1], item[0]))),
        cells=[
            FindingCountOut(**row)
            for row in sorted(rows, key=lambda row: (row["category"], row["severity"]))
        ],
    )


# --- PDF -----------------------------------------------------------------------------------------


async def summary_pdf(
    *,
    principal: Principal,
    unit_id: UUID | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    min_inspections: int = rules.DEFAULT_MIN_INSPECTIONS,
    now: datetime | None = None,
) -> bytes:
    """The summary as an A4 PDF with its charts. Charts, HTML and PDF are made in the bounded
    pool of render processes (``summary_document``), never in this process or on its event
    loop. A request whose figures are those of a document rendered in the last few minutes
    (``rendering.RenderedCache``) gets that document, which says when it was made."""
    data = await summary(
        principal=principal,
        unit_id=unit_id,
        period_from=period_from,
        period_to=period_to,
        min_inspections=min_inspections,
        now=now,
    )
    # A province's figures are a few hundred kB of JSON, and the key reads the templates: both
    # off the event loop, and the document's JSON only when it is to be rendered.
    key = await anyio.to_thread.run_sync(_document_key, data)
    cache = rendering.rendered_cache()
    cached = cache.get(key)
    if cached is not None:
        return cached
    pdf = await rendering.render_built_async(
        SUMMARY_BUILDER, data.model_dump_json(), stylesheet=summary_document.STYLESHEET
    )
    cache.put(key, pdf)
    return pdf


SUMMARY_BUILDER = "reports.summary_document:summary_document_from_json"


def _document_key(data: SummaryOut) -> str:
    """What the PDF shows but the time it was made: every figure (the overdue count included,
    which moves with the time), and the templates."""
    figures = data.model_dump_json(exclude={"generated_at"})
    templates = rendering.template_digest(summary_document.TEMPLATE, summary_document.STYLESHEET)
    return hashlib.sha256(f"{templates}\n{figures}".encode()).hexdigest()


# --- Small conversions ---------------------------------------------------------------------------


def _unit_ref(row: dict[str, Any]) -> UnitRef:
    return UnitRef(
        id=_uuid(row["id"]), code=row["code"], name_vi=row["name_vi"], name_en=row["name_en"]
    )


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
