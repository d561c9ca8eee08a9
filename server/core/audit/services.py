"""Recording audit events (inside the caller's write transaction), moving the keyed head with
every append, verifying the chain and its head, and anchoring the head (`spotcheck audit anchor`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from piccolo.columns import Column

from server.core import db
from server.core.audit.chain import (
    GENESIS_HASH,
    HEAD_PROBLEM_KINDS,
    ChainEnd,
    ChainProblem,
    ChainRow,
    Head,
    derive_head_key,
    describe_mismatch,
    event_hash,
    find_chain_problems,
    find_head_problems,
    head_mac,
)
from server.core.audit.tables import AuditEvent, AuditHead
from server.core.errors import Conflict
from server.core.scopes import Principal
from server.core.settings import Settings
from server.core.timeutil import aware

CHAIN_LOCK = "spotcheck.audit_chain"
CHAIN = "audit_event"

log = logging.getLogger("spotcheck.audit")


class _Config:
    head_key: bytes | None = None


_config = _Config()


def configure(settings: Settings) -> None:
    """Set the head's HMAC key: SPOTCHECK_AUDIT_KEY, or one derived from the secret key."""
    _config.head_key = head_key_for(settings)


def head_key_for(settings: Settings) -> bytes:
    audit_key = settings.audit_key.get_secret_value()
    if audit_key:
        return audit_key.encode("utf-8")
    return derive_head_key(settings.secret_key.get_secret_value())


def _head_key() -> bytes:
    if _config.head_key is None:
        raise RuntimeError("The audit head key is not configured; call audit services.configure()")
    return _config.head_key


@dataclass(frozen=True)
class Actor:
    id: UUID | None
    label: str


SYSTEM = Actor(id=None, label="system")


def actor_of(principal: Principal) -> Actor:
    return Actor(id=principal.user_id, label=principal.label)


async def record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: UUID | str,
    summary: dict[str, Any],
    occurred_at: datetime | None = None,
) -> None:
    """Append one event. Must run inside ``db.write_transaction()`` with the change it records."""
    await db.lock_for_append(CHAIN_LOCK)
    await _append_locked(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        occurred_at=occurred_at,
        reanchor=False,
    )


@dataclass(frozen=True)
class Event:
    """One event for :func:`record_many`."""

    action: str
    object_type: str
    object_id: UUID | str
    summary: dict[str, Any]


async def record_many(*, actor: Actor, events: list[Event]) -> None:
    """Append several events of one actor, in order, as :func:`record` would one by one, with one
    lock, one read of the chain's end and head, one insert and one move of the head. Must run
    inside ``db.write_transaction()`` with the changes they record."""
    if not events:
        return
    await db.lock_for_append(CHAIN_LOCK)
    key = _head_key()
    end = await _chain_end()
    head = await _head()
    when = datetime.now(UTC)
    rows = []
    last = end
    for event in events:
        row = _chained(last, when, actor, event)
        rows.append(row)
        last = ChainEnd(seq=row.seq, hash=row.hash)
    await AuditEvent.insert(*rows)
    assert last is not None
    if head is None and end is not None:
        log.warning("audit chain has no head record; run `spotcheck audit verify`")
        return
    await _write_head(head, last, _discrepancy(head, end, key, rows[0].seq), key)


def _chained(previous: ChainEnd | None, when: datetime, actor: Actor, event: Event) -> AuditEvent:
    """The row of `event` following `previous` in the chain, with its hash."""
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS_HASH
    digest = event_hash(
        prev_hash=prev_hash,
        seq=seq,
        occurred_at=when,
        actor_id=str(actor.id) if actor.id else None,
        actor_label=actor.label,
        action=event.action,
        object_type=event.object_type,
        object_id=str(event.object_id),
        summary=event.summary,
    )
    return AuditEvent(
        id=uuid4(),
        seq=seq,
        occurred_at=when,
        actor_id=actor.id,
        actor_label=actor.label,
        action=event.action,
        object_type=event.object_type,
        object_id=str(event.object_id),
        summary=event.summary,
        prev_hash=prev_hash,
        hash=digest,
    )


async def _append_locked(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: UUID | str,
    summary: dict[str, Any],
    occurred_at: datetime | None,
    reanchor: bool,
) -> ChainEnd:
    """Insert the event and move the head; the caller holds the chain lock."""
    key = _head_key()
    end = await _chain_end()
    head = await _head()
    # Microsecond precision is what both engines store, so the hash survives a round trip.
    when = (occurred_at or datetime.now(UTC)).astimezone(UTC)
    row = _chained(end, when, actor, Event(action, object_type, object_id, summary))
    await AuditEvent.insert(row)
    seq = row.seq
    new_end = ChainEnd(seq=row.seq, hash=row.hash)
    if head is None and end is not None and not reanchor:
        # Rows but no head: deleted, or a database from before anchoring. Creating one here
        # would bless whatever the table holds now; `spotcheck audit anchor` does it on purpose.
        log.warning("audit chain has no head record; run `spotcheck audit verify`")
        return new_end
    discrepancy = "" if reanchor else _discrepancy(head, end, key, seq)
    await _write_head(head, new_end, discrepancy, key)
    return new_end


def _discrepancy(head: Head | None, end: ChainEnd | None, key: bytes, seq: int) -> str:
    """The first mismatch between the head and the chain's end, found at this append and kept in
    the head from then on, so that appending cannot launder a cut or rewritten end."""
    if head is None:
        return ""
    if not head.is_authentic(key):
        note = f"at the append of seq={seq} the head record failed its HMAC check"
    elif head.discrepancy:
        return head.discrepancy
    elif not head.matches(end):
        note = f"at the append of seq={seq}: {describe_mismatch(head, end)}"
    else:
        return ""
    log.error("audit chain tampered with: %s", note)
    return note


async def _write_head(head: Head | None, end: ChainEnd, discrepancy: str, key: bytes) -> None:
    values: dict[Column | str, Any] = {
        AuditHead.seq: end.seq,
        AuditHead.hash: end.hash,
        AuditHead.discrepancy: discrepancy,
        AuditHead.mac: head_mac(key, seq=end.seq, hash=end.hash, discrepancy=discrepancy),
        AuditHead.updated_at: datetime.now(UTC),
    }
    if head is not None:
        await AuditHead.update(values).where(AuditHead.chain == CHAIN)
    else:
        await AuditHead.insert(
            AuditHead(
                id=uuid4(),
                chain=CHAIN,
                seq=end.seq,
                hash=end.hash,
                discrepancy=discrepancy,
                mac=values[AuditHead.mac],
                updated_at=values[AuditHead.updated_at],
            )
        )


async def _chain_end() -> ChainEnd | None:
    last = (
        await AuditEvent.select(AuditEvent.seq, AuditEvent.hash)
        .order_by(AuditEvent.seq, ascending=False)
        .first()
    )
    return ChainEnd(seq=last["seq"], hash=last["hash"]) if last else None


async def _head() -> Head | None:
    row = await AuditHead.select().where(AuditHead.chain == CHAIN).first()
    if row is None:
        return None
    return Head(seq=row["seq"], hash=row["hash"], discrepancy=row["discrepancy"], mac=row["mac"])


@dataclass(frozen=True)
class VerifyReport:
    rows_checked: int
    head_hash: str
    problems: list[ChainProblem]
    head_seq: int = 0
    anchored: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_chain(*, key: bytes | None = None) -> VerifyReport:
    """Recompute every row's hash and link, and compare the keyed head with the chain's end.

    The head and the last row are read together under the chain lock (a moment, not the whole
    read), so an append running alongside is never mistaken for a cut."""
    async with db.write_transaction():
        await db.lock_for_append(CHAIN_LOCK)
        head = await _head()
        end = await _chain_end()
    return await _verify(head, end, key or _head_key())


async def _verify(head: Head | None, end: ChainEnd | None, key: bytes) -> VerifyReport:
    rows = await AuditEvent.select().order_by(AuditEvent.seq).output(load_json=True)
    chain_rows = [
        ChainRow(
            seq=row["seq"],
            id=str(row["id"]),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
            recomputed_hash=event_hash(
                prev_hash=row["prev_hash"],
                seq=row["seq"],
                occurred_at=aware(row["occurred_at"]),
                actor_id=str(row["actor_id"]) if row["actor_id"] else None,
                actor_label=row["actor_label"],
                action=row["action"],
                object_type=row["object_type"],
                object_id=row["object_id"],
                summary=row["summary"],
            ),
        )
        for row in rows
    ]
    last_hash = chain_rows[-1].hash if chain_rows else GENESIS_HASH
    return VerifyReport(
        rows_checked=len(chain_rows),
        head_hash=last_hash,
        problems=find_chain_problems(chain_rows) + find_head_problems(head, end, key),
        head_seq=head.seq if head else 0,
        anchored=head is not None,
    )


@dataclass(frozen=True)
class AnchorResult:
    anchored: bool
    head: ChainEnd | None
    accepted_problems: list[str] = field(default_factory=list)


async def anchor(*, actor: Actor, accept_current: bool = False) -> AnchorResult:
    """Anchor the chain's current end under the key (`spotcheck audit anchor`).

    Needed once for a database whose events predate the head, and after an incident (a head
    that is missing, forged or records a discrepancy) once it has been looked into: then only
    with ``accept_current``, and the event it appends keeps the previous head and the problems
    that were accepted. A chain whose rows do not link is never anchored."""
    key = _head_key()
    async with db.write_transaction():
        # Held for the whole check (a rare admin command), so no append slips in between.
        await db.lock_for_append(CHAIN_LOCK)
        head = await _head()
        end = await _chain_end()
        report = await _verify(head, end, key)
        row_problems = [p for p in report.problems if p.kind not in HEAD_PROBLEM_KINDS]
        if row_problems:
            raise Conflict(
                "The audit chain's rows are broken, so its end cannot be anchored: "
                + "; ".join(problem.message for problem in row_problems)
            )
        if end is None and head is None:
            return AnchorResult(anchored=False, head=None)
        if report.ok:
            return AnchorResult(anchored=False, head=end)
        accepted = [problem.message for problem in report.problems]
        if head is not None and not accept_current:
            raise Conflict(
                "The audit head does not vouch for the chain: "
                + "; ".join(accepted)
                + ". Look into it first; then `spotcheck audit anchor --accept-current` anchors "
                "the chain as it is now and records this in the log."
            )
        previous = (
            {"seq": head.seq, "hash": head.hash, "discrepancy": head.discrepancy} if head else None
        )
        new_end = await _append_locked(
            actor=actor,
            action="audit.anchored" if head is None else "audit.reanchored",
            object_type="audit_chain",
            object_id=CHAIN,
            summary={"previous_head": previous, "accepted_problems": accepted},
            occurred_at=None,
            reanchor=True,
        )
    return AnchorResult(anchored=True, head=new_end, accepted_problems=accepted)
