from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class UnitKind(StrEnum):
    province = "province"
    district = "district"  # kept for history: district level was abolished on 2025-07-01
    commune = "commune"
    ward = "ward"
    town = "town"
    service_center = "service_center"
    department = "department"


class Language(StrEnum):
    vi = "vi"
    en = "en"


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name_vi: Name
    name_en: Name
    kind: UnitKind
    parent_id: UUID | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    geofence_radius_m: int = Field(default=300, ge=10, le=50_000)
    time_zone: str = "Asia/Ho_Chi_Minh"
    language: Language = Language.vi
    notification_targets: list[str] = Field(default_factory=list, max_length=20)


class UnitPatch(BaseModel):
    """Fields to change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    code: Code | None = None
    name_vi: Name | None = None
    name_en: Name | None = None
    kind: UnitKind | None = None
    parent_id: UUID | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    geofence_radius_m: int | None = Field(default=None, ge=10, le=50_000)
    time_zone: str | None = None
    language: Language | None = None
    active: bool | None = None
    notification_targets: list[str] | None = Field(default=None, max_length=20)


class UnitOut(BaseModel):
    id: UUID
    code: str
    name_vi: str
    name_en: str
    kind: UnitKind
    parent_id: UUID | None
    depth: int
    latitude: float | None
    longitude: float | None
    geofence_radius_m: int
    time_zone: str
    language: Language
    active: bool
    notification_targets: list[str] = Field(
        description="Apprise URLs with their secrets masked; never returned in full."
    )
    created_at: datetime
    updated_at: datetime
