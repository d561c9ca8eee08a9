"""HTTP handlers for leader summaries, rankings and exports. Thin: parse, call one service."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import Stream

from reports import exports as export_service
from reports import summary_service
from reports.ranking import DEFAULT_MIN_INSPECTIONS
from reports.schemas import ExportFormat, ExportKind, RankingOut, SummaryOut
from server.core.errors import NotFound
from server.core.guards import requires_role
from server.core.http_headers import content_disposition
from server.core.scopes import Principal

MinInspections = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=100,
        description="Units with fewer scored inspections in the period are listed as "
        "insufficient data instead of being ranked",
    ),
]
UnitId = Annotated[
    UUID | None,
    QueryParameter(description="The subtree to report on; default: your home unit"),
]
PeriodFrom = Annotated[
    date | None,
    QueryParameter(description="First visit date counted; default: 89 days before period_to"),
]
PeriodTo = Annotated[
    date | None,
    QueryParameter(description="Last visit date counted; default: today in the unit's time zone"),
]


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [requires_role(*summary_service.REPORT_ROLES)]

    @get("/summary", operation_id="getSummary")
    async def get_summary(
        self,
        principal: NamedDependency[Principal],
        unit_id: UnitId = None,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
        min_inspections: MinInspections = DEFAULT_MIN_INSPECTIONS,
    ) -> SummaryOut:
        """Inspections done, average score, rating bands, ranking with change from the previous
        period, per-section results, findings by category and severity, and corrective
        actions open, overdue and verified on time, for a period and a subtree. Leaders and
        admins: their subtree; unit heads: their own unit and below."""
        return await summary_service.summary(
            principal=principal,
            unit_id=unit_id,
            period_from=period_from,
            period_to=period_to,
            min_inspections=min_inspections,
        )

    @get("/summary.pdf", operation_id="getSummaryPdf", media_type="application/pdf")
    async def get_summary_pdf(
        self,
        principal: NamedDependency[Principal],
        unit_id: UnitId = None,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
        min_inspections: MinInspections = DEFAULT_MIN_INSPECTIONS,
    ) -> Response[bytes]:
        """The summary as an A4 PDF in Vietnamese, with ranking, heatmap and band charts."""
        pdf = await summary_service.summary_pdf(
            principal=principal,
            unit_id=unit_id,
            period_from=period_from,
            period_to=period_to,
            min_inspections=min_inspections,
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": content_disposition("bao-cao-tong-hop.pdf", inline=True)
            },
        )

    @get("/ranking", operation_id="getRanking")
    async def get_ranking(
        self,
        principal: NamedDependency[Principal],
        unit_id: UnitId = None,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
        min_inspections: MinInspections = DEFAULT_MIN_INSPECTIONS,
    ) -> RankingOut:
        """Units of the subtree by average score (ties share a rank), with their band and the
        change from the previous period; units with too few inspections listed apart."""
        return await summary_service.ranking(
            principal=principal,
            unit_id=unit_id,
            period_from=period_from,
            period_to=period_to,
            min_inspections=min_inspections,
        )


class ExportController(Controller):
    path = "/api/v1/exports"
    tags = ["reports"]
    guards = [requires_role(*export_service.EXPORT_ROLES)]

    @get(
        "/{name:str}",
        operation_id="exportData",
        response_description="The file, streamed: CSV (UTF-8 with BOM) or XLSX",
    )
    async def export(
        self,
        name: Annotated[
            str,
            PathParameter(
                description="inspections, answers, findings or actions, then .csv or .xlsx, "
                "e.g. findings.xlsx"
            ),
        ],
        principal: NamedDependency[Principal],
        unit_id: UnitId = None,
        period_from: FromQuery[date | None] = None,
        period_to: FromQuery[date | None] = None,
    ) -> Stream:
        """Export inspections, answers, findings or corrective actions (with their history) that
        you may see, as CSV or XLSX; `period_*` select by the inspection's visit date."""
        kind, fmt = _parse_name(name)
        file = await export_service.export(
            kind,
            fmt,
            principal=principal,
            unit_id=unit_id,
            period_from=period_from,
            period_to=period_to,
        )
        return Stream(
            file.chunks,
            media_type=file.media_type,
            headers={"Content-Disposition": content_disposition(file.filename)},
        )


def _parse_name(name: str) -> tuple[ExportKind, ExportFormat]:
    kind, _, fmt = name.partition(".")
    try:
        return ExportKind(kind), ExportFormat(fmt)
    except ValueError:
        kinds = ", ".join(kind.value for kind in ExportKind)
        formats = " or ".join(fmt.value for fmt in ExportFormat)
        raise NotFound(
            f"No export {name!r}: ask for one of {kinds}, ending in .{formats} "
            "(e.g. /api/v1/exports/findings.xlsx)."
        ) from None
