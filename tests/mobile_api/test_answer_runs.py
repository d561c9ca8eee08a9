"""A run of answer ops in one batch is applied as a set (a few statements for the run, not a dozen
per op), with exactly what applying the ops one at a time gives: the same statuses, reasons and
results, the same answers kept, the same answers in the audit log in the same order (one event per
run and inspection listing them, where one op at a time writes an event each). The same batch goes to
two inspections, once through the set path and once one op at a time, and everything is compared
position by position."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mobile_api import services as sync_service
from mobile_api.schemas import OpType
from server.core import db
from server.core.audit import services as audit_service
from server.core.audit.tables import AuditEvent
from server.core.errors import NotFound
from server.inspections import services as inspection_service
from server.inspections.tables import Answer, Inspection, InspectionMember
from server.users import services as user_service
from tests.conftest import World
from tests.helpers import now_iso, op, passing_answer, start_op
from tests.mobile_api.test_sync_poisoned_ops import assigned_inspection, send

NOWHERE = str(uuid.uuid4())  # an inspection nobody has: the same refusal for both paths


def tricky_batch(inspection_id: str, items: list[Any], *, op_twice: bool) -> list[dict[str, Any]]:
    """Everything a run can meet: new items, one item twice (the later wins), an older answer
    after a newer one (kept), a malformed payload, an answer the rules refuse, an inspection that
    is not the phone's, and (`op_twice`) one op id sent twice in the batch."""
    first, second, third = items[0], items[1], items[2]

    def answer(item: Any, offset: timedelta, **extra: Any) -> dict[str, Any]:
        return op(
            "answer",
            inspection_id=inspection_id,
            item_key=item.key,
            device_time=now_iso(offset),
            **{**passing_answer(item), **extra},
        )

    repeated = answer(third, timedelta(seconds=-5), note="gửi hai lần")
    return [
        start_op(inspection_id),
        answer(first, timedelta(seconds=-30), note="lần đầu"),
        answer(second, timedelta(seconds=-20)),
        answer(first, timedelta(seconds=-10), note="lần sau"),
        answer(second, timedelta(seconds=-25), note="cũ hơn"),
        {"op_id": str(uuid.uuid4()), "type": "answer", "payload": {"inspection_id": inspection_id}},
        answer(third, timedelta(seconds=-8), value="maybe"),
        {
            **answer(third, timedelta(seconds=-7)),
            "payload": {
                **answer(third, timedelta(seconds=-7))["payload"],
                "inspection_id": NOWHERE,
            },
        },
        repeated,
        *([dict(repeated)] if op_twice else []),
    ]


def comparable(results: list[dict[str, Any]]) -> list[Any]:
    return [(r["status"], r.get("reason"), r.get("result")) for r in results]


async def stored(inspection_id: str, batch: list[dict[str, Any]]) -> list[Any]:
    position = {entry["op_id"]: index for index, entry in enumerate(batch)}
    rows = await Answer.select().where(Answer.inspection_id == uuid.UUID(inspection_id))
    return sorted((row["item_key"], row["note"], position[str(row["op_id"])]) for row in rows)


async def audited(inspection_id: str, batch: list[dict[str, Any]]) -> list[Any]:
    position = {entry["op_id"]: index for index, entry in enumerate(batch)}
    await audit_service.seal()  # the chain's order is the order of writing
    rows = (
        await AuditEvent.select(AuditEvent.action, AuditEvent.summary)
        .where(AuditEvent.object_id == inspection_id)
        .order_by(AuditEvent.seq)
        .output(load_json=True)
    )
    # An answers event stands for each answer it lists, in its order.
    return [
        (row["action"], entry.get("item_key"), position.get(entry.get("op_id")))
        for row in rows
        for entry in row["summary"].get("answers", [row["summary"]])
    ]


async def run_both_ways(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch, *, op_twice: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The tricky batch through the set path (C1) and one op at a time (C2), compared; returns the
    set path's batch, its results, and how many of its ops went through `_apply_one`."""
    inspector = await world.login(client, "inspector")
    as_set, items = await assigned_inspection(client, world, unit="C1")
    one_by_one, _items = await assigned_inspection(client, world, unit="C2")
    one_at_a_time = 0
    apply_one = sync_service._apply_one

    async def counted(*args: Any) -> Any:
        nonlocal one_at_a_time
        one_at_a_time += 1
        return await apply_one(*args)

    monkeypatch.setattr(sync_service, "_apply_one", counted)
    set_batch = tricky_batch(as_set, items, op_twice=op_twice)
    set_results = await send(client, inspector, set_batch)
    through_one = one_at_a_time

    model, handler = sync_service.HANDLERS[OpType.answer]

    async def the_same_handler(*args: Any) -> dict[str, Any]:
        return await handler(*args)

    # A handler that is not the built-in one turns the set path off.
    monkeypatch.setitem(sync_service.HANDLERS, OpType.answer, (model, the_same_handler))
    single_batch = tricky_batch(one_by_one, items, op_twice=op_twice)
    single_results = await send(client, inspector, single_batch)

    # (The start's result names the distance to each unit: not part of the comparison.)
    assert comparable(set_results)[1:] == comparable(single_results)[1:]
    assert await stored(as_set, set_batch) == await stored(one_by_one, single_batch)
    assert await audited(as_set, set_batch) == await audited(one_by_one, single_batch)
    assert set_results[4]["result"] == {
        "kept": "newer answer already recorded",
        "item_key": items[1].key,
    }
    return set_batch, set_results, through_one


async def test_a_run_of_answers_gives_what_one_op_at_a_time_gives(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch, results, through_one = await run_both_ways(client, world, monkeypatch, op_twice=False)
    assert through_one == 1  # the start; every answer went through the set path
    assert [r["status"] for r in results] == [
        "applied", "applied", "applied", "applied", "applied",
        "rejected", "rejected", "rejected", "applied",
    ]  # fmt: skip

    # A resend of the whole batch is duplicates only, with each op's first answer.
    inspector = await world.login(client, "inspector")
    again = await send(client, inspector, batch)
    assert [r["status"] for r in again] == ["duplicate"] * len(batch)
    assert [r.get("reason") for r in again][5:8] == [r.get("reason") for r in results][5:8]


async def test_an_op_id_twice_in_a_run_is_applied_once_and_answered_duplicate(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _batch, results, through_one = await run_both_ways(client, world, monkeypatch, op_twice=True)
    # The run was undone and taken one op at a time (all but the malformed op, refused before).
    assert through_one == len(results) - 1
    assert [r["status"] for r in results][-2:] == ["applied", "duplicate"]


async def team_lock_outcomes(inspection_id: uuid.UUID, principal: Any) -> tuple[Any, Any]:
    """What `_team_row` (the Piccolo query every op uses) and the run's own team lock (fixed SQL
    on PostgreSQL) give `principal` for one inspection: its status and checklist version, or
    the refusal's text."""

    async def outcome(read: Any) -> Any:
        try:
            async with db.write_transaction():
                row = await read
        except NotFound as error:
            return error.detail
        return (row["status"], row["checklist_version_id"])

    async def run_lock() -> Any:
        return (await inspection_service._team_row_for_answers(inspection_id, principal, [])).row

    columns = (Inspection.status, Inspection.checklist_version_id)
    return (
        await outcome(inspection_service._team_row(inspection_id, principal, columns=columns)),
        await outcome(run_lock()),
    )


@pytest.mark.parametrize("username", ["admin", "leader_d1", "head_c1", "head_d1", "inspector2"])
async def test_a_runs_team_lock_lets_in_whom_every_op_lets_in(
    client: httpx.AsyncClient, world: World, username: str
) -> None:
    """Each role's visibility rule, on a team or not, before the inspection starts and after:
    the run's lock refuses and admits exactly as `_team_row` does. (On SQLite the run's lock is
    `_team_row` itself; the comparison is PostgreSQL's fixed SQL against it.)"""
    inspection_id, _items = await assigned_inspection(client, world, unit="C1")
    inspection = uuid.UUID(inspection_id)
    principal = await user_service.load_principal(world.users[username], None)
    assert principal is not None
    seen = []
    not_on_team = await team_lock_outcomes(inspection, principal)
    seen.append(not_on_team)
    async with db.write_transaction():
        await InspectionMember.insert(
            InspectionMember(inspection_id=inspection, user_id=principal.user_id)
        )
    seen.append(await team_lock_outcomes(inspection, principal))
    # Not yet visible to its team: visible_to_team_from tomorrow.
    async with db.write_transaction():
        await Inspection.update(
            {Inspection.visible_to_team_from: datetime.now(UTC) + timedelta(days=1)}
        ).where(Inspection.id == inspection)
    seen.append(await team_lock_outcomes(inspection, principal))
    async with db.write_transaction():
        await Inspection.update({Inspection.started_at: datetime.now(UTC)}).where(
            Inspection.id == inspection
        )
    seen.append(await team_lock_outcomes(inspection, principal))
    for piccolo, fixed in seen:
        assert piccolo == fixed
    # Nobody off the team gets in; once started, everyone on it may answer.
    assert isinstance(not_on_team[0], str)
    assert not isinstance(seen[-1][0], str)
