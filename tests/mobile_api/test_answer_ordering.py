"""Answers are last-writer-wins by device time, both times kept; a skewed device clock (measured
on the batch's `sent_at`) is not trusted for ordering (the server's receipt time is used), while
answers made offline long ago on a right clock keep their order."""

from __future__ import annotations

from datetime import timedelta

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
