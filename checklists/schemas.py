from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class ChecklistVersionSummary(BaseModel):
    id: UUID
    template_key: str
    version: int
    title_vi: str
    title_en: str
    content_sha256: str
    published_at: datetime
    published_by: str


class ChecklistTemplateOut(BaseModel):
    template_key: str
    versions: list[ChecklistVersionSummary]


class ChecklistVersionOut(ChecklistVersionSummary):
    content: dict[str, Any] = Field(description="The canonical checklist document.")


class PublishOut(BaseModel):
    outcome: str = Field(description="'published' for a new version, 'unchanged' for a re-publish")
    version: ChecklistVersionSummary


class ChecklistIssueOut(BaseModel):
    file: str
    line: int = Field(description="1-based line of the problem in the uploaded file")
    column: int = Field(description="1-based column")
    path: str = Field(description="Where in the document, e.g. sections[2].items[4].points")
    message: str


class ChecklistInvalidProblem(BaseModel):
    """The 422 problem+json of a checklist that does not validate: every issue, with its place."""

    type: str
    title: str
    status: int
    detail: str = Field(description="The issues in one sentence (the first 20)")
    instance: str
    issues: list[ChecklistIssueOut] = Field(description="Every issue, sorted by position")


# --- values an item takes from data (the `prefill` of an item; docs/dossier-ledgers.md) ----------


class PrefillSourceOut(BaseModel):
    """Where a pre-filled value comes from: the unit's stored dossier ledger, over a period.
    (Here, beside the checklist, because inspections judge answers against it and the dossier
    ledger computes it: both packages use it, neither imports the other.)"""

    kind: Literal["dossier_ledger"] = "dossier_ledger"
    period_from: date
    period_to: date
    dossiers: int = Field(description="Dossiers received in the period")
    as_of: datetime = Field(description="When the unit's latest ledger import was made")


class PrefillValueOut(BaseModel):
    """A checklist item's value from the ledger: `value` for a count item, `numerator` and
    `denominator` for a percent item."""

    value: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    source: PrefillSourceOut
