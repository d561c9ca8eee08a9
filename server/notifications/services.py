"""Queueing notifications inside the caller's transaction, and the admin's view of failures.

Callers say *what happened* and *to whom* (a unit, a user, the oversight channel); targets are
resolved here, one outbox row per target, so delivery, retries and outcomes are per target and a
failing mail server never re-sends a webhook that already went through. A recipient with no target
gets a ``dead`` row saying so: nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from pydantic import BaseModel

from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.pagination import Page, paged
from server.core.scopes import Principal, Role, require_role
from server.core.settings import Settings
from server.notifications import targets as notify_targets
from server.notifications.messages import render
from server.notifications.schemas import NotificationTestOut, OutboxOut
from server.notifications.tables import OutboxMessage
from server.notifications.targets import mask_target

DEFAULT_MAX_ATTEMPTS = 6
STATUSES = ("pending", "sending", "sent", "failed", "dead")


class _Config:
    """Set once by create_app (and by the worker): where links point, who oversees."""

    public_base_url = "http://127.0.0.1:8000"
    oversight_urls: tuple[str, ...] = ()


def configure(settings: Settings) -> None:
    _Config.public_base_url = settings.public_base_url.rstrip("/")
    _Config.oversight_urls = tuple(settings.oversight_notification_urls)
    notify_targets.configure(settings.notify_allowed_hosts)


def link_to(path: str) -> str:
    return f"{_Config.public_base_url}{path}"


class Recipient(BaseModel):
    kind: str  # "unit", "user", "oversight"
    id: UUID | None = None


@dataclass(frozen=True)
class RecipientEntry:
    """What notifications need to know of one unit or user."""

    name_vi: str
    name_en: str
    targets: list[str]
    language: str
    active: bool


class RecipientDirectory(Protocol):
    """Where one kind of recipient (units, users) is kept. The package that owns them registers
    it at start-up, so notifications need not import the packages that notify through it."""

    async def entry(self, recipient_id: UUID, *, within_path: str = "/") -> RecipientEntry | None:
        """The recipient, if it exists at or below the unit path `within_path`."""
        ...

    def ids_within(self, unit_path: str) -> Any:
        """A sub-select of the ids of this kind of recipient homed at or below `unit_path`."""
        ...


_directories: dict[str, RecipientDirectory] = {}


def register_recipients(kind: str, directory: RecipientDirectory) -> None:
    _directories[kind] = directory


def _directory(kind: str) -> RecipientDirectory:
    try:
        return _directories[kind]
    except KeyError:
        raise RuntimeError(f"no recipient directory for {kind!r}: wire the app first") from None


async def _targets_of(recipient: Recipient) -> tuple[list[str], str]:
    """(Apprise URLs, language) of a recipient."""
    if recipient.kind == "oversight":
        return list(_Config.oversight_urls), "vi"
    if recipient.id is None:
        return [], "vi"
    entry = await _directory(recipient.kind).entry(recipient.id)
    if entry is None or not entry.active:
        return [], "vi"
    return list(entry.targets), entry.language


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
    added = await enqueue_returning_ids(
        event_type=event_type,
        event_key=event_key,
        recipients=recipients,
        values=values,
        link=link,
        now=now,
        payload=payload,
    )
    return len(added)


async def enqueue_returning_ids(
    *,
    event_type: str,
    event_key: str,
    recipients: list[Recipient],
    values: dict[str, Any],
    link: str | None,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> list[UUID]:
    """:func:`enqueue`, answering the ids of the rows it added."""
    added: list[UUID] = []
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
                    **({"url": link} if link else {}),
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
            added += [row["id"] for row in inserted]
    return added


def _out(row: dict[str, Any]) -> OutboxOut:
    return OutboxOut(**{**row, "target": row["target_masked"]})


async def _scope_clauses(principal: Principal | None) -> list[Any]:
    """The outbox rows an admin may see: messages to units of their subtree and to users homed
    there; the oversight channel's only for an admin at the root of the tree. (``None``: the
    operator's CLI, which sees everything.)"""
    if principal is None:
        return []
    require_role(principal, Role.admin)
    units_below = _directory("unit").ids_within(principal.home_unit_path)
    users_below = _directory("user").ids_within(principal.home_unit_path)
    visible = (
        (OutboxMessage.recipient_kind == "unit") & OutboxMessage.recipient_id.is_in(units_below)
    ) | ((OutboxMessage.recipient_kind == "user") & OutboxMessage.recipient_id.is_in(users_below))
    if principal.home_unit_path.count("/") == 2:  # "/<id>/": the root of the tree
        visible = visible | (OutboxMessage.recipient_kind == "oversight")
    return [visible]


async def list_messages(
    *,
    principal: Principal | None,
    statuses: Sequence[str] | None = None,
    limit: int | None = 200,
    offset: int = 0,
) -> Page[OutboxOut]:
    """Newest first (then by id, so pages never overlap); admins see their part of the tree."""
    unknown = sorted(set(statuses or []) - set(STATUSES))
    if unknown:
        raise InvalidInput(
            f"Unknown status {', '.join(unknown)}; use one of {', '.join(STATUSES)}.",
            extra={"invalid_params": [{"name": "status", "reason": "unknown"}]},
        )
    clauses = await _scope_clauses(principal)
    if statuses:
        clauses.append(OutboxMessage.status.is_in(list(statuses)))
    total = await OutboxMessage.count().where(*clauses)
    query = (
        OutboxMessage.select()
        .where(*clauses)
        .order_by(OutboxMessage.created_at, OutboxMessage.id, ascending=False)
    )
    rows = await paged(query, limit=limit, offset=offset).output(load_json=True)
    return Page(items=[_out(row) for row in rows], total=total)


async def get_message(*, message_id: UUID, principal: Principal) -> OutboxOut:
    row = await _visible_row(message_id, principal)
    return _out(row)


async def _visible_row(message_id: UUID, principal: Principal | None) -> dict[str, Any]:
    row = (
        await OutboxMessage.select()
        .where(OutboxMessage.id == message_id, *await _scope_clauses(principal))
        .first()
    )
    if row is None:
        raise NotFound(f"No notification {message_id} in your part of the unit tree.")
    return row


async def requeue(*, message_id: UUID, principal: Principal | None) -> OutboxOut:
    now = datetime.now(UTC)
    async with db.write_transaction():
        row = await _visible_row(message_id, principal)
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


async def send_test(*, unit_id: UUID, principal: Principal) -> NotificationTestOut:
    """Queue a short test message to every notification target of a unit (admin, in scope), so
    the admin can watch it go out: the worker delivers it like any other message."""
    require_role(principal, Role.admin)
    now = datetime.now(UTC)
    unit = await _directory("unit").entry(unit_id, within_path=principal.home_unit_path)
    if unit is None:
        raise NotFound(f"No unit {unit_id} in your part of the unit tree.")
    if not unit.targets:
        raise InvalidInput(
            f"Unit {unit.name_vi} has no notification target to test. Add one first "
            f"(PATCH /api/v1/units/{unit_id} with notification_targets), then send the test.",
            extra={"invalid_params": [{"name": "notification_targets", "reason": "empty"}]},
        )
    # A key of its own per request: a second test is a second message, never deduplicated away.
    event_key = f"test:{unit_id}:{uuid4()}"
    async with db.write_transaction():
        ids = await enqueue_returning_ids(
            event_type="test",
            event_key=event_key,
            recipients=[Recipient(kind="unit", id=unit_id)],
            values={"unit": unit.name_vi, "unit_en": unit.name_en, "sender": principal.label},
            link=link_to("/app/"),
            now=now,
            payload={"unit_id": str(unit_id)},
        )
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="notification.test",
            object_type="unit",
            object_id=unit_id,
            summary={"event_key": event_key, "messages": len(ids)},
        )
    return NotificationTestOut(event_key=event_key, notification_ids=ids)
