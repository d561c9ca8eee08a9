from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from server.core.timeutil import SaneDatetime

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class InspectionStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    submitted = "submitted"
    signed = "signed"
    closed = "closed"
    cancelled = "cancelled"


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    device_time: SaneDatetime
    # A phone whose owner refuses location, or that finds no fix indoors, can still start: the
    # inspection is then flagged `no_location` for the leader instead of being blocked on site.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)

    @model_validator(mode="after")
    def _both_coordinates_or_none(self) -> StartIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("send both latitude and longitude, or neither")
        return self


class AnswerSource(StrEnum):
    dossier_ledger = "dossier_ledger"
    dossier_sample = "dossier_sample"


class LedgerStatus(StrEnum):
    """How an answer to a pre-filled item compares with the ledger, judged at submit."""

    taken = "taken"  # the inspector took the ledger's value (and it is still the ledger's)
    matches = "matches"  # typed by hand, equal to the ledger's value
    override = "override"  # differs from the ledger's value; a note says why


class AnswerLedgerOut(BaseModel):
    """What the pre-fill's source said for an answered item at submit, and how the answer
    compares: the dossier ledger (with its period, dossiers and import time) or the sealed
    dossier sample's checks (with how many of the sample they looked at)."""

    status: LedgerStatus
    source: AnswerSource = AnswerSource.dossier_ledger
    value: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    period_from: date | None = Field(default=None, description="dossier_ledger only")
    period_to: date | None = Field(default=None, description="dossier_ledger only")
    dossiers: int | None = Field(
        default=None, description="dossier_ledger only: dossiers received in the period"
    )
    as_of: datetime | None = Field(
        default=None, description="dossier_ledger only: the unit's latest import"
    )
    checked: int | None = Field(
        default=None, description="dossier_sample only: sampled dossiers the measure looked at"
    )
    sampled: int | None = Field(default=None, description="dossier_sample only: the sample's size")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    item_key: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: str | int | float | None = None
    numerator: int | None = Field(default=None, ge=0)
    denominator: int | None = Field(default=None, ge=0)
    note: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    evidence: list[Sha256] = Field(default_factory=list, max_length=20)
    device_time: SaneDatetime
    source: AnswerSource | None = Field(
        default=None,
        description=(
            "`dossier_ledger` when the inspector took the value the ledger pre-filled, "
            "`dossier_sample` when they took the value the sealed sample's checks give. A claim: "
            "at submit the server recomputes the source's value and marks the answer as taken "
            "from it only when they are equal; a different value needs a note."
        ),
    )


class FindingCategory(StrEnum):
    discipline = "discipline"
    facilities = "facilities"
    transparency = "transparency"
    dossier_handling = "dossier_handling"
    e_government = "e_government"
    documents_archives = "documents_archives"
    leadership = "leadership"


class FindingSeverity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    finding_id: UUID = Field(description="Made by the phone, so a replay cannot add a second one")
    category: FindingCategory
    severity: FindingSeverity
    description: LongText
    evidence: list[Sha256] = Field(default_factory=list, max_length=20)
    staff_name: ShortText | None = Field(default=None, description="Discipline findings only")
    device_time: SaneDatetime


class SignerRole(StrEnum):
    team_head = "team_head"
    unit_representative = "unit_representative"


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    signer_role: SignerRole
    signer_name: ShortText
    signature_sha256: Sha256 | None = None
    refused: bool = False
    refusal_reason: LongText | None = None
    witness_name: ShortText | None = None
    device_time: SaneDatetime


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    device_time: SaneDatetime


class AddendumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: LongText
    evidence: list[Sha256] = Field(default_factory=list, max_length=20)


class UnitBrief(BaseModel):
    id: UUID
    code: str
    name_vi: str
    name_en: str
    latitude: float | None
    longitude: float | None
    geofence_radius_m: int
    time_zone: str


class MemberOut(BaseModel):
    user_id: UUID
    is_head: bool


class StartOut(BaseModel):
    started_at: datetime | None
    device_time: datetime | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    distance_m: float | None
    clock_skew_seconds: float | None


class AnswerOut(BaseModel):
    item_key: str
    value: Any
    note: str | None
    evidence: list[str]
    device_time: datetime
    received_at: datetime
    author_id: UUID
    source: AnswerSource | None = None
    ledger: AnswerLedgerOut | None = Field(
        default=None,
        description="Set at submit for items the dossier ledger or the sealed dossier sample's "
        "checks pre-fill (`source` says which)",
    )


class FindingOut(BaseModel):
    id: UUID
    source: str
    item_key: str | None
    section_key: str | None
    category: str
    severity: str
    description: str
    description_en: str | None
    default_action: dict[str, str] | None
    due_days: int | None
    legal_basis: list[str]
    evidence: list[str]
    staff_name: str | None
    created_at: datetime


class SignatureOut(BaseModel):
    signer_role: str
    signer_name: str
    image_sha256: str | None
    refused: bool
    refusal_reason: str | None
    witness_name: str | None
    signed_at: datetime


class AddendumOut(BaseModel):
    id: UUID
    author_id: UUID
    text: str
    evidence: list[str]
    created_at: datetime


class InspectionSummary(BaseModel):
    id: UUID
    plan_id: UUID | None
    unit: UnitBrief
    checklist_version_id: UUID
    status: InspectionStatus
    visit_date: date
    window_start: datetime
    window_end: datetime
    team: list[MemberOut]
    flags: list[str]
    total_score: float | None
    rating_band: str | None
    started_at: datetime | None
    submitted_at: datetime | None
    signed_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class InspectionOut(InspectionSummary):
    start: StartOut
    score: dict[str, Any] | None
    answers: list[AnswerOut]
    findings: list[FindingOut]
    signatures: list[SignatureOut]
    addenda: list[AddendumOut]
