"""The corrective actions' timed notifications, run by the worker through
``server.notifications.triggers`` (registered in the app factory). Each is idempotent per period
through its event key.

- due soon: once, when an action is within ``DUE_SOON`` of its due date;
- overdue: weekly while the action stays overdue, to the responsible unit, the unit heads of its
  parent unit (escalation up the tree) and the leader who made the plan;
- daily digest for every leader (their subtree's open / overdue / awaiting-verification actions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from server.actions.rules import ActionStatus
from server.actions.services import action_link, plan_leader, unit_heads_of
from server.actions.tables import CorrectiveAction
from server.core import db
from server.core.scopes import Role
from server.core.settings import Settings
from server.core.timeutil import aware
from server.inspections.services import inspection_facts
from server.notifications import services as notification_service
from server.notifications.messages import local_date
from server.notifications.services import Recipient
from server.notifications.tables import OutboxMessage
from server.units.tables import Unit
from server.users.tables import AppUser

DUE_SOON = timedelta(days=3)
# Event keys looked up per query when skipping reminders already queued (well below SQLite's
# limit on bound parameters).
KEY_CHUNK = 500


async def _open_actions(extra: list[Any]) -> list[dict[str, Any]]:
    return list(
        await CorrectiveAction.select(
            CorrectiveAction.id,
            CorrectiveAction.title_vi,
            CorrectiveAction.title_en,
            CorrectiveAction.responsible_unit_id,
            CorrectiveAction.inspection_id,
            CorrectiveAction.due_at,
            CorrectiveAction.responsible_unit_id.join_on(Unit.id).name_vi.as_alias("unit_name"),
            CorrectiveAction.responsible_unit_id.join_on(Unit.id).name_en.as_alias("unit_name_en"),
            CorrectiveAction.responsible_unit_id.join_on(Unit.id).parent_id.as_alias("parent_id"),
            CorrectiveAction.responsible_unit_id.join_on(Unit.id).time_zone.as_alias("time_zone"),
        ).where(CorrectiveAction.status != ActionStatus.verified.value, *extra)
    )


async def _not_yet_queued(
    actions: list[dict[str, Any]], key_of: Callable[[dict[str, Any]], str]
) -> list[tuple[dict[str, Any], str]]:
    """The actions whose reminder for this period is not in the outbox yet, with its event key.
    Most runs find every reminder already queued: that costs one query per chunk of keys, not
    several per action."""
    keyed = [(action, key_of(action)) for action in actions]
    queued: set[str] = set()
    for start in range(0, len(keyed), KEY_CHUNK):
        keys = [key for _action, key in keyed[start : start + KEY_CHUNK]]
        rows = await OutboxMessage.select(OutboxMessage.event_key).where(
            OutboxMessage.event_key.is_in(keys)
        )
        queued.update(row["event_key"] for row in rows)
    return [(action, key) for action, key in keyed if key not in queued]


def _due_soon_key(action: dict[str, Any]) -> str:
    return f"action.due_soon:{action['id']}:{aware(action['due_at']).date().isoformat()}"


async def due_soon(settings: Settings, now: datetime) -> int:
    queued = 0
    actions = await _open_actions(
        [CorrectiveAction.due_at > now, CorrectiveAction.due_at <= now + DUE_SOON]
    )
    for action, event_key in await _not_yet_queued(actions, _due_soon_key):
        due = aware(action["due_at"])
        async with db.write_transaction():
            queued += await notification_service.enqueue(
                event_type="action.due_soon",
                event_key=event_key,
                recipients=[Recipient(kind="unit", id=action["responsible_unit_id"])],
                values=_message_values(action, due),
                link=action_link(action["id"]),
                now=now,
                payload={"action_id": str(action["id"])},
            )
    return queued


def _message_values(action: dict[str, Any], due: datetime) -> dict[str, Any]:
    """What the reminder texts name: the action, its unit (vi/en) and its due day, local time."""
    return {
        "title": action["title_vi"],
        "title_en": action["title_en"],
        "unit": action["unit_name"],
        "unit_en": action["unit_name_en"],
        "due": local_date(due, action["time_zone"]),
    }


async def overdue(settings: Settings, now: datetime) -> int:
    queued = 0
    actions = await _open_actions([CorrectiveAction.due_at <= now])

    def weekly_key(action: dict[str, Any]) -> str:
        week = (now - aware(action["due_at"])).days // 7
        return f"action.overdue:{action['id']}:week{week}"

    # Looked up once per run: many overdue actions share a parent unit or an inspection.
    heads: dict[UUID, list[UUID]] = {}
    leaders: dict[UUID, UUID | None] = {}
    for action, event_key in await _not_yet_queued(actions, weekly_key):
        due = aware(action["due_at"])
        days = (now - due).days
        recipients = [Recipient(kind="unit", id=action["responsible_unit_id"])]
        parent_id = action["parent_id"]
        if parent_id:
            if parent_id not in heads:
                heads[parent_id] = await unit_heads_of(parent_id)
            recipients += [Recipient(kind="user", id=head) for head in heads[parent_id]]
        inspection_id = action["inspection_id"]
        if inspection_id not in leaders:
            facts = await inspection_facts(inspection_id)
            leaders[inspection_id] = await plan_leader(facts.plan_id if facts else None)
        leader = leaders[inspection_id]
        if leader:
            recipients.append(Recipient(kind="user", id=leader))
        async with db.write_transaction():
            queued += await notification_service.enqueue(
                event_type="action.overdue",
                event_key=event_key,
                recipients=recipients,
                values={**_message_values(action, due), "days": days},
                link=action_link(action["id"]),
                now=now,
                payload={"action_id": str(action["id"]), "days_overdue": days},
            )
    return queued


async def daily_digests(settings: Settings, now: datetime) -> int:
    today = now.astimezone(settings.zone).date().isoformat()
    leaders = (
        await AppUser.select(
            AppUser.id,
            AppUser.notification_targets,
            AppUser.home_unit_id.join_on(Unit.id).path.as_alias("home_path"),
        )
        .where(AppUser.role == Role.leader.value, AppUser.active == True)
        .output(load_json=True)
    )
    # The digest is opt-in: a leader who has given no notification target gets none (rather than
    # a dead row every day).
    leaders = [leader for leader in leaders if leader["notification_targets"]]
    queued = 0
    for leader in leaders:
        event_key = f"digest.daily:{leader['id']}:{today}"
        if await OutboxMessage.exists().where(OutboxMessage.event_key == event_key):
            continue
        counts = await digest_counts(leader["home_path"], now)
        async with db.write_transaction():
            queued += await notification_service.enqueue(
                event_type="digest.daily",
                event_key=event_key,
                recipients=[Recipient(kind="user", id=leader["id"])],
                values={"date": today, **counts},
                link=notification_service.link_to("/app/actions?overdue=true"),
                now=now,
            )
    return queued


async def digest_counts(home_path: str, now: datetime) -> dict[str, int]:
    in_tree = CorrectiveAction.responsible_unit_path.like(f"{home_path}%")
    open_count = await CorrectiveAction.count().where(
        in_tree, CorrectiveAction.status != ActionStatus.verified.value
    )
    overdue = await CorrectiveAction.count().where(
        in_tree,
        CorrectiveAction.status != ActionStatus.verified.value,
        CorrectiveAction.due_at < now,
    )
    # Fixes to review: only those the leader may judge, i.e. of units strictly below their home.
    submitted = await CorrectiveAction.count().where(
        in_tree,
        CorrectiveAction.responsible_unit_path != home_path,
        CorrectiveAction.status == ActionStatus.submitted.value,
    )
    return {"open": open_count, "overdue": overdue, "submitted": submitted}
