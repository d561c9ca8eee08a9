from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from server.core.scopes import Role
from server.units.schemas import Language

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=100,
        pattern=r"^[a-z0-9._-]+$",
    ),
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
    ]
    email: EmailStr | None = None
    role: Role
    home_unit_id: UUID
    password: Password
    language: Language = Language.vi
    notification_targets: list[str] = Field(default_factory=list, max_length=10)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
        | None
    ) = None
    email: EmailStr | None = None
    role: Role | None = None
    home_unit_id: UUID | None = None
    password: Password | None = None
    language: Language | None = None
    active: bool | None = None
    notification_targets: list[str] | None = Field(default=None, max_length=10)


class UserOut(BaseModel):
    id: UUID
    username: str
    full_name: str
    email: str | None
    role: Role
    home_unit_id: UUID
    language: Language
    active: bool
    created_at: datetime
    notification_targets: list[str] = Field(
        default_factory=list, description="Apprise URLs, secrets masked"
    )


class TeamCandidateOut(BaseModel):
    """Who a leader may put on an inspection team: names and home units only."""

    id: UUID
    username: str
    full_name: str
    role: Role
    home_unit_id: UUID
    home_unit_code: str
    home_unit_name_vi: str
    home_unit_name_en: str


class MeOut(UserOut):
    home_unit_code: str
    home_unit_name_vi: str
    home_unit_name_en: str
    permissions_summary: str = Field(description="What this role may see, in one sentence.")
