from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from server.core.guards import requires_role
from server.core.openapi import problem_response
from server.core.scopes import Principal, Role
from server.plans import services as plan_service
from server.plans.schemas import (
    DrawPreviewIn,
    DrawPreviewOut,
    PlanIn,
    PlanOut,
    RevealOut,
    VerifyOut,
)


class PlanController(Controller):
    path = "/api/v1/plans"
    tags = ["plans"]

    # Plans are for leaders and admins; reading one is scoped (a non-leader reads 404, as for a
    # plan that does not exist), so the reads carry no guard.
    @post("/", operation_id="createPlan", guards=[requires_role(Role.leader, Role.admin)])
    async def create_plan(
        self, data: JSONBody[PlanIn], principal: NamedDependency[Principal]
    ) -> PlanOut:
        """Create a sealed plan with listed targets or a risk-weighted draw (leader, admin)."""
        return await plan_service.create_plan(data=data, principal=principal)

    @post(
        "/draw-preview",
        operation_id="previewDraw",
        status_code=HTTP_200_OK,
        guards=[requires_role(Role.leader, Role.admin)],
    )
    async def preview_draw(
        self, data: JSONBody[DrawPreviewIn], principal: NamedDependency[Principal]
    ) -> DrawPreviewOut:
        """What a draw with these inputs would choose from (leader, admin): every candidate unit
        with its weight and what it comes from, and the units left out and why. Computed as
        the real draw does; nothing is drawn, sealed or written."""
        return await plan_service.preview_draw(data=data, principal=principal)

    @get("/", operation_id="listPlans")
    async def list_plans(self, principal: NamedDependency[Principal]) -> list[PlanOut]:
        return await plan_service.list_plans(principal=principal)

    @get("/{plan_id:uuid}", operation_id="getPlan")
    async def get_plan(
        self, plan_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> PlanOut:
        """One plan; for a drawn plan each target carries its weight and what it came from, as
        sealed in the plan document."""
        return await plan_service.get_plan(plan_id=plan_id, principal=principal)

    @post(
        "/{plan_id:uuid}/reveal",
        operation_id="revealPlan",
        status_code=HTTP_200_OK,
        responses={409: problem_response("The plan's window has not ended yet.")},
    )
    async def reveal(
        self, plan_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> RevealOut:
        """Publish the nonce, after the window has ended."""
        return await plan_service.reveal(plan_id=plan_id, principal=principal)

    @get("/{plan_id:uuid}/verify", operation_id="verifyPlan")
    async def verify(
        self, plan_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> VerifyOut:
        """Recompute the draw and the commitment; 'match' or 'mismatch' with the reasons."""
        return await plan_service.verify(plan_id=plan_id, principal=principal)
