from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from server.core.timeutil import SaneDate, SaneDatetime
from server.dossiers.schemas import DossierSampleIn, PlanDossierSampleOut, SampleVerifyOut


class AssignmentVisibility(StrEnum):
    at_creation = "at_creation"
    on_visit_day = "on_visit_day"


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    head_id: UUID
    member_ids: list[UUID] = Field(default_factory=list, max_length=20)


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: UUID
    visit_date: SaneDate | None = Field(
        default=None, description="Defaults to the window's first day"
    )


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k: int = Field(ge=1, le=500, description="How many units to draw")
    candidate_kinds: list[str] = Field(
        default_factory=lambda: ["commune", "ward", "town", "service_center"],
        description="Unit kinds in the scope subtree that may be drawn",
    )


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    checklist_version_id: UUID
    scope_unit_id: UUID = Field(description="Root of the subtree the targets come from")
    window_start: SaneDatetime
    window_end: SaneDatetime
    assignment_visibility: AssignmentVisibility = AssignmentVisibility.on_visit_day
    teams: list[TeamIn] = Field(min_length=1, max_length=50)
    targets: list[TargetIn] | None = Field(default=None, max_length=500)
    draw: DrawIn | None = None
    dossier_sample: DossierSampleIn | None = Field(
        default=None,
        description="Seal a sample of dossiers from each target unit's ledger "
        "(docs/dossier-ledgers.md, 'Sealed sample')",
    )

    @model_validator(mode="after")
    def _one_way_of_choosing(self) -> PlanIn:
        if (self.targets is None) == (self.draw is None):
            raise ValueError(
                "give either targets (a list of units) or draw (k units drawn), not both"
            )
        if self.targets is not None and not self.targets:
            raise ValueError("targets must name at least one unit")
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class WeightTermsOut(BaseModel):
    """The parts of a draw weight; they add up to the weight (see server/plans/draw.py)."""

    base: float
    score: float = Field(description="4 × (100 − last score) / 100; 3 when never scored")
    open_actions: float = Field(description="0.2 per open corrective action, at most 10 counted")
    overdue_actions: float = Field(description="0.5 per overdue action, at most 10 counted")
    critical_findings: float = Field(description="1 per critical finding in 12 months, at most 5")
    time_since_visit: float = Field(description="1 per year since the last visit, at most 2")


class RiskOut(BaseModel):
    """What a unit's draw weight comes from: the draw's inputs and the terms they give."""

    last_score: float | None = Field(description="Total score of the last inspection; null: never")
    open_actions: int
    overdue_actions: int
    critical_findings_12m: int
    days_since_last_visit: int | None = Field(description="Null when never visited")
    terms: WeightTermsOut


class PlanTargetOut(BaseModel):
    unit_id: UUID
    inspection_id: UUID
    visit_date: date
    status: str
    weight: float | None = Field(
        default=None, description="Draw weight, from the sealed plan document; null when listed"
    )
    risk: RiskOut | None = Field(
        default=None, description="What the weight comes from (sealed inputs); null when listed"
    )


class PlanOut(BaseModel):
    id: UUID
    title: str
    scope_unit_id: UUID
    checklist_version_id: UUID
    window_start: datetime
    window_end: datetime
    selection: str
    draw_k: int | None
    assignment_visibility: AssignmentVisibility
    commitment: str = Field(description="SHA-256 of the canonical plan document and the nonce")
    revealed_at: datetime | None
    nonce: str | None = Field(description="Only after reveal")
    created_at: datetime
    targets: list[PlanTargetOut]
    document: dict[str, Any]
    dossier_samples: list[PlanDossierSampleOut] | None = Field(
        default=None,
        description="Each target unit's sealed dossier sample; null when the plan has none",
    )


class RevealOut(BaseModel):
    plan_id: UUID
    nonce: str
    commitment: str
    revealed_at: datetime


class VerifyOut(BaseModel):
    plan_id: UUID
    status: str = Field(description="'match', 'mismatch' or 'not_revealed'")
    commitment_published: str | None = Field(description="As written in the audit log at creation")
    commitment_recomputed: str | None
    hash_matches: bool | None
    draw_matches: bool | None = Field(description="None for a plan with listed targets")
    inspections_match: bool | None = Field(description="The plan's inspections are its targets")
    recomputed_selection: list[str] | None
    nonce: str | None
    document: dict[str, Any] | None
    explanation: str
    dossier_samples_match: bool | None = Field(
        default=None, description="Every unit's sample recomputes; null when the plan has none"
    )
    dossier_samples: list[SampleVerifyOut] | None = Field(
        default=None, description="Per unit: the sealed pool and the redrawn sample (no codes)"
    )


class DrawPreviewIn(BaseModel):
    """The inputs of a drawn plan that decide its candidates and their weights."""

    model_config = ConfigDict(extra="forbid")

    scope_unit_id: UUID = Field(description="Root of the subtree the targets come from")
    window_start: SaneDatetime
    window_end: SaneDatetime
    teams: list[TeamIn] = Field(min_length=1, max_length=50)
    draw: DrawIn

    @model_validator(mode="after")
    def _window_in_order(self) -> DrawPreviewIn:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class DrawCandidateOut(BaseModel):
    unit_id: UUID
    code: str
    name_vi: str
    name_en: str
    kind: str
    weight: float = Field(
        description="Between 1 and 19; a unit of weight 6 is six times as "
        "likely to be drawn first as one of weight 1"
    )
    chance_first: float = Field(
        description="weight / sum of all weights: the chance of being "
        "drawn first (k > 1 draws more, without replacement)"
    )
    risk: RiskOut


class LeftOutReason(StrEnum):
    planner_works_there = "planner_works_there"
    team_member_works_there = "team_member_works_there"
    inactive = "inactive"


class DrawLeftOutOut(BaseModel):
    unit_id: UUID
    code: str
    name_vi: str
    name_en: str
    kind: str
    reasons: list[LeftOutReason]
    user_ids: list[UUID] = Field(
        description="The planner and team members who work in the unit or below it"
    )


class DrawPreviewOut(BaseModel):
    k: int
    candidate_kinds: list[str]
    candidate_count: int
    can_draw: bool = Field(description="Whether a plan with these inputs can be drawn now")
    problem: str | None = Field(description="Why not, as POST /api/v1/plans would answer")
    computed_at: datetime = Field(
        description="The risk facts are as of now; the real draw reads them again when sealing"
    )
    candidates: list[DrawCandidateOut] = Field(description="Heaviest first")
    left_out: list[DrawLeftOutOut]


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_start: SaneDatetime
    window_end: SaneDatetime
    team_head_id: UUID
    member_ids: list[UUID] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _window_in_order(self) -> FollowUpIn:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self
