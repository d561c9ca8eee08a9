"""Pure hashing of audit events: the canonical form of an event and the chain rule.

hash(n) = SHA-256(prev_hash(n) || canonical JSON of the event's own fields). The genesis row's
prev_hash is 64 zeros. Changing any field of a row breaks its own hash; deleting or reordering rows
breaks the link from the next row's prev_hash, which is how `spotcheck audit verify` tells them apart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


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
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


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
    kind: str  # "changed", "deleted_before", "reordered_or_inserted"
    message: str


def find_chain_problems(rows: list[ChainRow]) -> list[ChainProblem]:
    """Walk rows in seq order and name each row where the chain breaks, and how."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for row in rows:
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
        elif row.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    row.seq,
                    row.id,
                    "reordered_or_inserted",
                    f"row seq={row.seq} id={row.id} does not link to the row before it "
                    "(rows were reordered, replaced or inserted)",
                )
            )
        expected_prev = row.hash
        expected_seq = row.seq + 1
    return problems
