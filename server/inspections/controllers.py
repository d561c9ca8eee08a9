from __future__ import annotations

from datetime import date
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.core.openapi import problem_response
from server.core.pagination import DEFAULT_LIMIT
from server.core.pagination_http import TOTAL_COUNT_HEADERS, Limit, Offset, page_response
from server.core.scopes import Principal
from server.inspections import services as inspection_service
from server.inspections.schemas import (
    AddendumIn,
    AddendumOut,
    InspectionOut,
    InspectionStatus,
    InspectionSummary,
)


class InspectionController(Controller):
    path = "/api/v1/inspections"
    tags = ["inspections"]

    @get("/", operation_id="listInspections", response_headers=TOTAL_COUNT_HEADERS)
    async def list_inspections(
        self,
        principal: NamedDependency[Principal],
        unit_id: FromQuery[UUID | None] = None,
        status: FromQuery[InspectionStatus | None] = None,
        period_from: FromQuery[date | None] = None,
        period_to: FromQuery[date | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Response[list[InspectionSummary]]:
        """Inspections you may see: leaders their subtree, unit heads their unit once an
        inspection has started, inspectors their assignments; by visit date. One page of
        `limit` rows from `offset`; the header `X-Total-Count` has the total."""
        page = await inspection_service.list_inspections(
            principal=principal,
            unit_id=unit_id,
            status=status,
            period_from=period_from,
            period_to=period_to,
            limit=limit,
            offset=offset,
        )
        return page_response(page)

    @get("/{inspection_id:uuid}", operation_id="getInspection")
    async def get_inspection(
        self, inspection_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> InspectionOut:
        """Answers, score, findings, signatures, flags and addenda."""
        return await inspection_service.get_inspection(
            inspection_id=inspection_id, principal=principal
        )

    @post(
        "/{inspection_id:uuid}/addenda",
        operation_id="addAddendum",
        responses={409: problem_response("Addenda are for signed inspections; this one is not.")},
    )
    async def add_addendum(
        self,
        inspection_id: FromPath[UUID],
        data: JSONBody[AddendumIn],
        principal: NamedDependency[Principal],
    ) -> AddendumOut:
        """Add a correction to a signed inspection; the signed record itself never changes."""
        return await inspection_service.add_addendum(
            inspection_id=inspection_id, data=data, principal=principal
        )
