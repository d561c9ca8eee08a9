"""Who is asking, and which part of the unit tree they may see (DESIGN §1).

Services take a :class:`Principal` and filter every query by it, so an object outside a user's
scope is simply not found (404), whatever the route.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from server.errors import PermissionDenied


class Role(StrEnum):
    admin = "admin"
    leader = "leader"
    inspector = "inspector"
    unit_head = "unit_head"


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    username: str
    role: Role
    home_unit_id: UUID
    home_unit_path: str
    session_family_id: UUID | None = None
    language: str = "vi"

    @property
    def label(self) -> str:
        return f"{self.username} ({self.role.value})"

    @property
    def sees_subtree(self) -> bool:
        """Admins, leaders and unit heads see their home unit and everything below it."""
        return self.role in (Role.admin, Role.leader, Role.unit_head)

    def can_see_unit_path(self, unit_path: str) -> bool:
        if self.sees_subtree:
            return unit_path.startswith(self.home_unit_path)
        return unit_path == self.home_unit_path


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise PermissionDenied(f"This needs one of the roles: {allowed}.")
