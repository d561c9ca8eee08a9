"""The aggregate queries behind leader summaries and rankings: a few SQL statements over rows.

Each query joins its rows (section scores, findings, corrective actions) to the inspections they
belong to and keeps the *counted* ones, a filter the summary service builds
(``summary_service.counted_clauses``: secrecy, subtree, started, not cancelled, period). Each
groups finely enough that the service derives every figure from its result in Python (a row or
two per unit at most), so a summary costs five queries and a ranking two, however many units:

- :func:`unit_groups`: inspections of the period *and of the period before* (the two are
  adjacent), by period and unit: unit figures and averages of both periods;
- :func:`facet_groups`: the period's inspections by status, band and checklist version;
- :func:`section_groups`: section scores by unit and section, from ``inspection_section_score``
  (the score JSON's sections as rows, written when an inspection is scored), not from the JSON;
- :func:`finding_groups` and :func:`action_groups`.

Averages travel as a count and a sum *in hundredths*: scores are stored rounded to 2 decimals,
so ``ROUND(score * 100)`` is a whole number and the sums are exact, whatever order the engine adds
them in. A mean of floats is not: it moved in its last bits with the plan (PostgreSQL switching
to a generic plan after five runs changed the order), and a mean that falls on a half hundredth
(83.335) was then shown as 83.33 or 83.34 from one request to the next. Coarser averages (a
section over the whole scope) are the sum of sums over the sum of counts.

Plans. asyncpg prepares every statement, and after five runs PostgreSQL may keep a generic plan,
made without the parameters' values. The subtree is therefore selected as a range of paths
(``db.path_prefix_range``) together with the period, which the index ``inspection_report_scope``
(unit_path, visit_date) answers whatever the values; the secrecy rule's own ``LIKE`` on the path
remains, as a filter over the rows the index found. The joined tables are reached by their
``inspection_id`` indexes. ``tests/reports/test_summary_plans.py`` checks the generic plans.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from piccolo.columns.combination import And
from piccolo.querystring import QueryString

from server.actions.tables import CorrectiveAction
from server.inspections.tables import Finding, Inspection, InspectionSectionScore

VERIFIED = "verified"


def where(clauses: list[Any]) -> QueryString:
    """Piccolo where-clauses on `Inspection` as one SQL condition (columns read
    ``"inspection"."…"``, so they apply to the inspection joined in the queries below)."""
    if not clauses:
        return QueryString("TRUE")
    combined = functools.reduce(And, clauses)
    return QueryString("{}", combined.querystring)


@dataclass(frozen=True)
class UnitGroup:
    current: bool  # in the period asked for; False: in the period before it
    unit_id: UUID
    inspections: int
    scored: int  # of those, with a total score
    score_hundredths: int  # the sum of their total scores, in hundredths (exact)


def unit_groups_query(counted: QueryString, current_from: date) -> QueryString:
    return QueryString(
        "SELECT CASE WHEN inspection.visit_date >= {} THEN 1 ELSE 0 END AS is_current, "
        "inspection.unit_id AS unit_id, COUNT(*) AS inspections, "
        "COUNT(inspection.total_score) AS scored, "
        "SUM(ROUND(inspection.total_score * 100)) AS score_hundredths "
        "FROM inspection WHERE {} GROUP BY 1, inspection.unit_id",
        current_from,
        counted,
    )


async def unit_groups(counted: QueryString, current_from: date) -> list[UnitGroup]:
    """Per unit and period. `counted` must span the period before and the period asked for,
    which starts on `current_from`."""
    return [
        UnitGroup(
            current=bool(row["is_current"]),
            unit_id=_uuid(row["unit_id"]),
            inspections=int(row["inspections"]),
            scored=int(row["scored"] or 0),
            score_hundredths=int(row["score_hundredths"] or 0),
        )
        for row in await _run(unit_groups_query(counted, current_from))
    ]


@dataclass(frozen=True)
class FacetGroup:
    status: str
    rating_band: str | None
    checklist_version_id: UUID
    inspections: int


def facet_groups_query(counted: QueryString) -> QueryString:
    return QueryString(
        "SELECT inspection.status AS status, inspection.rating_band AS rating_band, "
        "inspection.checklist_version_id AS checklist_version_id, COUNT(*) AS inspections "
        "FROM inspection WHERE {} "
        "GROUP BY inspection.status, inspection.rating_band, inspection.checklist_version_id",
        counted,
    )


async def facet_groups(counted: QueryString) -> list[FacetGroup]:
    """By status, band and checklist version (a few rows, whatever the number of units)."""
    return [
        FacetGroup(
            status=str(row["status"]),
            rating_band=row["rating_band"],
            checklist_version_id=_uuid(row["checklist_version_id"]),
            inspections=int(row["inspections"]),
        )
        for row in await _run(facet_groups_query(counted))
    ]


@dataclass(frozen=True)
class SectionGroup:
    unit_id: UUID
    section_key: str
    scored: int  # inspections in which the section could be scored
    score_hundredths: int  # the sum of their section scores, in hundredths (exact)


def section_groups_query(counted: QueryString) -> QueryString:
    table = InspectionSectionScore._meta.tablename
    return QueryString(
        f"SELECT inspection.unit_id AS unit_id, section.section_key AS section_key, "  # noqa: S608
        "COUNT(section.score) AS scored, "
        "SUM(ROUND(section.score * 100)) AS score_hundredths "
        f"FROM inspection JOIN {table} AS section ON section.inspection_id = inspection.id "
        "WHERE {} GROUP BY inspection.unit_id, section.section_key",
        counted,
    )


async def section_groups(counted: QueryString) -> list[SectionGroup]:
    return [
        SectionGroup(
            unit_id=_uuid(row["unit_id"]),
            section_key=str(row["section_key"]),
            scored=int(row["scored"] or 0),
            score_hundredths=int(row["score_hundredths"] or 0),
        )
        for row in await _run(section_groups_query(counted))
    ]


def finding_groups_query(counted: QueryString) -> QueryString:
    table = Finding._meta.tablename
    return QueryString(
        "SELECT finding.category AS category, finding.severity AS severity, "  # noqa: S608
        f"COUNT(*) AS count FROM inspection JOIN {table} AS finding "
        "ON finding.inspection_id = inspection.id "
        "WHERE {} GROUP BY finding.category, finding.severity",
        counted,
    )


async def finding_groups(counted: QueryString) -> list[dict[str, Any]]:
    return [
        {"category": row["category"], "severity": row["severity"], "count": int(row["count"])}
        for row in await _run(finding_groups_query(counted))
    ]


ACTION_FIGURES = ("total", "open", "overdue", "verified", "verified_on_time")


def action_groups_query(counted: QueryString, now: datetime) -> QueryString:
    table = CorrectiveAction._meta.tablename
    open_ = f"corrective.status <> '{VERIFIED}'"
    verified = f"corrective.status = '{VERIFIED}'"
    return QueryString(
        "SELECT corrective.responsible_unit_id AS unit_id, COUNT(*) AS total, "  # noqa: S608
        f"SUM(CASE WHEN {open_} THEN 1 ELSE 0 END) AS open, "
        f"SUM(CASE WHEN {open_} AND corrective.due_at < {{}} THEN 1 ELSE 0 END) AS overdue, "
        f"SUM(CASE WHEN {verified} THEN 1 ELSE 0 END) AS verified, "
        f"SUM(CASE WHEN {verified} AND corrective.verified_at <= corrective.due_at THEN 1 ELSE 0 END) "
        "AS verified_on_time "
        f"FROM inspection JOIN {table} AS corrective ON corrective.inspection_id = inspection.id "
        "WHERE {} GROUP BY corrective.responsible_unit_id",
        now,
        counted,
    )


async def action_groups(counted: QueryString, now: datetime) -> list[dict[str, Any]]:
    """Per responsible unit: total, open, overdue (open and past due at `now`), verified, and
    verified on time (at or before the due time)."""
    return [
        {
            "unit_id": _uuid(row["unit_id"]),
            **{key: int(row[key] or 0) for key in ACTION_FIGURES},
        }
        for row in await _run(action_groups_query(counted, now))
    ]


async def _run(query: QueryString) -> list[dict[str, Any]]:
    return list(await Inspection.raw("{}", query))


def mean(hundredths: int, count: int) -> float | None:
    """The mean of `count` scores whose sum is `hundredths` hundredths."""
    return hundredths / (count * 100) if count else None


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
