"""The hash-chained audit log: what gets recorded, and `spotcheck audit verify` catching tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.core import db
from server.core.audit import services as audit_service
from server.core.audit.chain import GENESIS_HASH, ChainRow, event_hash, find_chain_problems
from server.core.audit.tables import AuditEvent
from tests.conftest import Spotcheck, World

Client = AsyncTestClient[Litestar]


# --- find_chain_problems, pure -----------------------------------------------------------------


def make_chain(count: int) -> list[ChainRow]:
    rows: list[ChainRow] = []
    prev = GENESIS_HASH
    start = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    for seq in range(1, count + 1):
        digest = event_hash(
            prev_hash=prev,
            seq=seq,
            occurred_at=start + timedelta(minutes=seq),
            actor_id=None,
            actor_label="kiemtra1 (inspector)",
            action="unit.updated",
            object_type="unit",
            object_id=f"unit-{seq}",
            summary={"name_vi": f"Xã Phương Định {seq}"},
        )
        rows.append(
            ChainRow(seq=seq, id=f"id-{seq}", prev_hash=prev, hash=digest, recomputed_hash=digest)
        )
        prev = digest
    return rows


def with_content_changed(row: ChainRow) -> ChainRow:
    return ChainRow(row.seq, row.id, row.prev_hash, row.hash, recomputed_hash="f" * 64)


def kinds(problems: list[Any]) -> list[tuple[int, str]]:
    return [(problem.seq, problem.kind) for problem in problems]


def test_an_intact_chain_has_no_problems() -> None:
    assert find_chain_problems(make_chain(5)) == []
    assert find_chain_problems([]) == []


def test_a_changed_row_is_named() -> None:
    rows = make_chain(5)
    rows[1] = with_content_changed(rows[1])

    problems = find_chain_problems(rows)

    assert kinds(problems) == [(2, "changed")]
    assert "seq=2" in problems[0].message
    assert "changed" in problems[0].message


def test_a_changed_row_whose_hash_was_recomputed_breaks_the_next_link() -> None:
    rows = make_chain(5)
    forged = "a" * 64
    rows[1] = ChainRow(2, "id-2", rows[1].prev_hash, forged, forged)

    assert kinds(find_chain_problems(rows)) == [(3, "reordered_or_inserted")]


@pytest.mark.parametrize(
    ("deleted", "reported_at", "missing"),
    [([1], 2, "seq=1 "), ([2], 3, "seq=2 "), ([2, 3], 4, "seq=2..3 ")],
)
def test_deleted_rows_are_reported(deleted: list[int], reported_at: int, missing: str) -> None:
    rows = [row for row in make_chain(5) if row.seq not in deleted]

    problems = find_chain_problems(rows)

    assert kinds(problems) == [(reported_at, "deleted_before")]
    assert missing in problems[0].message
    assert "deleted" in problems[0].message


def test_swapped_rows_are_reported() -> None:
    rows = make_chain(5)
    second, third = rows[1], rows[2]
    # Each row keeps its content and hash but takes the other's place in the sequence.
    rows[1] = ChainRow(2, third.id, third.prev_hash, third.hash, "1" * 64)
    rows[2] = ChainRow(3, second.id, second.prev_hash, second.hash, "2" * 64)

    problems = find_chain_problems(rows)

    assert kinds(problems) == [
        (2, "changed"),
        (2, "reordered_or_inserted"),
        (3, "changed"),
        (3, "reordered_or_inserted"),
        (4, "reordered_or_inserted"),
    ]


def test_an_inserted_row_is_reported() -> None:
    rows = make_chain(4)
    intruder = ChainRow(2, "intruder", rows[0].hash, "b" * 64, "b" * 64)

    problems = find_chain_problems([rows[0], intruder, *rows[1:]])

    assert kinds(problems) == [(2, "reordered_or_inserted")]
    assert problems[0].id == "id-2"


def test_event_hash_is_canonical() -> None:
    when = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    base: dict[str, Any] = {
        "prev_hash": GENESIS_HASH,
        "seq": 1,
        "occurred_at": when,
        "actor_id": None,
        "actor_label": "admin (admin)",
        "action": "unit.created",
        "object_type": "unit",
        "object_id": "x",
        "summary": {"code": "TN-PD", "name": "Phương Định"},
    }
    same_in_other_zone = {
        **base,
        "occurred_at": when.astimezone(datetime.now().astimezone().tzinfo),
    }
    reordered_summary = {**base, "summary": {"name": "Phương Định", "code": "TN-PD"}}

    assert event_hash(**base) == event_hash(**same_in_other_zone) == event_hash(**reordered_summary)
    assert event_hash(**base) != event_hash(**{**base, "prev_hash": "1" * 64})
    assert event_hash(**base) != event_hash(**{**base, "summary": {"code": "TN-VH"}})


# --- recording and `spotcheck audit verify` ----------------------------------------------------


async def make_history(client: Client, world: World) -> None:
    """Login, create, rename, deactivate: four events, chained as seq 1..4."""
    admin = await world.login(client, "admin")
    created = await client.post(
        "/api/v1/units",
        json={
            "code": "TN-PD-1C",
            "name_vi": "Bộ phận một cửa xã Phương Định",
            "name_en": "Phuong Dinh one-stop shop",
            "kind": "service_center",
            "parent_id": str(world.units["C1"]),
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    unit_url = f"/api/v1/units/{created.json()['id']}"
    for change in ({"name_en": "Phuong Dinh OSS", "latitude": 20.2702}, {"active": False}):
        assert (await client.patch(unit_url, json=change, headers=admin)).status_code == 200
    # Chained now, as the API's sealer would within a second: what follows tampers with the chain.
    assert await audit_service.seal() == 4


async def test_actions_write_events_in_a_chain(client: Client, world: World) -> None:
    await make_history(client, world)

    events = await AuditEvent.select().order_by(AuditEvent.seq).output(load_json=True)

    assert [event["action"] for event in events] == [
        "auth.login",
        "unit.created",
        "unit.updated",
        "unit.updated",
    ]
    assert [event["seq"] for event in events] == [1, 2, 3, 4]
    assert {event["actor_id"] for event in events} == {world.users["admin"]}
    assert events[1]["actor_label"] == "admin (admin)"
    assert events[1]["summary"]["code"] == "TN-PD-1C"
    assert events[2]["summary"] == {"name_en": "Phuong Dinh OSS", "latitude": 20.2702}
    assert events[0]["prev_hash"] == GENESIS_HASH
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in pairwise(events))
    report = await audit_service.verify_chain()
    assert report.ok, report.problems
    assert report.rows_checked == 4
    assert report.head_hash == events[-1]["hash"]


async def test_a_refused_change_writes_no_event(client: Client, world: World) -> None:
    leader = await world.login(client, "leader_d1")
    before = await AuditEvent.count()

    response = await client.patch(
        f"/api/v1/units/{world.units['C1']}", json={"active": False}, headers=leader
    )

    assert response.status_code == 403
    assert await AuditEvent.count() == before


async def test_verify_accepts_an_intact_chain(
    client: Client, world: World, spotcheck: Spotcheck
) -> None:
    await make_history(client, world)

    result = spotcheck("audit", "verify")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit chain OK: 4 events" in result.stdout


async def test_verify_names_the_row_edited_by_hand(
    client: Client, world: World, spotcheck: Spotcheck
) -> None:
    await make_history(client, world)
    await db.engine().run_ddl(
        """UPDATE audit_event SET summary = '{"code": "FORGED"}' WHERE seq = 2"""
    )

    result = spotcheck("audit", "verify")

    assert result.returncode == 1
    assert "BROKEN: 1 problem(s) in 4 events" in result.stdout
    assert "seq=2" in result.stdout
    assert "changed" in result.stdout
    assert "seq=3" not in result.stdout


# Deletion and reordering go through the same verify_chain() the command prints; the two above
# already cover the command itself.


async def test_verify_reports_a_deleted_row(client: Client, world: World) -> None:
    await make_history(client, world)
    await db.engine().run_ddl("DELETE FROM audit_event WHERE seq = 2")

    report = await audit_service.verify_chain()

    assert not report.ok
    assert len(report.problems) == 1, report.problems  # at the row after the gap
    assert report.problems[0].kind == "deleted_before"
    assert "row(s) seq=2 before seq=3" in report.problems[0].message
    assert "were deleted" in report.problems[0].message


async def test_verify_reports_swapped_rows(client: Client, world: World) -> None:
    await make_history(client, world)
    for statement in (
        "UPDATE audit_event SET seq = -1 WHERE seq = 2",
        "UPDATE audit_event SET seq = 2 WHERE seq = 3",
        "UPDATE audit_event SET seq = 3 WHERE seq = -1",
    ):
        await db.engine().run_ddl(statement)

    report = await audit_service.verify_chain()

    assert not report.ok
    assert {problem.seq for problem in report.problems} == {2, 3, 4}
    assert {problem.kind for problem in report.problems} == {"changed", "reordered_or_inserted"}
    assert any("does not link" in problem.message for problem in report.problems)
