"""Queueing notifications inside the caller's transaction, and the admin's view of failures.

Callers say *what happened* and *to whom* (a unit, a user, the oversight channel); targets are
resolved here, one outbox row per target, so delivery, retries and outcomes are per target and a
failing mail server never re-sends a webhook that already went through. A recipient with no target
gets a ``dead`` row saying so: nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel

from server import db
from server.errors import Conflict, NotFound
from server.notifications.messages import render
from server.notifications.tables import OutboxMessage
from server.notify_targets import mask_target
from server.scopes import Principal, Role, require_role
from server.settings import Settings
from server.units.tables import Unit
from server.users.tables import AppUser

DEFAULT_MAX_ATTEMPTS = 6


class _Config:
    """Set once by create_app (and by the worker): where links point, who oversees."""

    public_base_url = "http://127.0.0.1:8000"
    oversight_urls: tuple[str, ...] = ()


def configure(settings: Settings) -> None:
    _Config.public_base_url = settings.public_base_url.rstrip("/")
    _Config.oversight_urls = tuple(settings.oversight_notification_urls)


def link_to(path: str) -> str:
    return f"{_Config.public_base_url}{path}"


class Recipient(BaseModel):
    kind: str  # "unit", "user", "oversight"
    id: UUID | None = None


async def _targets_of(recipient: Recipient) -> tuple[list[str], str]:
    """(Apprise URLs, language) of a recipient."""
    if recipient.kind == "unit":
        unit = (
            await Unit.select(Unit.notification_targets, Unit.language)
            .where(Unit.id == recipient.id)
            .first()
            .output(load_json=True)
        )
        return (list(unit["notification_targets"]), unit["language"]) if unit else ([], "vi")
    if recipient.kind == "user":
        user = (
            await AppUser.select(AppUser.notification_targets, AppUser.language, AppUser.active)
            .where(AppUser.id == recipient.id)
            .first()
            .output(load_json=True)
        )
        if not user or not user["active"]:
            return [], "vi"
        return list(user["notification_targets"]), user["language"]
    return list(_Config.oversight_urls), "vi"


async def enqueue(
    *,
    event_type: str,
    event_key: str,
    recipients: list[Recipient],
    values: dict[str, Any],
    link: str | None,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> int:
    """Queue one message per target of each recipient. Must run in the caller's write transaction.
    Returns how many rows were added (0 when the event was already queued: dedupe by key)."""
    added = 0
    seen: set[tuple[str, str]] = set()
    for recipient in recipients:
        urls, language = await _targets_of(recipient)
        if recipient.kind == "oversight" and not urls:
            continue  # no oversight channel configured: the audit log is the record
        recipient_key = f"{event_key}|{recipient.kind}:{recipient.id}"
        text = render(event_type, language, {**values, "link": link or ""}, event_key)
        urls_and_status: list[tuple[str | None, str]]
        if not urls:
            urls_and_status = [(None, "dead")]
        else:
            urls_and_status = [(url, "pending") for url in urls]
        for url, status in urls_and_status:
            # The key hashes the URL (or, for "no target", the recipient) so each target is queued
            # once per event however often the trigger fires.
            target_sha = hashlib.sha256((url or recipient_key).encode()).hexdigest()
            if (event_key, target_sha) in seen:
                continue
            seen.add((event_key, target_sha))
            # ON CONFLICT rather than "exists? then insert": two workers running the same timed
            # trigger at once would both pass the check, and the loser's whole round would fail
            # on the unique (event_key, target_sha256) index.
            message = OutboxMessage(
                id=uuid4(),
                event_key=event_key,
                event_type=event_type,
                recipient_kind=recipient.kind,
                recipient_id=recipient.id,
                target_url=url,
                target_masked=mask_target(url) if url else "(no target)",
                target_sha256=target_sha,
                language=language,
                subject=text.subject,
                body=text.body,
                link=link,
                payload={
                    "event_key": event_key,
                    "event_type": event_type,
                    **(payload or {}),
                },
                status=status,
                attempts=0,
                max_attempts=DEFAULT_MAX_ATTEMPTS,
                next_attempt_at=now,
                last_error=(
                    None
                    if url
                    else f"{recipient.kind} {recipient.id or ''} has no notification target; "
                    "add one, then requeue"
                ),
                created_at=now,
                updated_at=now,
            )
            inserted = (
                await OutboxMessage.insert(message)
                .on_conflict(action="DO NOTHING")
                .returning(OutboxMessage.id)
            )
            added += len(inserted)
    return added


class OutboxOut(BaseModel):
    id: UUID
    event_key: str
    event_type: str
    recipient_kind: str
    recipient_id: UUID | None
    target: str
    status: str
    attempts: int
    max_attempts: int
    reclaimed_after_lease: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _out(row: dict[str, Any]) -> OutboxOut:
    return OutboxOut(**{**row, "target": row["target_masked"]})


async def list_messages(
    *, principal: Principal | None, statuses: list[str] | None = None, limit: int = 200
) -> list[OutboxOut]:
    if principal is not None:
        require_role(principal, Role.admin)
    query = OutboxMessage.select().order_by(OutboxMessage.created_at, ascending=False).limit(limit)
    if statuses:
        query = query.where(OutboxMessage.status.is_in(statuses))
    return [_out(row) for row in await query.output(load_json=True)]


async def requeue(*, message_id: UUID, principal: Principal | None) -> OutboxOut:
    if principal is not None:
        require_role(principal, Role.admin)
    now = datetime.now(UTC)
    async with db.write_transaction():
        row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
        if row is None:
            raise NotFound(f"No notification {message_id}.")
        if row["status"] not in ("dead", "failed"):
            raise Conflict(
                f"Only failed or dead notifications can be requeued; this one is {row['status']}."
            )
        changes: dict[Any, Any] = {
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "updated_at": now,
            "last_error": None,
        }
        if row["target_url"] is None and row["recipient_kind"] in ("unit", "user"):
            # The recipient may have a target now: resolve again.
            recipient = Recipient(kind=row["recipient_kind"], id=row["recipient_id"])
            urls, _language = await _targets_of(recipient)
            if not urls:
                raise Conflict(
                    f"The {row['recipient_kind']} still has no notification target; add one first."
                )
            changes["target_url"] = urls[0]
            changes["target_masked"] = mask_target(urls[0])
        await OutboxMessage.update(changes).where(OutboxMessage.id == message_id)
    updated = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert updated is not None
    return _out(updated)
