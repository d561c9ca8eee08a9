"""The sync protocol is idempotent by op_id: replays (even racing ones) apply nothing twice, a reused
op_id with another payload is a conflict, a lost response can be resent safely, and a rejected op
neither undoes the ops before it nor gets a second chance on replay."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from mobile_api.tables import SyncOperation
from server.core.audit.tables import AuditEvent
from server.inspections.tables import Answer, Finding, Inspection
from tests import helpers
from tests.conftest import World
from tests.helpers import (
    now_iso,
    op,
    passing_answer,
    plan_payload,
    publish_shipped_checklist,
)

ANSWERED_ITEMS = 6  # enough to see duplicates, few enough to stay fast


async def login(client: httpx.AsyncClient, world: World, name: str) -> dict[str, str]:
    """Log in once per user and test: Argon2 makes every login cost real time."""
    cache: dict[str, dict[str, str]] = world.__dict__.setdefault("_headers", {})
    if name not in cache:
        cache[name] = await world.login(client, name)
    return cache[name]


async def assigned_inspection(client: httpx.AsyncClient, world: World) -> tuple[str, Any]:
    """A plan with one target (C1) assigned to `inspector`; returns (inspection id, template)."""
    version_id, template = await publish_shipped_checklist()
    leader = await login(client, world, "leader_d1")
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        targets=[world.units["C1"]],
    )
    response = await client.post("/api/v1/plans", json=body, headers=leader)
    assert response.status_code == 201, response.text
    return str(response.json()["targets"][0]["inspection_id"]), template


def start_op(inspection_id: str) -> dict[str, Any]:
    return helpers.start_op(inspection_id, accuracy_m=15)


def answer_ops(template: Any, inspection_id: str, count: int) -> list[dict[str, Any]]:
    items = [
        item
        for _section, item in template.items()
        if item.answer_type not in ("photo", "signature")
    ]
    return [
        op(
            "answer",
            inspection_id=inspection_id,
            item_key=item.key,
            note="Quan sát tại quầy",
            device_time=now_iso(),
            **passing_answer(item),
        )
        for item in items[:count]
    ]


def finding_op(inspection_id: str) -> dict[str, Any]:
    return op(
        "finding",
        inspection_id=inspection_id,
        finding_id=str(uuid.uuid4()),
        category="discipline",
        severity="major",
        description="Cán bộ tiếp nhận không đeo thẻ công chức",
        staff_name="Nguyễn Văn A",
        device_time=now_iso(),
    )


async def send(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    ops: list[dict[str, Any]],
    device_id: str = "phone-1",
) -> list[dict[str, Any]]:
    response = await client.post(
        "/mobile/v1/sync",
        json={"device_id": device_id, "sent_at": now_iso(), "ops": ops},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["op_id"] for result in results] == [entry["op_id"] for entry in ops]
    return results


async def audit_actions(inspection_id: str) -> Counter[str]:
    rows = await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_id == inspection_id)
    return Counter(row["action"] for row in rows)


async def stored_answers(inspection_id: str) -> dict[str, dict[str, Any]]:
    rows = (
        await Answer.select()
        .where(Answer.inspection_id == uuid.UUID(inspection_id))
        .output(load_json=True)
    )
    keys = [row["item_key"] for row in rows]
    assert len(keys) == len(set(keys)), f"an item has more than one answer row: {keys}"
    return {row["item_key"]: row for row in rows}


async def test_same_batch_five_times_some_racing_applies_everything_exactly_once(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, template = await assigned_inspection(client, world)
    inspector = await login(client, world, "inspector")
    batch = [
        start_op(inspection_id),
        *answer_ops(template, inspection_id, ANSWERED_ITEMS),
        finding_op(inspection_id),
    ]

    racing = await asyncio.gather(*(send(client, inspector, batch) for _ in range(3)))
    later = [await send(client, inspector, batch) for _ in range(2)]
    sends = [*racing, *later]

    for index, sent in enumerate(batch):
        results = [results[index] for results in sends]
        statuses = Counter(result["status"] for result in results)
        assert statuses == {"applied": 1, "duplicate": 4}, (sent["type"], results)
        first = next(result for result in results if result["status"] == "applied")
        for result in results:
            if result["status"] == "duplicate":
                # The first result replayed, marked with how it went the first time.
                assert result["result"] == {"first_status": "applied", **first["result"]}
    # The two sequential resends come after everything was applied: all duplicates.
    for results in later:
        assert {result["status"] for result in results} == {"duplicate"}

    op_ids = [uuid.UUID(entry["op_id"]) for entry in batch]
    operations = await SyncOperation.select().where(SyncOperation.op_id.is_in(op_ids))
    assert sorted(row["op_id"] for row in operations) == sorted(op_ids)
    assert {row["status"] for row in operations} == {"applied"}

    answers = await stored_answers(inspection_id)
    assert set(answers) == {entry["payload"]["item_key"] for entry in batch[1:-1]}
    assert await Finding.count().where(Finding.inspection_id == uuid.UUID(inspection_id)) == 1
    actions = await audit_actions(inspection_id)
    # One event per batch that recorded answers: one of the racing sends, or more than one when
    # their claims interleaved; between them, each answer once.
    assert 1 <= actions.pop("inspection.answers_recorded") <= 3
    assert actions == {"inspection.started": 1, "finding.recorded": 1}
    assert await helpers.audited_answers(inspection_id) == sorted(
        (entry["payload"]["item_key"], entry["op_id"])
        for entry in batch
        if entry["type"] == "answer"
    )

    # What a leader reads: started once, at the moment the one applied start was received.
    leader = await login(client, world, "leader_d1")
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=leader)).json()
    assert detail["status"] == "in_progress"
    assert len(detail["answers"]) == ANSWERED_ITEMS
    assert [finding["id"] for finding in detail["findings"]] == [batch[-1]["payload"]["finding_id"]]
    started = (
        await Inspection.select(Inspection.started_at)
        .where(Inspection.id == uuid.UUID(inspection_id))
        .first()
    )
    start_claim = (
        await SyncOperation.select(SyncOperation.received_at)
        .where(SyncOperation.op_id == uuid.UUID(batch[0]["op_id"]))
        .first()
    )
    assert started is not None and start_claim is not None
    assert aware(started["started_at"]) == aware(start_claim["received_at"])


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_same_op_id_with_another_payload_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, template = await assigned_inspection(client, world)
    inspector = await login(client, world, "inspector")
    answer = answer_ops(template, inspection_id, 1)[0]
    applied = await send(client, inspector, [start_op(inspection_id), answer])
    assert [result["status"] for result in applied] == ["applied", "applied"]
    before = await stored_answers(inspection_id)

    changed = copy.deepcopy(answer)
    changed["payload"]["note"] = "Ghi chú đã sửa"
    conflict = (await send(client, inspector, [changed]))[0]
    assert conflict["status"] == "conflict"
    assert "new op_id" in conflict["reason"]

    # Another user reusing the op_id (even with the same payload) does not get its result.
    other = await login(client, world, "inspector2")
    stolen = (await send(client, other, [answer], device_id="phone-2"))[0]
    assert stolen["status"] == "conflict"
    assert stolen["result"] is None

    after = await stored_answers(inspection_id)
    assert after[answer["payload"]["item_key"]]["note"] == "Quan sát tại quầy"
    assert after == before
    assert await SyncOperation.count().where(SyncOperation.op_id == uuid.UUID(answer["op_id"])) == 1
    # The original still replays as a duplicate.
    again = (await send(client, inspector, [answer]))[0]
    assert again["status"] == "duplicate"
    assert again["result"] == {"first_status": "applied", **applied[1]["result"]}


async def test_batch_whose_response_was_lost_is_resent_with_new_ops(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, template = await assigned_inspection(client, world)
    inspector = await login(client, world, "inspector")
    answers = answer_ops(template, inspection_id, 4)
    first_batch = [start_op(inspection_id), *answers[:2]]
    await send(client, inspector, first_batch)  # the phone lost the connection: never read

    second_batch = [*first_batch, *answers[2:], finding_op(inspection_id)]
    results = await send(client, inspector, second_batch)

    assert [result["status"] for result in results] == ["duplicate"] * 3 + ["applied"] * 3
    assert all(result["result"]["first_status"] == "applied" for result in results[:3])
    assert set(await stored_answers(inspection_id)) == {
        entry["payload"]["item_key"] for entry in answers
    }
    assert await Finding.count().where(Finding.inspection_id == uuid.UUID(inspection_id)) == 1
    assert await audit_actions(inspection_id) == {
        "inspection.started": 1,
        "inspection.answers_recorded": 2,  # one per batch
        "finding.recorded": 1,
    }
    assert await helpers.audited_answers(inspection_id) == sorted(
        (entry["payload"]["item_key"], entry["op_id"]) for entry in answers
    )
    assert await SyncOperation.count().where(
        SyncOperation.op_id.is_in([uuid.UUID(entry["op_id"]) for entry in second_batch])
    ) == len(second_batch)


async def test_rejected_op_keeps_earlier_ops_and_replays_as_rejected(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, template = await assigned_inspection(client, world)
    inspector = await login(client, world, "inspector")
    good_before, good_after = answer_ops(template, inspection_id, 2)
    unknown_item = op(
        "answer",
        inspection_id=inspection_id,
        item_key="Z99",
        value="yes",
        device_time=now_iso(),
    )
    malformed = op("answer", inspection_id=inspection_id, item_key="A4", value="yes")
    batch = [start_op(inspection_id), good_before, unknown_item, malformed, good_after]

    results = await send(client, inspector, batch)

    assert [result["status"] for result in results] == [
        "applied",
        "applied",
        "rejected",
        "rejected",
        "applied",
    ]
    assert "Z99" in results[2]["reason"] and "no such item" in results[2]["reason"]
    assert "device_time" in results[3]["reason"]
    answers = await stored_answers(inspection_id)
    assert set(answers) == {good_before["payload"]["item_key"], good_after["payload"]["item_key"]}
    leader = await login(client, world, "leader_d1")
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=leader)).json()
    assert detail["status"] == "in_progress"

    replay = await send(client, inspector, batch)
    assert [result["status"] for result in replay] == ["duplicate"] * len(batch)
    for first, again in zip(results, replay, strict=True):
        assert again["result"]["first_status"] == first["status"]
        if first["status"] == "rejected":
            assert again["reason"] == first["reason"]
            assert again["result"] == {"first_status": "rejected"}
    rejected_rows = await SyncOperation.select(SyncOperation.status).where(
        SyncOperation.op_id.is_in([uuid.UUID(unknown_item["op_id"]), uuid.UUID(malformed["op_id"])])
    )
    assert [row["status"] for row in rejected_rows] == ["rejected", "rejected"]
    assert set(await stored_answers(inspection_id)) == set(answers)
