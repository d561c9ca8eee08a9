"""Time-based notifications, run by the worker. Each is idempotent per period through its event
key (and the outbox's unique (event_key, target)), so running them every minute, on several
workers, or after a restart never sends one twice.

The triggers about a package's own records live in that package (corrective actions: due soon,
overdue escalation, the leaders' daily digest, in ``server.actions.scheduled``) and are registered
here once at start-up; this module runs them in order and owns the daily anchor of the audit
chain's head to the oversight channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from server.core import db
from server.core.audit import services as audit_service
from server.core.settings import Settings
from server.notifications import services as notification_service
from server.notifications.services import Recipient
from server.notifications.tables import OutboxMessage

# (settings, now) -> number of messages queued
Trigger = Callable[[Settings, datetime], Awaitable[int]]
_triggers: list[Trigger] = []


def register_trigger(trigger: Trigger) -> None:
    """Add a package's timed trigger (wired in the app factory, in the order they should run)."""
    if trigger not in _triggers:
        _triggers.append(trigger)


async def run_due_triggers(settings: Settings, *, now: datetime) -> int:
    notification_service.configure(settings)
    queued = 0
    for trigger in _triggers:
        queued += await trigger(settings, now)
    queued += await _audit_anchor(settings, now)
    return queued


async def _audit_anchor(settings: Settings, now: datetime) -> int:
    if not settings.oversight_notification_urls:
        return 0
    today = now.astimezone(settings.zone).date().isoformat()
    event_key = f"audit.anchor:{today}"
    if await OutboxMessage.exists().where(OutboxMessage.event_key == event_key):
        return 0
    report = await audit_service.verify_chain()
    async with db.write_transaction():
        return await notification_service.enqueue(
            event_type="audit.anchor",
            event_key=event_key,
            recipients=[Recipient(kind="oversight")],
            values={"date": today, "head": report.head_hash, "rows": report.rows_checked},
            link=None,
            now=now,
            payload={"head": report.head_hash, "rows": report.rows_checked, "chain_ok": report.ok},
        )
