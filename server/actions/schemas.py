from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.actions.rules import ActionStatus
from server.core.timeutil import SaneDatetime
from server.inspections.schemas import Sha256

Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ActionStatus
    comment: Comment | None = None
    report: Comment | None = Field(default=None, description="Required when submitting a fix")
    evidence: list[Sha256] = Field(default_factory=list, max_length=20)
    expected_status: ActionStatus | None = Field(
        default=None,
        description="The state the client saw; if the action has moved since, the move is refused",
    )


class OfflineTransitionIn(TransitionIn):
    """The `action_transition` sync op: the phone must say which state it saw."""

    action_id: UUID
    expected_status: ActionStatus
    device_time: SaneDatetime


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Comment


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responsible_unit_id: UUID
    comment: Comment | None = None


class ActionEventOut(BaseModel):
    kind: str
    from_status: str | None
    to_status: str | None
    actor_label: str
    comment: str | None
    evidence: list[str]
    at: datetime


class ActionOut(BaseModel):
    id: UUID
    finding_id: UUID
    inspection_id: UUID
    inspected_unit_id: UUID
    responsible_unit_id: UUID
    severity: str
    category: str
    title_vi: str
    title_en: str
    status: ActionStatus
    due_at: datetime
    overdue: bool
    report: str | None
    evidence: list[str]
    version: int
    follow_up_inspection_id: UUID | None
    created_at: datetime
    updated_at: datetime
    verified_at: datetime | None


class ActionDetailOut(ActionOut):
    history: list[ActionEventOut]
    finding_description: str = Field(
        description="What the finding says, as recorded (Vietnamese, or as the inspector wrote it)"
    )
    finding_description_en: str | None = Field(
        description="The checklist's English text of the finding; null for hand-written findings"
    )
    finding_evidence: list[str] = Field(
        description="SHA-256 of the finding's photos: the 'before' of a fix review (the action's "
        "own `evidence` is the 'after'); GET /api/v1/evidence/{sha256} returns them"
    )
    inspected_unit_name_vi: str
    inspected_unit_name_en: str
    responsible_unit_name_vi: str
    responsible_unit_name_en: str
