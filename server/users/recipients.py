"""Users as recipients of notifications: their own targets and language (none once deactivated),
and which of them an admin of a subtree may see. Registered with notifications in the app
factory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.notifications.services import RecipientEntry
from server.units.tables import Unit
from server.users.tables import AppUser


class UserRecipients:
    async def entry(self, recipient_id: UUID, *, within_path: str = "/") -> RecipientEntry | None:
        query = AppUser.select(
            AppUser.full_name, AppUser.notification_targets, AppUser.language, AppUser.active
        ).where(AppUser.id == recipient_id)
        if within_path != "/":
            query = query.where(AppUser.home_unit_id.is_in(_units_within(within_path)))
        row = await query.first().output(load_json=True)
        if row is None:
            return None
        return RecipientEntry(
            name_vi=row["full_name"],
            name_en=row["full_name"],
            targets=list(row["notification_targets"]),
            language=row["language"],
            active=row["active"],
        )

    def ids_within(self, unit_path: str) -> Any:
        return AppUser.select(AppUser.id).where(
            AppUser.home_unit_id.is_in(_units_within(unit_path))
        )


def _units_within(unit_path: str) -> Any:
    return Unit.select(Unit.id).where(Unit.path.like(f"{unit_path}%"))
