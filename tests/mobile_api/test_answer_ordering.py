"""Answers are last-writer-wins by device time, both times kept; a skewed device clock (measured
on the batch's `sent_at`) is not trusted for ordering (the server's receipt time is used), while
answers made offline long ago on a right clock keep their order."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import asyncpg
import pytest

from tests.conftest import World
from tests.helpers import create_plan_for, now_iso, op, sync


async def started_inspection(client, world: World) -> tuple[str, dict[str, str]]:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    (started,) = await sync(
        client,
        inspector,
        [
            op(
                "start",
                inspection_id=inspection_id,
                device_time=now_iso(),
                latitude=20.25,
                longitude=106.2,
            )
        ],
    )
    assert started["status"] == "applied"
    return inspection_id, inspector


async def answer_of(client, headers, inspection_id: str, item_key: str) -> dict:
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=headers)).json()
    return next(answer for answer in detail["answers"] if answer["item_key"] == item_key)


async def test_an_older_answer_arriving_late_does_not_overwrite_a_newer_one(
    client, world: World
) -> None:
    inspection_id, inspector = await started_inspection(client, world)
    newer = op(
        "answer", inspection_id=inspection_id, item_key="A4", value="no", device_time=now_iso()
    )
    older = op(
        "answer",
        inspection_id=inspection_id,
        item_key="A4",
        value="yes",
        # recorded two minutes earlier on another phone, synced later
        device_time=now_iso(-timedelta(minutes=2)),
    )
    results = await sync(client, inspector, [newer, older])
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[1]["result"] == {"kept": "newer answer already recorded", "item_key": "A4"}
    answer = await answer_of(client, inspector, inspection_id, "A4")
    assert answer["value"]["value"] == "no"
    assert answer["device_time"] != answer["received_at"]  # both times kept


async def test_a_skewed_device_clock_does_not_win_by_claiming_the_future(
    client, world: World
) -> None:
    inspection_id, inspector = await started_inspection(client, world)
    # A phone whose clock is 3 hours ahead answers first ...
    future = op(
        "answer",
        inspection_id=inspection_id,
        item_key="A4",
        value="no",
        device_time=now_iso(timedelta(hours=3)),
    )
    await sync(client, inspector, [future], clock=timedelta(hours=3))
    # ... then a phone with a correct clock answers after that reached the server.
    honest = op(
        "answer", inspection_id=inspection_id, item_key="A4", value="yes", device_time=now_iso()
    )
    await sync(client, inspector, [honest])
    answer = await answer_of(client, inspector, inspection_id, "A4")
    # The skewed answer was ordered by its receipt time, so the later honest answer stands.
    assert answer["value"]["value"] == "yes"


async def test_answers_made_offline_hours_ago_keep_their_order_and_no_clock_is_blamed(
    client, world: World
) -> None:
    """A whole visit done offline and sent hours later: the phone's clock is right (its batch
    says so), so the edits apply in the order they were made, and the start is not flagged."""
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    ops = [
        op(
            "start",
            inspection_id=inspection_id,
            device_time=now_iso(-timedelta(hours=3)),
            latitude=20.25,
            longitude=106.2,
        ),
        # first the answer with a photo-less note ...
        op(
            "answer",
            inspection_id=inspection_id,
            item_key="A4",
            value="no",
            device_time=now_iso(-timedelta(hours=2, minutes=50)),
        ),
        # ... then, just before the network came back, the same item with its note
        op(
            "answer",
            inspection_id=inspection_id,
            item_key="A4",
            value="no",
            note="Ghi chú thêm sau",
            device_time=now_iso(-timedelta(minutes=1)),
        ),
    ]
    results = await sync(client, inspector, ops)
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    assert "clock_skew" not in results[0]["result"]["flags"]
    assert "kept" not in results[2]["result"]
    answer = await answer_of(client, inspector, inspection_id, "A4")
    assert answer["note"] == "Ghi chú thêm sau"


@pytest.mark.postgres_only
async def test_a_run_that_waited_for_the_lock_sees_the_answer_committed_meanwhile(
    client, world: World, database_url: str
) -> None:
    """A run reads its items' answer times in the statement that locks the inspection; that
    statement's snapshot is older than the lock when it had to wait. A newer answer committed by
    the holder meanwhile must still win over the run's older ones."""
    inspection_id, inspector = await started_inspection(client, world)
    first = op(
        "answer",
        inspection_id=inspection_id,
        item_key="A4",
        value="yes",
        device_time=now_iso(-timedelta(minutes=10)),
    )
    await sync(client, inspector, [first])
    holder = await asyncpg.connect(database_url)
    try:
        # Another writer (a second phone's batch) locks the inspection, records a newer answer
        # and touches the inspection, as record_answers does, and commits while the run waits.
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(
            "SELECT 1 FROM inspection WHERE id = $1 FOR UPDATE", uuid.UUID(inspection_id)
        )
        await holder.execute(
            "UPDATE inspection_answer SET value = $2, ordering_time = now() "
            "WHERE inspection_id = $1 AND item_key = 'A4'",
            uuid.UUID(inspection_id),
            json.dumps({"value": "no", "numerator": None, "denominator": None}),
        )
        await holder.execute(
            "UPDATE inspection SET updated_at = now() WHERE id = $1", uuid.UUID(inspection_id)
        )
        older = [
            op(
                "answer",
                inspection_id=inspection_id,
                item_key="A4",
                value="yes",
                device_time=now_iso(-timedelta(minutes=minutes)),
            )
            for minutes in (2, 1)
        ]
        run = asyncio.create_task(sync(client, inspector, older))
        for _ in range(200):  # until the run waits for the holder's lock
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert waiting, "the run never waited for the lock"
        await transaction.commit()
        results = await asyncio.wait_for(run, 30)
    finally:
        await holder.close()
    assert [r["result"] for r in results] == [
        {"kept": "newer answer already recorded", "item_key": "A4"}
    ] * 2
    assert (await answer_of(client, inspector, inspection_id, "A4"))["value"]["value"] == "no"
