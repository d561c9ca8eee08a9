"""Who is asking, and which part of the unit tree they may see (DESIGN §1).

Services take a :class:`Principal` and filter every query by it, so an object outside a user's
scope is simply not found (404), whatever the route.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from server.core.errors import PermissionDenied


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

    @property
    def homed_at_root(self) -> bool:
        """Whether the home unit is a root of the tree (a path of one id, "/<id>/")."""
        return self.home_unit_path.count("/") == 2

    def can_see_unit_path(self, unit_path: str) -> bool:
        if self.sees_subtree:
            return unit_path.startswith(self.home_unit_path)
        return unit_path == self.home_unit_path

    def is_strictly_above(self, unit_path: str) -> bool:
        """Whether the home unit is an ancestor of this unit, not the unit itself: the rule for
        whoever judges a unit's work (verifying its fixes, handing them on, planning its visits),
        so that nobody judges their own unit."""
        return is_strictly_above(self.home_unit_path, unit_path)

    def works_at_or_below(self, unit_path: str) -> bool:
        """Whether the home unit is this unit or one of its descendants: someone the unit's
        inspection concerns (and must stay secret from), who may not inspect or delete it."""
        return is_at_or_below(self.home_unit_path, unit_path)


def is_strictly_above(ancestor_path: str, unit_path: str) -> bool:
    """Unit paths are "/<id>/<id>/…/": a strict prefix is an ancestor. The unit itself is not."""
    return unit_path.startswith(ancestor_path) and unit_path != ancestor_path


def is_at_or_below(home_path: str, unit_path: str) -> bool:
    """Whether a unit at ``home_path`` is the unit at ``unit_path`` or one of its descendants."""
    return home_path.startswith(unit_path)


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise PermissionDenied(f"This needs one of the roles: {allowed}.")
