"""Leader summaries and rankings for a period and a subtree (DESIGN §2.7).

What is counted: inspections that have **started** and are not cancelled, whose visit date is in
the period, of units in the subtree, and that the asker may know of (the inspections service's
secrecy-aware ``visible_clauses``, so a planned visit can never show up in a count). Scores,
bands and sections come from the submitted ones. Findings and corrective actions are those of
the counted inspections.

Every figure is one SQL aggregation (GROUP BY with COUNT/AVG/SUM), never a Python loop over
inspection rows; :mod:`reports.ranking` then shapes the small aggregated result. Per-section
results live inside the ``score`` JSON, which the two engines unnest differently: that one query
reads JSON through ``server.core.db.json_array_source``, the one place that branches on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio.to_thread
from piccolo.query.functions.aggregate import Avg, Count
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from checklists import services as checklist_service
from checklists.format import ChecklistTemplate
from reports import charts, rendering
from reports import ranking as rules
from reports.schemas import (
    ActionsOut,
    ActionUnitOut,
    BandOut,
    FindingCountOut,
    FindingsOut,
    HeatmapCellOut,
    HeatmapRowOut,
    InspectionCounts,
    InsufficientUnitOut,
    PeriodOut,
    RankedUnitOut,
    RankingOut,
    SectionOut,
    SectionResultsOut,
    SummaryOut,
    UnitRef,
)
from server.actions.tables import CorrectiveAction
from server.core import db
from server.core.errors import InvalidInput, NotFound
from server.core.scopes import Principal, Role, require_role
from server.core.timeutil import require_sane_date
from server.inspections import services as inspection_service
from server.inspections.tables import Finding, Inspection
from server.units.tables import Unit

REPORT_ROLES = (Role.admin, Role.leader, Role.unit_head)
SUMMARY_STYLESHEET = "summary.css"
DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 3 * 366
VERIFIED = "verified"
CANCELLED = "cancelled"

SEVERITIES = ("critical", "major", "minor")
SEVERITY_LABELS = {"critical": "Nghiêm trọng", "major": "Lớn", "minor": "Nhỏ"}
CATEGORY_LABELS = {
    "discipline": "Kỷ luật, kỷ cương",
    "facilities": "Cơ sở vật chất",
    "transparency": "Công khai, minh bạch",
    "dossier_handling": "Tiếp nhận, giải quyết hồ sơ",
    "e_government": "Chính quyền điện tử",
    "documents_archives": "Văn thư, lưu trữ",
    "leadership": "Chỉ đạo, điều hành",
}
STATUS_LABELS = {
    "in_progress": "Đang kiểm tra",
    "submitted": "Đã nộp",
    "signed": "Đã ký",
    "closed": "Đã đóng",
}


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
    """Where-clauses on `Inspection` for what a summary counts (see the module docstring)."""
    return [
        *await inspection_service.visible_clauses(principal),
        Inspection.unit_path.like(f"{scope_path}%"),
        Inspection.started_at.is_not_null(),
        Inspection.status != CANCELLED,
        Inspection.visit_date >= period.start,
        Inspection.visit_date <= period.end,
    ]


def _ids(clauses: list[Any]) -> Select:
    return Inspection.select(Inspection.id).where(*clauses)


# --- Aggregations (one SQL query each) -----------------------------------------------------------


async def _status_counts(clauses: list[Any]) -> dict[str, int]:
    rows = (
        await Inspection.select(Inspection.status, Count(alias="count"))
        .where(*clauses)
        .group_by(Inspection.status)
    )
    return {row["status"]: int(row["count"]) for row in rows}


async def _overall_score(clauses: list[Any]) -> tuple[int, float | None]:
    rows = await Inspection.select(
        Count(Inspection.total_score, alias="scored"),
        Avg(Inspection.total_score, alias="average_score"),
    ).where(*clauses)
    row = rows[0] if rows else {"scored": 0, "average_score": None}
    return int(row["scored"] or 0), _float(row["average_score"])


async def _band_counts(clauses: list[Any]) -> dict[str | None, int]:
    rows = (
        await Inspection.select(Inspection.rating_band, Count(alias="count"))
        .where(*clauses)
        .group_by(Inspection.rating_band)
    )
    return {row["rating_band"]: int(row["count"]) for row in rows}


async def _unit_figures(clauses: list[Any]) -> list[dict[str, Any]]:
    rows = (
        await Inspection.select(
            Inspection.unit_id,
            Count(alias="inspections"),
            Count(Inspection.total_score, alias="scored"),
            Avg(Inspection.total_score, alias="average_score"),
        )
        .where(*clauses)
        .group_by(Inspection.unit_id)
    )
    return [
        {
            "unit_id": _uuid(row["unit_id"]),
            "inspections": int(row["inspections"]),
            "scored": int(row["scored"] or 0),
            "average_score": _float(row["average_score"]),
        }
        for row in rows
    ]


async def _checklist_versions(clauses: list[Any]) -> list[UUID]:
    """Checklist versions used in the period, the most used first."""
    rows = (
        await Inspection.select(Inspection.checklist_version_id, Count(alias="count"))
        .where(*clauses)
        .group_by(Inspection.checklist_version_id)
    )
    ordered = sorted(rows, key=lambda row: (-int(row["count"]), str(row["checklist_version_id"])))
    return [_uuid(row["checklist_version_id"]) for row in ordered]


# Per-section averages from the ``score`` JSON ({"sections": [{key, score, ...}]}). The only
# engine-specific queries here: SQLite unnests JSON with ``json_each``, PostgreSQL with
# ``json_array_elements``. Both average the section score (0-100) over the inspections in which
# that section could be scored (a null section score is not a zero). Keyed by (engine, by unit).
def _section_sql(*, by_unit: bool) -> str:
    """Average section scores out of each inspection's score JSON, in SQL on either engine."""
    section = db.json_array_source("inspection.score", "sections", "section")
    unit_column = "inspection.unit_id" if by_unit else "NULL"
    groups = [section.text("key")] if not by_unit else ["inspection.unit_id", section.text("key")]
    # Only fixed identifiers (checked by json_array_source) are formatted in; values are bound.
    return (
        f"SELECT {unit_column} AS unit_id, {section.text('key')} AS section_key, "  # noqa: S608
        f"AVG({section.number('score')}) AS average_score, "
        f"COUNT({section.text('score')}) AS inspections "
        f"FROM inspection {section.from_sql} "
        "WHERE inspection.score IS NOT NULL AND inspection.id IN ({}) "
        f"GROUP BY {', '.join(groups)}"
    )


async def _section_cells(clauses: list[Any], *, by_unit: bool) -> list[rules.SectionCell]:
    rows = await Inspection.raw(_section_sql(by_unit=by_unit), _ids(clauses).querystrings[0])
    return [
        rules.SectionCell(
            unit=_uuid(row["unit_id"]) if by_unit else None,
            section_key=str(row["section_key"]),
            average_score=_float(row["average_score"]),
            inspections=int(row["inspections"] or 0),
        )
        for row in rows
        if row["section_key"] is not None
    ]


async def _finding_counts(clauses: list[Any]) -> list[dict[str, Any]]:
    rows = (
        await Finding.select(Finding.category, Finding.severity, Count(alias="count"))
        .where(Finding.inspection_id.is_in(_ids(clauses)))
        .group_by(Finding.category, Finding.severity)
    )
    return [
        {"category": row["category"], "severity": row["severity"], "count": int(row["count"])}
        for row in rows
    ]


def _action_columns(now: datetime) -> list[Any]:
    not_verified = f"{CorrectiveAction.status._meta.db_column_name} <> '{VERIFIED}'"
    verified = f"{CorrectiveAction.status._meta.db_column_name} = '{VERIFIED}'"
    return [
        Count(alias="total"),
        QueryString(f"SUM(CASE WHEN {not_verified} THEN 1 ELSE 0 END)", alias="open"),
        QueryString(
            f"SUM(CASE WHEN {not_verified} AND due_at < {{}} THEN 1 ELSE 0 END)",
            now,
            alias="overdue",
        ),
        QueryString(f"SUM(CASE WHEN {verified} THEN 1 ELSE 0 END)", alias="verified"),
        QueryString(
            f"SUM(CASE WHEN {verified} AND verified_at <= due_at THEN 1 ELSE 0 END)",
            alias="verified_on_time",
        ),
    ]


async def _action_figures(
    clauses: list[Any], now: datetime
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Totals and per responsible unit. 'On time' = verified at or before the due time."""
    where = CorrectiveAction.inspection_id.is_in(_ids(clauses))
    totals = await CorrectiveAction.select(*_action_columns(now)).where(where)
    by_unit = (
        await CorrectiveAction.select(CorrectiveAction.responsible_unit_id, *_action_columns(now))
        .where(where)
        .group_by(CorrectiveAction.responsible_unit_id)
    )
    return _action_row(totals[0] if totals else {}), [
        {"unit_id": _uuid(row["responsible_unit_id"]), **_action_row(row)} for row in by_unit
    ]


def _action_row(row: dict[str, Any]) -> dict[str, int]:
    figures = {
        key: int(row.get(key) or 0)
        for key in ("total", "open", "overdue", "verified", "verified_on_time")
    }
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
        return Reference([], {}, {}, [])
    main = templates[0]
    sections: dict[str, tuple[str, str]] = {}
    for template in reversed(templates):
        for section in template.sections:
            sections[section.key] = (section.title.vi, section.title.en)
    return Reference(
        bands=[
            rules.Band(key=band.key, label=band.label.vi, min_score=float(band.min_score))
            for band in main.rating_bands
        ],
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
    clauses = await counted_clauses(principal, scope.path, current)
    reference = await _reference(await _checklist_versions(clauses))
    result, units = await _rank(principal, scope, current, previous, min_inspections, reference)
    return _ranking_out(scope, current, previous, min_inspections, result, units, reference)


async def _rank(
    principal: Principal,
    scope: Scope,
    current: Period,
    previous: Period,
    min_inspections: int,
    reference: Reference,
) -> tuple[rules.Ranking[UUID], dict[UUID, UnitRef]]:
    if min_inspections < 1:
        raise InvalidInput("min_inspections must be at least 1.")
    now_rows = await _unit_figures(await counted_clauses(principal, scope.path, current))
    before_rows = await _unit_figures(await counted_clauses(principal, scope.path, previous))
    units = await _units({row["unit_id"] for row in now_rows + before_rows})

    def figures(rows: list[dict[str, Any]]) -> list[rules.UnitFigures[UUID]]:
        return [
            rules.UnitFigures(
                unit=row["unit_id"],
                name=units[row["unit_id"]].name_vi if row["unit_id"] in units else "",
                inspections=row["inspections"],
                scored=row["scored"],
                average_score=row["average_score"],
            )
            for row in rows
        ]

    result = rules.rank_units(
        figures(now_rows),
        figures(before_rows),
        min_inspections=min_inspections,
        bands=reference.bands,
    )
    return result, units


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
    clauses = await counted_clauses(principal, scope.path, current)
    previous_clauses = await counted_clauses(principal, scope.path, previous)
    reference = await _reference(await _checklist_versions(clauses))

    statuses = await _status_counts(clauses)
    scored, average = await _overall_score(clauses)
    _, previous_average = await _overall_score(previous_clauses)
    bands = rules.band_distribution(await _band_counts(clauses), reference.bands)
    result, units = await _rank(principal, scope, current, previous, min_inspections, reference)
    unit_cells = await _section_cells(clauses, by_unit=True)
    overall_cells = await _section_cells(clauses, by_unit=False)
    findings = await _finding_counts(clauses)
    action_totals, action_units = await _action_figures(clauses, now)
    units |= await _units({row["unit_id"] for row in action_units} - set(units))

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
                    ActionUnitOut(
                        unit=units[row["unit_id"]],
                        **{key: value for key, value in row.items() if key != "unit_id"},
                    )
                    for row in action_units
                    if row["unit_id"] in units
                ),
                key=lambda entry: (-entry.overdue, -entry.open, entry.unit.name_vi),
            ),
        ),
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
    grid = rules.heatmap(unit_cells, units=rows_units, section_keys=keys, bands=reference.bands)
    (overall,) = rules.heatmap(
        overall_cells, units=[(None, scope.unit.name_vi)], section_keys=keys, bands=reference.bands
    )
    band_keys = [band.key for band in sorted(reference.bands, key=lambda band: -band.min_score)]

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
    by_severity = {severity: 0 for severity in SEVERITIES}
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
    """The summary as an A4 PDF with SVG charts. Charts and HTML are built in a worker thread, the
    PDF in the bounded render pool (WeasyPrint is CPU-bound), never on the event loop."""
    data = await summary(
        principal=principal,
        unit_id=unit_id,
        period_from=period_from,
        period_to=period_to,
        min_inspections=min_inspections,
        now=now,
    )
    html = await anyio.to_thread.run_sync(summary_html, data)
    return await rendering.render_pdf_async(html, stylesheet=SUMMARY_STYLESHEET)


def summary_html(data: SummaryOut) -> str:
    band_count = max(1, len([band for band in data.bands if band.min_score is not None]))
    band_order = {
        band.key: index for index, band in enumerate(data.bands) if band.min_score is not None
    }

    def color(band: str | None) -> str:
        return charts.band_color(band_order.get(band) if band else None, band_count)

    ranking_chart = charts.ranking_bar_chart(
        [
            charts.Bar(
                label=f"{entry.rank}. {entry.unit.name_vi}",
                value=entry.average_score,
                color=color(entry.band),
                caption=entry.band_label_vi or "",
            )
            for entry in data.ranking.ranked
        ]
    )
    section_rows = [data.section_results.overall, *data.section_results.rows]
    heatmap_chart = charts.section_heatmap(
        row_labels=[row.label for row in section_rows],
        column_labels=[section.key for section in data.section_results.sections],
        cells=[
            [
                charts.HeatCell(value=cell.average_score, color=color(cell.band))
                for cell in row.cells
            ]
            for row in section_rows
        ],
        total_first=True,
    )
    bands_chart = charts.band_distribution_chart(
        [
            charts.Slice(
                label=band.label_vi, count=band.count, share=band.share, color=color(band.key)
            )
            for band in data.bands
        ]
    )
    zone = _zone(data)
    return (
        rendering.templates()
        .get_template("summary.html")
        .render(
            data=data,
            ranking_chart=ranking_chart,
            heatmap_chart=heatmap_chart,
            bands_chart=bands_chart,
            generated_at=data.generated_at.astimezone(zone),
            severity_labels=SEVERITY_LABELS,
            category_labels=CATEGORY_LABELS,
            status_labels=STATUS_LABELS,
            severities=SEVERITIES,
            number=_vi_number,
            day=_vi_date,
        )
    )


def _zone(data: SummaryOut) -> ZoneInfo:
    try:
        return ZoneInfo(data.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Ho_Chi_Minh")


def _vi_number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def _vi_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


# --- Small conversions ---------------------------------------------------------------------------


def _unit_ref(row: dict[str, Any]) -> UnitRef:
    return UnitRef(
        id=_uuid(row["id"]), code=row["code"], name_vi=row["name_vi"], name_en=row["name_en"]
    )


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
