"""db.Writes: writes of one transaction sent together, one statement on PostgreSQL (what a sync
batch's answers, touch, audit event and op claims cost: one round trip), one after the other on
SQLite; the last write's RETURNING rows come back, whatever the parameter limit split."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from mobile_api.tables import SyncOperation
from server.core import db
from server.users.tables import AppUser
from tests.conftest import World, engine_name


def _op_rows(count: int, user_id: UUID) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "op_id": uuid4(),
            "user_id": user_id,
            "device_id": "phone",
            "op_type": "answer",
            "payload_sha256": f"{index:064d}",
            "status": "applied",
            "result": {"result": {"recorded": f"item-{index}"}},
            "received_at": now,
        }
        for index in range(count)
    ]


@pytest.fixture
def statements_sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement the kernel sends, in order."""
    sent: list[str] = []
    run = db._run_compiled

    async def counted(sql: str, values: list[Any]) -> list[dict[str, Any]]:
        sent.append(sql)
        return await run(sql, values)

    monkeypatch.setattr(db, "_run_compiled", counted)
    return sent


async def _names(user_ids: list[UUID]) -> set[str]:
    rows = await AppUser.select(AppUser.full_name).where(AppUser.id.is_in(user_ids))
    return {row["full_name"] for row in rows}


async def test_writes_go_as_one_statement_on_postgres_and_return_the_last_ones_rows(
    world: World, statements_sent: list[str]
) -> None:
    users = list(world.users.values())[:3]
    ops = _op_rows(3, users[0])
    async with db.write_transaction():
        writes = db.Writes()
        writes.set_by_ids(AppUser, users, AppUser.full_name, "Renamed together")
        writes.insert(
            SyncOperation,
            ops,
            conflict_target=(SyncOperation.op_id,),
            returning=SyncOperation.op_id,
        )
        returned = await writes.send()

    assert sorted(str(row["op_id"]) for row in returned) == sorted(str(op["op_id"]) for op in ops)
    assert await _names(users) == {"Renamed together"}
    stored = await SyncOperation.select().output(load_json=True)
    assert {(str(row["op_id"]), row["result"]["result"]["recorded"]) for row in stored} == {
        (str(op["op_id"]), op["result"]["result"]["recorded"]) for op in ops
    }
    assert len(statements_sent) == (1 if engine_name() == "postgres" else 2)
    # Sent once: nothing is left to send again.
    assert await writes.send() == []


async def test_writes_past_the_parameter_limit_split_into_statements_and_keep_every_row(
    world: World, statements_sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8 columns a row: two rows fit in 20 parameters. The update (2 parameters) and the first
    # two rows (16) share a statement on PostgreSQL; the other three rows need two more.
    monkeypatch.setattr(db, "_MAX_PARAMETERS", 20)
    users = list(world.users.values())[:2]
    first, more = _op_rows(2, users[0]), _op_rows(3, users[0])
    async with db.write_transaction():
        writes = db.Writes()
        writes.set_by_ids(AppUser, users, AppUser.full_name, "Split")
        writes.insert(SyncOperation, first, returning=SyncOperation.op_id)
        writes.insert(SyncOperation, more, returning=SyncOperation.op_id)
        returned = await writes.send()

    # The last write's rows, all of them, though they went in two statements.
    assert sorted(str(row["op_id"]) for row in returned) == sorted(str(op["op_id"]) for op in more)
    assert await _names(users) == {"Split"}
    stored = {str(row["op_id"]) for row in await SyncOperation.select(SyncOperation.op_id)}
    assert stored == {str(op["op_id"]) for op in first + more}
    assert len(statements_sent) == (3 if engine_name() == "postgres" else 4)


async def test_a_failing_write_fails_them_all(world: World) -> None:
    users = list(world.users.values())[:1]
    ops = _op_rows(1, users[0])
    async with db.write_transaction():
        await db.insert_rows(SyncOperation, ops)
    with pytest.raises(Exception) as raised:
        async with db.write_transaction():
            writes = db.Writes()
            writes.set_by_ids(AppUser, users, AppUser.full_name, "Never")
            writes.insert(SyncOperation, ops)  # the same op id again: a unique violation
            await writes.send()
    assert db.is_unique_violation(raised.value)
    assert "Never" not in await _names(users)
