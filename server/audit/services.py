"""Recording audit events (inside the caller's write transaction) and verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from server import db
from server.audit.chain import (
    GENESIS_HASH,
    ChainProblem,
    ChainRow,
    event_hash,
    find_chain_problems,
)
from server.audit.tables import AuditEvent
from server.scopes import Principal
from server.timeutil import aware

CHAIN_LOCK = "spotcheck.audit_chain"


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
    last = (
        await AuditEvent.select(AuditEvent.seq, AuditEvent.hash)
        .order_by(AuditEvent.seq, ascending=False)
        .first()
    )
    seq = (last["seq"] + 1) if last else 1
    prev_hash = last["hash"] if last else GENESIS_HASH
    # Microsecond precision is what both engines store, so the hash survives a round trip.
    when = (occurred_at or datetime.now(UTC)).astimezone(UTC)
    actor_id = str(actor.id) if actor.id else None
    digest = event_hash(
        prev_hash=prev_hash,
        seq=seq,
        occurred_at=when,
        actor_id=actor_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary,
    )
    await AuditEvent.insert(
        AuditEvent(
            id=uuid4(),
            seq=seq,
            occurred_at=when,
            actor_id=actor.id,
            actor_label=actor.label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary,
            prev_hash=prev_hash,
            hash=digest,
        )
    )


@dataclass(frozen=True)
class VerifyReport:
    rows_checked: int
    head_hash: str
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_chain() -> VerifyReport:
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
    head = chain_rows[-1].hash if chain_rows else GENESIS_HASH
    return VerifyReport(
        rows_checked=len(chain_rows), head_hash=head, problems=find_chain_problems(chain_rows)
    )
