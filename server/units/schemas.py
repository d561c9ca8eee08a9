from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# Codes end up in file names, URLs and headers; a small safe alphabet keeps them harmless there.
# Rows created before this rule are left as they are (they are still read and shown).
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")


CODE_RULE = (
    "a unit code is 1 to 40 characters: upper-case letters A-Z, digits, dots, underscores "
    "and hyphens only, starting with a letter or digit (e.g. TN-PD)"
)


def _safe_code(value: str) -> str:
    if not CODE_PATTERN.match(value):
        raise ValueError(CODE_RULE)
    return value


# The check is a validator (not a bare pattern) so that the 422 says the rule in words; the
# pattern is still published in the OpenAPI schema.
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_safe_code),
    Field(json_schema_extra={"pattern": CODE_PATTERN.pattern, "maxLength": 40}),
]
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
