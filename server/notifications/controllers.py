from __future__ import annotations

from typing import Literal
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from server.core.guards import requires_role
from server.core.openapi import problem_response
from server.core.pagination import DEFAULT_LIMIT
from server.core.pagination_http import TOTAL_COUNT_HEADERS, Limit, Offset, page_response
from server.core.scopes import Principal, Role
from server.notifications import services as notification_service
from server.notifications.schemas import NotificationTestOut, OutboxOut


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    guards = [requires_role(Role.admin)]

    @get("/", operation_id="listNotifications", response_headers=TOTAL_COUNT_HEADERS)
    async def list_notifications(
        self,
        principal: NamedDependency[Principal],
        status: FromQuery[
            list[Literal["pending", "sending", "sent", "failed", "dead"]] | None
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Response[list[OutboxOut]]:
        """The outbox of your part of the tree, newest first (admin); filter e.g.
        `?status=failed&status=dead`. Targets are masked. One page of `limit` rows from
        `offset`; the header `X-Total-Count` has the total."""
        page = await notification_service.list_messages(
            principal=principal, statuses=status, limit=limit, offset=offset
        )
        return page_response(page)

    @get("/{message_id:uuid}", operation_id="getNotification")
    async def get_notification(
        self, message_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> OutboxOut:
        """One notification (admin): poll its `status` (pending → sending → sent, or failed →
        dead), `attempts`, `last_error` and `sent_at`. The target is masked."""
        return await notification_service.get_message(message_id=message_id, principal=principal)

    @post(
        "/{message_id:uuid}/requeue",
        operation_id="requeueNotification",
        status_code=HTTP_200_OK,
        responses={
            409: problem_response(
                "Only a failed or dead message can be requeued, and only to a recipient "
                "with a notification target."
            )
        },
    )
    async def requeue(
        self, message_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> OutboxOut:
        """Send a failed or dead notification again (admin)."""
        return await notification_service.requeue(message_id=message_id, principal=principal)


class UnitNotificationTestController(Controller):
    path = "/api/v1/units"
    tags = ["notifications"]
    guards = [requires_role(Role.admin)]

    @post(
        "/{unit_id:uuid}/notification-test",
        operation_id="sendNotificationTest",
        responses={422: problem_response("The unit has no notification target to test.")},
    )
    async def send_test(
        self, unit_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> NotificationTestOut:
        """Queue a short test message to every notification target of the unit (admin, your
        part of the tree); poll each id with GET /api/v1/notifications/{id}. 422 when the unit
        has no target."""
        return await notification_service.send_test(unit_id=unit_id, principal=principal)
