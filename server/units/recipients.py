"""Units as recipients of notifications: their targets and language, and which of them an admin
of a subtree may see. Registered with notifications in the app factory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.notifications.services import RecipientEntry
from server.units.tables import Unit


class UnitRecipients:
    async def entry(self, recipient_id: UUID, *, within_path: str = "/") -> RecipientEntry | None:
        row = (
            await Unit.select(
                Unit.name_vi, Unit.name_en, Unit.notification_targets, Unit.language, Unit.active
            )
            .where(Unit.id == recipient_id, Unit.path.like(f"{within_path}%"))
            .first()
            .output(load_json=True)
        )
        if row is None:
            return None
        return RecipientEntry(
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            targets=list(row["notification_targets"]),
            language=row["language"],
            # A deactivated unit is still told about its own open work until it is merged away.
            active=True,
        )

    def ids_within(self, unit_path: str) -> Any:
        return Unit.select(Unit.id).where(Unit.path.like(f"{unit_path}%"))
