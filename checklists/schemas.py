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
