from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from server.notifications import services as notification_service
from server.notifications.services import OutboxOut
from server.scopes import Principal


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]

    @get("/", operation_id="listNotifications")
    async def list_notifications(
        self, principal: NamedDependency[Principal], status: FromQuery[list[str] | None] = None
    ) -> list[OutboxOut]:
        """The outbox, newest first (admin); filter e.g. `?status=failed&status=dead`.
        Targets are masked."""
        return await notification_service.list_messages(principal=principal, statuses=status)

    @post("/{message_id:uuid}/requeue", operation_id="requeueNotification", status_code=HTTP_200_OK)
    async def requeue(
        self, message_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> OutboxOut:
        """Send a failed or dead notification again (admin)."""
        return await notification_service.requeue(message_id=message_id, principal=principal)
