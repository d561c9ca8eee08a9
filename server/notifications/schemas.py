from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class OutboxOut(BaseModel):
    id: UUID
    event_key: str
    event_type: str
    recipient_kind: str
    recipient_id: UUID | None
    target: str = Field(description="The target URL with its secrets masked")
    status: str = Field(description="pending, sending, sent, failed (retried later) or dead")
    attempts: int
    max_attempts: int
    reclaimed_after_lease: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationTestOut(BaseModel):
    event_key: str = Field(description="The test's own event key (one per request)")
    notification_ids: list[UUID] = Field(
        description="One outbox row per notification target of the unit; poll "
        "GET /api/v1/notifications/{id} until its status is sent (or failed/dead)"
    )
