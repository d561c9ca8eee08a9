"""Pure hashing of audit events: the canonical form of an event and the chain rule.

hash(n) = SHA-256(prev_hash(n) || canonical JSON of the event's own fields). The genesis row's
prev_hash is 64 zeros. Changing any field of a row breaks its own hash; deleting or reordering rows
breaks the link from the next row's prev_hash, which is how `spotcheck audit verify` tells them apart.

The chain alone cannot show that its *end* was cut or rewritten (anyone can recompute SHA-256), so
every sealing (appending to the chain) also moves a head record (seq and hash of the last row)
whose HMAC is keyed with a key that is not in the database: see ``head_mac`` and
``find_head_problems``, and docs/audit.md.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.core import canonical

GENESIS_HASH = "0" * 64
HEAD_KEY_CONTEXT = b"spotcheck/audit-head-key/v1"
HEAD_MAC_CONTEXT = "spotcheck/audit-head/v1"
# Problems with the chain's end as the head sees it (the rows themselves may be intact).
HEAD_PROBLEM_KINDS = frozenset(
    {"head_missing", "head_forged", "head_discrepancy", "end_cut_or_rewritten"}
)


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: datetime,
    actor_id: str | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: Any,
) -> str:
    body = {
        "seq": seq,
        "occurred_at": occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
    }
    return canonical.canonical_sha256(
        body, version=canonical.CANONICAL_V1, prefix=prev_hash.encode("utf-8")
    )


@dataclass(frozen=True)
class ChainRow:
    seq: int
    id: str
    prev_hash: str
    hash: str
    recomputed_hash: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    id: str
    # Rows: "changed", "deleted_before", "reordered_or_inserted". The head: "head_missing",
    # "head_forged", "head_discrepancy", "end_cut_or_rewritten" (their id is "").
    kind: str
    message: str


def find_chain_problems(rows: list[ChainRow]) -> list[ChainProblem]:
    """Walk rows in seq order and name each row where the chain breaks, and how."""
    walk = ChainWalk()
    for row in rows:
        walk.step(row)
    return walk.problems


class ChainWalk:
    """The chain check one row at a time, keeping only the link it expects next (the previous
    row's hash and seq), so `spotcheck audit verify` reads the log in pages, in bounded memory.
    Feed it rows in seq order; ``problems`` names each row where the chain breaks, and how."""

    def __init__(self) -> None:
        self.problems: list[ChainProblem] = []
        self.expected_prev = GENESIS_HASH
        self.expected_seq = 1
        self.rows = 0

    def step(self, row: ChainRow) -> None:
        self.rows += 1
        problems = self.problems
        expected_seq = self.expected_seq
        if row.recomputed_hash != row.hash:
            problems.append(
                ChainProblem(
                    row.seq,
                    row.id,
                    "changed",
                    f"row seq={row.seq} id={row.id} was changed after it was written "
                    "(its content no longer matches its hash)",
                )
            )
        if row.seq != expected_seq:
            if row.seq > expected_seq:
                missing = (
                    f"seq={expected_seq}"
                    if row.seq == expected_seq + 1
                    else f"seq={expected_seq}..{row.seq - 1}"
                )
                problems.append(
                    ChainProblem(
                        row.seq,
                        row.id,
                        "deleted_before",
                        f"row(s) {missing} before seq={row.seq} id={row.id} were deleted",
                    )
                )
            else:
                problems.append(
                    ChainProblem(
                        row.seq,
                        row.id,
                        "reordered_or_inserted",
                        f"row seq={row.seq} id={row.id} is out of order",
                    )
                )
        elif row.prev_hash != self.expected_prev:
            problems.append(
                ChainProblem(
                    row.seq,
                    row.id,
                    "reordered_or_inserted",
                    f"row seq={row.seq} id={row.id} does not link to the row before it "
                    "(rows were reordered, replaced or inserted)",
                )
            )
        self.expected_prev = row.hash
        self.expected_seq = row.seq + 1


# --- The head: the chain's end, anchored under a key outside the database ------------------------


def derive_head_key(secret_key: str) -> bytes:
    """The head key when no SPOTCHECK_AUDIT_KEY is set: an HMAC of a fixed context under the
    secret key, so it is never the key that signs tokens, and needs no new setting."""
    return hmac.new(secret_key.encode("utf-8"), HEAD_KEY_CONTEXT, hashlib.sha256).digest()


def head_mac(key: bytes, *, seq: int, hash: str, discrepancy: str) -> str:
    body = canonical.canonical_json(
        {"seq": seq, "hash": hash, "discrepancy": discrepancy}, version=canonical.CANONICAL_V1
    )
    message = f"{HEAD_MAC_CONTEXT}\n".encode() + body
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainEnd:
    """The last row of the chain: its seq and stored hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Head:
    """The head record as stored. ``discrepancy`` is the first mismatch an append found between the
    head and the chain's end; it is carried (under the HMAC) until someone re-anchors."""

    seq: int
    hash: str
    discrepancy: str
    mac: str

    def is_authentic(self, key: bytes) -> bool:
        expected = head_mac(key, seq=self.seq, hash=self.hash, discrepancy=self.discrepancy)
        return hmac.compare_digest(expected, self.mac)

    def matches(self, end: ChainEnd | None) -> bool:
        return end is not None and (end.seq, end.hash) == (self.seq, self.hash)


def _seq_range(first: int, last: int) -> str:
    return f"seq={first}" if first == last else f"seq={first}..{last}"


def describe_mismatch(head: Head, end: ChainEnd | None) -> str:
    """What happened to the chain's end, given a head that is authentic but does not match it."""
    if end is None:
        return (
            f"every row ({_seq_range(1, head.seq)}) was deleted: the head records a chain "
            f"ending at seq={head.seq}, the table is empty"
        )
    if end.seq < head.seq:
        return (
            f"the last row(s) {_seq_range(end.seq + 1, head.seq)} were deleted: the head "
            f"records a chain ending at seq={head.seq}, the table ends at seq={end.seq}"
        )
    if end.seq > head.seq:
        return (
            f"row(s) {_seq_range(head.seq + 1, end.seq)} were added without the head: they "
            f"were written to the table directly, not through the application"
        )
    return (
        f"the last row seq={end.seq} is not the row the head anchors (hash {end.hash[:16]}… "
        f"instead of {head.hash[:16]}…): the end of the chain was rewritten, even if its hashes "
        "were recomputed"
    )


def find_head_problems(head: Head | None, end: ChainEnd | None, key: bytes) -> list[ChainProblem]:
    """Compare the head with the chain's end, both read at the same moment."""
    if head is None:
        if end is None:
            return []
        return [
            ChainProblem(
                end.seq,
                "",
                "head_missing",
                "the chain has no head record, so its end is not anchored: the head was "
                "deleted, or this database predates anchoring (then run `spotcheck audit "
                "anchor` once, see docs/audit.md)",
            )
        ]
    if not head.is_authentic(key):
        return [
            ChainProblem(
                head.seq,
                "",
                "head_forged",
                f"the head record (seq={head.seq}) fails its HMAC check: it was rewritten by "
                "someone without the audit key, or SPOTCHECK_AUDIT_KEY (or, when it is unset, "
                "SPOTCHECK_SECRET_KEY) is not the key that wrote it",
            )
        ]
    problems: list[ChainProblem] = []
    if head.discrepancy:
        problems.append(
            ChainProblem(
                head.seq,
                "",
                "head_discrepancy",
                f"an earlier append found the chain's end tampered with: {head.discrepancy}",
            )
        )
    if not head.matches(end):
        problems.append(
            ChainProblem(
                end.seq if end else head.seq,
                "",
                "end_cut_or_rewritten",
                describe_mismatch(head, end),
            )
        )
    return problems
