from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator


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
    visit_date: date | None = Field(default=None, description="Defaults to the window's first day")


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
    window_start: AwareDatetime
    window_end: AwareDatetime
    assignment_visibility: AssignmentVisibility = AssignmentVisibility.on_visit_day
    teams: list[TeamIn] = Field(min_length=1, max_length=50)
    targets: list[TargetIn] | None = Field(default=None, max_length=500)
    draw: DrawIn | None = None

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


class PlanTargetOut(BaseModel):
    unit_id: UUID
    inspection_id: UUID
    visit_date: date
    status: str


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
