from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from server.actions import services as action_service
from server.actions.rules import ActionStatus
from server.actions.schemas import (
    ActionDetailOut,
    ActionOut,
    CommentIn,
    ReassignIn,
    TransitionIn,
)
from server.core.openapi import problem_response
from server.core.pagination import DEFAULT_LIMIT
from server.core.pagination_http import TOTAL_COUNT_HEADERS, Limit, Offset, page_response
from server.core.scopes import Principal
from server.plans import follow_ups
from server.plans.schemas import FollowUpIn, PlanOut


class ActionController(Controller):
    path = "/api/v1/actions"
    tags = ["actions"]

    @get("/", operation_id="listActions", response_headers=TOTAL_COUNT_HEADERS)
    async def list_actions(
        self,
        principal: NamedDependency[Principal],
        unit_id: FromQuery[UUID | None] = None,
        status: FromQuery[ActionStatus | None] = None,
        overdue: FromQuery[bool | None] = None,
        inspection_id: FromQuery[UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Response[list[ActionOut]]:
        """Corrective actions you may see, soonest due first; `overdue=true` for late ones.
        One page of `limit` rows from `offset`; the header `X-Total-Count` has the total."""
        page = await action_service.list_actions(
            principal=principal,
            unit_id=unit_id,
            status=status,
            overdue=overdue,
            inspection_id=inspection_id,
            limit=limit,
            offset=offset,
        )
        return page_response(page)

    @get("/{action_id:uuid}", operation_id="getAction")
    async def get_action(
        self, action_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> ActionDetailOut:
        """One action with its full history, what the finding said and showed (`finding_*`, the
        "before" of a fix review; the action's own `evidence` is the "after") and the names of
        the inspected and the responsible unit."""
        return await action_service.get_action(action_id=action_id, principal=principal)

    @post(
        "/{action_id:uuid}/transitions",
        operation_id="transitionAction",
        status_code=HTTP_200_OK,
        responses={409: problem_response("The action is not in a state that allows this move.")},
    )
    async def transition(
        self,
        action_id: FromPath[UUID],
        data: JSONBody[TransitionIn],
        principal: NamedDependency[Principal],
    ) -> ActionDetailOut:
        """Move the action: the unit head acknowledges, starts and submits (report + evidence);
        an inspector of the inspection or a leader verifies or returns (with a comment)."""
        return await action_service.transition(action_id=action_id, data=data, principal=principal)

    @post("/{action_id:uuid}/comments", operation_id="commentAction", status_code=HTTP_200_OK)
    async def comment(
        self,
        action_id: FromPath[UUID],
        data: JSONBody[CommentIn],
        principal: NamedDependency[Principal],
    ) -> ActionDetailOut:
        return await action_service.comment(action_id=action_id, data=data, principal=principal)

    @patch(
        "/{action_id:uuid}/responsible-unit",
        operation_id="reassignAction",
        responses={
            409: problem_response("A verified action is finished; it cannot be handed over.")
        },
    )
    async def reassign(
        self,
        action_id: FromPath[UUID],
        data: JSONBody[ReassignIn],
        principal: NamedDependency[Principal],
    ) -> ActionDetailOut:
        """Hand the action to another unit (leader)."""
        return await action_service.reassign(action_id=action_id, data=data, principal=principal)


class FollowUpController(Controller):
    path = "/api/v1/inspections"
    tags = ["inspections"]

    @post("/{inspection_id:uuid}/follow-ups", operation_id="scheduleFollowUp")
    async def schedule(
        self,
        inspection_id: FromPath[UUID],
        data: JSONBody[FollowUpIn],
        principal: NamedDependency[Principal],
    ) -> PlanOut:
        """Schedule an unannounced follow-up visit to check the inspection's open actions."""
        return await follow_ups.schedule_follow_up(
            inspection_id=inspection_id, data=data, principal=principal
        )
