from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from checklists.schemas import ChecklistVersionOut, PrefillValueOut
from server.core.timeutil import SaneDatetime
from server.dossiers.schemas import DossierCheckOut, SampledDossier
from server.inspections.schemas import InspectionOut, InspectionSummary
from server.users.schemas import MeOut


class OpType(StrEnum):
    start = "start"
    answer = "answer"
    finding = "finding"
    sign = "sign"
    submit = "submit"
    action_transition = "action_transition"
    dossier_check = "dossier_check"


class SyncOp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op_id: UUID = Field(description="Made by the phone once per change; a retry reuses it")
    type: OpType
    payload: dict[str, Any] = Field(description="The op's fields; see the sync protocol docs")


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    sent_at: SaneDatetime
    ops: list[SyncOp] = Field(min_length=1, max_length=200)


class OpStatus(StrEnum):
    applied = "applied"
    duplicate = "duplicate"
    conflict = "conflict"
    rejected = "rejected"


class OpResult(BaseModel):
    op_id: UUID
    status: OpStatus
    reason: str | None = None
    result: dict[str, Any] | None = None


class SyncOut(BaseModel):
    server_time: datetime
    results: list[OpResult]
    cursor: str = Field(description="Pass to GET /mobile/v1/changes to fetch what changed since")


class AssignmentOut(InspectionSummary):
    """An inspection assigned to me, with what only its team may see."""

    dossier_sample: list[SampledDossier] | None = Field(
        default=None,
        description="The dossiers sealed in the plan's sample for this visit, to compare paper "
        "against system; null when the plan drew none for this unit",
    )
    dossier_checks: list[DossierCheckOut] = Field(
        default_factory=list,
        description="The checks of sampled dossiers recorded so far (by any team member)",
    )
    prefill: dict[str, PrefillValueOut] | None = Field(
        default=None,
        description=(
            "What the inspected unit's dossier ledger says for the checklist's pre-filled items "
            "(item key → value with its source), for the 90 days before the visit; null when the "
            "unit has no ledger rows in that period. An item the ledger cannot answer is absent."
        ),
    )


class BootstrapOut(BaseModel):
    me: MeOut
    server_time: datetime
    assignments: list[AssignmentOut]
    checklist_versions: list[ChecklistVersionOut]
    sync_cursor: str


class ChangesOut(BaseModel):
    server_time: datetime
    inspections: list[InspectionOut]
    cursor: str
    dossier_checks: list[DossierCheckOut] = Field(
        default_factory=list,
        description="Every recorded dossier check of the changed inspections I am on the team "
        "of (all of each such inspection's checks: replace them by inspection)",
    )
