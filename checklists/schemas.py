from __future__ import annotations

from datetime import datetime
from typing import Any
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
