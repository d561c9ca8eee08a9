"""Recording audit events (inside the caller's write transaction, unchained and without a lock),
sealing them into the chain and moving the keyed head, verifying the chain and its head, and
anchoring the head (`spotcheck audit anchor`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from piccolo.columns import Column
from piccolo.utils.encoding import load_json

from server.core import db
from server.core.audit.chain import (
    GENESIS_HASH,
    HEAD_PROBLEM_KINDS,
    ChainEnd,
    ChainProblem,
    ChainRow,
    ChainWalk,
    Head,
    derive_head_key,
    describe_mismatch,
    event_hash,
    find_head_problems,
    head_mac,
)
from server.core.audit.tables import AuditEvent, AuditHead
from server.core.errors import Conflict
from server.core.scopes import Principal
from server.core.settings import Settings
from server.core.timeutil import aware

# Held by whoever chains events (sealers, verify, anchor); writers of events never take it.
SEAL_LOCK = "spotcheck.audit_seal"
CHAIN = "audit_event"
PENDING_SEQUENCE = "audit_event_pending_seq"
SEAL_BATCH = 2000

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
    """Write one event. Must run inside ``db.write_transaction()`` with the change it records.

    It is written unchained and without a lock (:func:`seal` chains it once it has committed), so
    writers never wait for one another here."""
    await _write_unchained(actor, [Event(action, object_type, object_id, summary)], occurred_at)


@dataclass(frozen=True)
class Event:
    """One event for :func:`record_many`."""

    action: str
    object_type: str
    object_id: UUID | str
    summary: dict[str, Any]


async def record_many(
    *, actor: Actor, events: list[Event], writes: db.Writes | None = None
) -> None:
    """Write several events of one actor, in this order, as :func:`record` would one by one, with
    one insert. Must run inside ``db.write_transaction()`` with the changes they record. With
    `writes`, on PostgreSQL the insert is added to them (sent with the caller's other writes);
    SQLite writes at once (its provisional keys are read from the table)."""
    if events:
        await _write_unchained(actor, events, None, writes)


async def _write_unchained(
    actor: Actor,
    events: list[Event],
    occurred_at: datetime | None,
    writes: db.Writes | None = None,
) -> None:
    # Microsecond precision is what both engines store, so the hash survives a round trip.
    when = (occurred_at or datetime.now(UTC)).astimezone(UTC)
    in_sql = db.log_slot_expressions(PENDING_SEQUENCE)
    if in_sql is not None:
        # PostgreSQL draws the transaction id and the provisional keys in the insert itself:
        # one round trip per write, which every sync batch makes.
        rows = [
            _event_row(actor, event, when, seq=0, id=new_id)
            for event, new_id in zip(events, db.new_ids(len(events)), strict=True)
        ]
        for row in rows:
            del row["seq"], row["txid"]
        if writes is not None:
            writes.insert(AuditEvent, rows, expressions=in_sql)
        else:
            await db.insert_rows(AuditEvent, rows, expressions=in_sql)
        return
    txid, places = await db.log_slots(CHAIN, "seq", PENDING_SEQUENCE, len(events))
    await db.insert_rows(
        AuditEvent,
        [
            _event_row(actor, event, when, seq=place, txid=txid)
            for place, event in zip(places, events, strict=True)
        ],
    )


def _event_row(
    actor: Actor,
    event: Event,
    when: datetime,
    *,
    seq: int,
    txid: int = 0,
    prev_hash: str = "",
    hash: str = "",
    id: UUID | None = None,
) -> dict[str, Any]:
    """The stored row of `event`, for ``db.insert_rows``: unchained (a provisional `seq`, no
    hashes), or chained; `id` a new one unless given (``db.new_ids``)."""
    return {
        "id": id or uuid4(),
        "seq": seq,
        "txid": txid,
        "occurred_at": when,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "summary": event.summary,
        "prev_hash": prev_hash,
        "hash": hash,
    }


# --- sealing: chaining the events written since, in one place at a time -------------------------


async def seal() -> int:
    """Chain every event committed so far; returns how many. Any process may call it at any time:
    one seals, the others find the seal lock taken and return 0 at once."""
    total = 0
    while await AuditEvent.exists().where(AuditEvent.seq < 0):
        async with db.write_transaction():
            if not await db.try_lock_for_append(SEAL_LOCK):
                return total
            sealed = await _seal_locked()
        total += sealed
        if sealed < SEAL_BATCH:
            break
    return total


async def keep_sealing(interval_seconds: float, stop: asyncio.Event) -> None:
    """Seal every `interval_seconds` until `stop` is set (each API process runs this; the worker
    seals once per round instead)."""
    while not stop.is_set():
        try:
            await seal()
        except Exception as error:
            if db.is_unavailable(error):
                log.warning("audit sealing paused: the database is unavailable")
            else:
                log.exception("audit sealing failed; trying again")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass


async def _seal_all_locked() -> None:
    while await _seal_locked() == SEAL_BATCH:
        pass


async def _seal_locked() -> int:
    """Chain up to SEAL_BATCH events that have committed and are not chained yet, each
    transaction's together (by transaction id, then in the order written); move the head once.
    The caller holds the seal lock.

    No cursor and no watermark are needed: an event is waiting as long as its `seq` is negative,
    so one whose transaction commits late (after newer ones were chained) is simply chained by
    the next sealing, after them. Nothing is skipped and nothing is chained twice."""
    rows = await _waiting_events()
    if not rows:
        return 0
    key = _head_key()
    end = await _chain_end()
    head = await _head()
    placed: list[tuple[Any, ...]] = []
    last = end
    for row in rows:
        seq = last.seq + 1 if last else 1
        prev_hash = last.hash if last else GENESIS_HASH
        digest = row_hash(row, seq=seq, prev_hash=prev_hash)
        placed.append((row["id"], seq, prev_hash, digest))
        last = ChainEnd(seq=seq, hash=digest)
    await db.set_columns_by_id(CHAIN, ("seq", "prev_hash", "hash"), placed)
    assert last is not None
    if head is None and end is not None:
        # Rows but no head: deleted, or a database from before anchoring. Creating one here
        # would bless whatever the table holds now; `spotcheck audit anchor` does it on purpose.
        log.warning("audit chain has no head record; run `spotcheck audit verify`")
        return len(rows)
    await _write_head(head, last, _discrepancy(head, end, key, placed[0][1]), key)
    return len(rows)


# The events waiting to be chained, in chain order, as fixed SQL on PostgreSQL: the API process
# seals every second, and Piccolo's building of the rows (a dict each, JSON decoded through its
# result processing) was a quarter of sealing's time. The columns a hash reads, and the id.
_WAITING_SQL = (
    "SELECT id, occurred_at, actor_id, actor_label, action, object_type, object_id, summary "  # noqa: S608
    f'FROM "{AuditEvent._meta.tablename}" WHERE seq < 0 ORDER BY txid, seq DESC LIMIT {SEAL_BATCH}'
)


async def _waiting_events() -> list[dict[str, Any]]:
    if db.is_postgres():
        return [
            dict(record, summary=load_json(record["summary"]))
            for record in await db.fetch_postgres(_WAITING_SQL)
        ]
    return await (
        AuditEvent.select()
        .where(AuditEvent.seq < 0)
        .order_by(AuditEvent.txid)
        .order_by(AuditEvent.seq, ascending=False)
        .limit(SEAL_BATCH)
        .output(load_json=True)
    )


def row_hash(row: dict[str, Any], *, seq: int, prev_hash: str) -> str:
    """The hash of a stored event at place `seq` after `prev_hash`: what sealing writes and what
    verify recomputes, both from the row as the database holds it."""
    return event_hash(
        prev_hash=prev_hash,
        seq=seq,
        occurred_at=aware(row["occurred_at"]),
        actor_id=str(row["actor_id"]) if row["actor_id"] else None,
        actor_label=row["actor_label"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        summary=row["summary"],
    )


async def move_head(before: ChainEnd | None, after: ChainEnd) -> None:
    """Move the head from `before` (the chain's end as it was) to `after`, for a writer that
    appended rows it chained itself with :func:`row_hash` (the scale generator, bench/scale.py,
    which writes a province's history already sealed). As a sealing does: in the caller's write
    transaction, under the seal lock, keeping any discrepancy the head records."""
    key = _head_key()
    head = await _head()
    if head is None and before is not None:
        log.warning("audit chain has no head record; run `spotcheck audit verify`")
        return
    seq = before.seq + 1 if before else 1
    await _write_head(head, after, _discrepancy(head, before, key, seq), key)


async def _append_sealed(actor: Actor, event: Event) -> ChainEnd:
    """Append one event already chained and anchor the head on it (re-anchoring: the caller holds
    the seal lock and has sealed everything before)."""
    key = _head_key()
    end = await _chain_end()
    head = await _head()
    when = datetime.now(UTC)
    seq = end.seq + 1 if end else 1
    prev_hash = end.hash if end else GENESIS_HASH
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
    await db.insert_rows(
        AuditEvent, [_event_row(actor, event, when, seq=seq, prev_hash=prev_hash, hash=digest)]
    )
    new_end = ChainEnd(seq=seq, hash=digest)
    await _write_head(head, new_end, "", key)
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
        .where(AuditEvent.seq > 0)
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
    """Chain every committed event, then recompute every chained row's hash and link and compare
    the keyed head with the chain's end.

    Sealing and reading the head and the last row happen under the seal lock (a moment, not the
    whole read), so a sealer running alongside is never mistaken for a cut."""
    async with db.write_transaction():
        await db.lock_for_append(SEAL_LOCK)
        await _seal_all_locked()
        head = await _head()
        end = await _chain_end()
    return await _verify(head, end, key or _head_key())


# Rows per page of `verify`: the chain is read in keyset pages by seq, each row checked and
# dropped, so memory stays that of one page (and the problems found) however long the log is.
VERIFY_PAGE = 5000
VERIFY_COLUMNS = (
    AuditEvent.id,
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_id,
    AuditEvent.actor_label,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.summary,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


async def _verify(head: Head | None, end: ChainEnd | None, key: bytes) -> VerifyReport:
    walk = ChainWalk()
    last_hash = GENESIS_HASH
    after = 0
    while True:
        rows = (
            await AuditEvent.select(*VERIFY_COLUMNS)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(VERIFY_PAGE)
            .output(load_json=True)
        )
        for row in rows:
            walk.step(
                ChainRow(
                    seq=row["seq"],
                    id=str(row["id"]),
                    prev_hash=row["prev_hash"],
                    hash=row["hash"],
                    recomputed_hash=row_hash(row, seq=row["seq"], prev_hash=row["prev_hash"]),
                )
            )
        if rows:
            after = rows[-1]["seq"]
            last_hash = rows[-1]["hash"]
        if len(rows) < VERIFY_PAGE:
            break
    return VerifyReport(
        rows_checked=walk.rows,
        head_hash=last_hash,
        problems=walk.problems + find_head_problems(head, end, key),
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
        # Held for the whole check (a rare admin command), so no sealing slips in between.
        await db.lock_for_append(SEAL_LOCK)
        await _seal_all_locked()
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
        new_end = await _append_sealed(
            actor,
            Event(
                action="audit.anchored" if head is None else "audit.reanchored",
                object_type="audit_chain",
                object_id=CHAIN,
                summary={"previous_head": previous, "accepted_problems": accepted},
            ),
        )
    return AnchorResult(anchored=True, head=new_end, accepted_problems=accepted)
