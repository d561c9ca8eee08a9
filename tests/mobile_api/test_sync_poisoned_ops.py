"""One op never fails a sync batch: whatever goes wrong while applying it (dates the database or the
time-zone arithmetic cannot hold, a bug in a handler) becomes that op's `rejected`, recorded like
any rejection, and the ops after it are applied. Only a database that is gone stops the batch, so
the phone retries later; the ops applied before it are then duplicates, so nothing is lost."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mobile_api import services as sync_service
from mobile_api.schemas import OpType
from mobile_api.tables import SyncOperation
from server.inspections.tables import Answer, Inspection
from tests.conftest import World, problem_detail
from tests.helpers import (
    create_plan_for,
    now_iso,
    op,
    passing_answer,
    publish_shipped_checklist,
    start_op,
)

# Far outside 2000..2100 and, with these offsets, outside what a UTC datetime can even hold.
YEAR_ONE = "0001-01-01T00:00:00+07:00"
YEAR_9999 = "9999-12-31T23:59:59-07:00"


async def assigned_inspection(
    client: httpx.AsyncClient, world: World, unit: str = "C1"
) -> tuple[str, list[Any]]:
    """A plan for `unit` assigned to `inspector`; returns (inspection id, answerable items)."""
    plan = await create_plan_for(client, world, unit)
    _version_id, template = await publish_shipped_checklist()
    items = [
        item
        for _section, item in template.items()
        if item.answer_type not in ("photo", "signature")
    ]
    return str(plan["targets"][0]["inspection_id"]), items


def answer_op(inspection_id: str, item: Any, device_time: str | None = None) -> dict[str, Any]:
    return op(
        "answer",
        inspection_id=inspection_id,
        item_key=item.key,
        device_time=device_time or now_iso(),
        **passing_answer(item),
    )


async def post_batch(
    client: httpx.AsyncClient, headers: dict[str, str], ops: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-1", "sent_at": now_iso(), "ops": ops},
        headers=headers,
    )


async def send(
    client: httpx.AsyncClient, headers: dict[str, str], ops: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    response = await post_batch(client, headers, ops)
    assert response.status_code == 200, response.text
    results = list(response.json()["results"])
    assert [result["op_id"] for result in results] == [entry["op_id"] for entry in ops]
    return results


async def answered_items(inspection_id: str) -> set[str]:
    rows = await Answer.select(Answer.item_key).where(
        Answer.inspection_id == uuid.UUID(inspection_id)
    )
    return {row["item_key"] for row in rows}


async def recorded_status(op_id: str) -> str | None:
    row = (
        await SyncOperation.select(SyncOperation.status)
        .where(SyncOperation.op_id == uuid.UUID(op_id))
        .first()
    )
    return None if row is None else str(row["status"])


@pytest.mark.parametrize("device_time", [YEAR_ONE, YEAR_9999], ids=["year-1", "year-9999"])
async def test_an_answer_dated_outside_the_sane_range_is_rejected_and_the_next_ops_apply(
    client: httpx.AsyncClient, world: World, device_time: str
) -> None:
    inspection_id, items = await assigned_inspection(client, world)
    inspector = await world.login(client, "inspector")
    batch = [
        start_op(inspection_id),
        answer_op(inspection_id, items[0], device_time),
        answer_op(inspection_id, items[1]),
    ]

    results = await send(client, inspector, batch)

    assert [result["status"] for result in results] == ["applied", "rejected", "applied"]
    assert "device_time" in results[1]["reason"]
    assert "2000-01-01" in results[1]["reason"] and "2100-12-31" in results[1]["reason"]
    assert await answered_items(inspection_id) == {items[1].key}
    # Recorded like any rejection: a replay answers the same, and applies nothing.
    assert await recorded_status(batch[1]["op_id"]) == "rejected"
    again = await send(client, inspector, batch)
    assert [result["status"] for result in again] == ["duplicate"] * 3
    assert again[1]["reason"] == results[1]["reason"]
    assert again[1]["result"] == {"first_status": "rejected"}


async def test_a_sent_at_outside_the_sane_range_refuses_the_batch_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, items = await assigned_inspection(client, world)
    inspector = await world.login(client, "inspector")
    batch = [start_op(inspection_id), answer_op(inspection_id, items[0])]

    for sent_at in (YEAR_ONE, YEAR_9999):
        response = await client.post(
            "/mobile/v1/sync",
            json={"device_id": "phone-1", "sent_at": sent_at, "ops": batch},
            headers=inspector,
        )
        assert response.status_code == 422, response.text
        detail = problem_detail(response)
        assert "sent_at" in detail and "2000-01-01" in detail

    assert await SyncOperation.count() == 0
    assert await answered_items(inspection_id) == set()


async def test_a_stored_window_ending_in_9999_rejects_the_start_and_the_batch_goes_on(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A window the time arithmetic cannot extend (a row written before dates were bounded)."""
    inspection_id, items = await assigned_inspection(client, world)
    other_id, _ = await assigned_inspection(client, world, "C2")
    await Inspection.update(
        {Inspection.window_end: datetime(9999, 12, 31, 23, 0, tzinfo=UTC)}
    ).where(Inspection.id == uuid.UUID(inspection_id))
    inspector = await world.login(client, "inspector")
    batch = [start_op(inspection_id), start_op(other_id), answer_op(other_id, items[0])]

    with caplog.at_level(logging.ERROR, logger="mobile_api.services"):
        results = await send(client, inspector, batch)

    assert [result["status"] for result in results] == ["rejected", "applied", "applied"]
    reason = results[0]["reason"]
    assert "could not apply" in reason and "unchanged" in reason
    assert "Overflow" not in reason and "Traceback" not in reason
    assert await recorded_status(batch[0]["op_id"]) == "rejected"
    assert any(record.exc_info for record in caplog.records), "the traceback is logged"
    status = await Inspection.select(Inspection.status).where(
        Inspection.id == uuid.UUID(inspection_id)
    )
    assert status[0]["status"] == "planned"


async def test_an_unexpected_error_in_one_op_is_rejected_logged_and_the_next_ops_apply(
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inspection_id, items = await assigned_inspection(client, world)
    inspector = await world.login(client, "inspector")
    model, real_answer = sync_service.HANDLERS[OpType.answer]
    poisoned_key = items[1].key

    async def answer_with_a_bug(payload: Any, *args: Any) -> dict[str, Any]:
        result = await real_answer(payload, *args)  # written, then the bug: must be rolled back
        if payload.item_key == poisoned_key:
            raise RuntimeError("secret internals: /srv/spotcheck/table_xyz")
        return result

    monkeypatch.setitem(sync_service.HANDLERS, OpType.answer, (model, answer_with_a_bug))
    batch = [
        start_op(inspection_id),
        answer_op(inspection_id, items[0]),
        answer_op(inspection_id, items[1]),
        answer_op(inspection_id, items[2]),
    ]

    with caplog.at_level(logging.ERROR, logger="mobile_api.services"):
        results = await send(client, inspector, batch)

    assert [result["status"] for result in results] == ["applied", "applied", "rejected", "applied"]
    reason = results[2]["reason"]
    assert "could not apply" in reason and "unchanged" in reason
    assert "secret" not in reason and "RuntimeError" not in reason
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and "secret internals" in str(logged[0].exc_info[1])  # type: ignore[index]
    # Only the poisoned op's transaction was rolled back.
    assert await answered_items(inspection_id) == {items[0].key, items[2].key}
    assert await recorded_status(batch[2]["op_id"]) == "rejected"
    replay = await send(client, inspector, batch)
    assert [result["status"] for result in replay] == ["duplicate"] * 4
    assert replay[2]["reason"] == reason


async def test_a_lost_database_stops_the_batch_and_a_retry_loses_nothing(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspection_id, items = await assigned_inspection(client, world)
    inspector = await world.login(client, "inspector")
    model, real_answer = sync_service.HANDLERS[OpType.answer]
    failing = {items[1].key}

    async def answer_while_the_database_goes(payload: Any, *args: Any) -> dict[str, Any]:
        if payload.item_key in failing:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        return await real_answer(payload, *args)

    monkeypatch.setitem(
        sync_service.HANDLERS, OpType.answer, (model, answer_while_the_database_goes)
    )
    batch = [
        start_op(inspection_id),
        answer_op(inspection_id, items[0]),
        answer_op(inspection_id, items[1]),
        answer_op(inspection_id, items[2]),
    ]

    response = await post_batch(client, inspector, batch)

    assert response.status_code in (500, 503), response.text
    detail = problem_detail(response)
    assert await answered_items(inspection_id) == {items[0].key}
    assert await recorded_status(batch[2]["op_id"]) is None, "not recorded as rejected"
    assert await recorded_status(batch[3]["op_id"]) is None, "the batch stopped"

    failing.clear()  # the database is back: the phone resends the same batch
    results = await send(client, inspector, batch)
    assert [result["status"] for result in results] == [
        "duplicate",
        "duplicate",
        "applied",
        "applied",
    ]
    assert await answered_items(inspection_id) == {item.key for item in items[:3]}
    # The first try did save something: its answer must not tell the phone otherwise.
    assert "Nothing was saved" not in detail, detail
