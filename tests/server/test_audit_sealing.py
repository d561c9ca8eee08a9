"""Audit events are written without a lock and chained afterwards by a sealer.

What this must keep from the locked design: every change has its event (written in the change's
own transaction, so it commits or rolls back with it), and `spotcheck audit verify` still proves the
chain, also after concurrent load through two server processes. What it must gain: writers never
wait for one another on the audit log (on PostgreSQL; SQLite has one writer at a time anyway).
And what it must not lose: an event whose transaction commits after newer ones were chained.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.core import db
from server.core.audit import services as audit_service
from server.core.audit.tables import AuditEvent, AuditHead
from tests.conftest import World
from tests.helpers import (
    audited_answers,
    create_plan_for,
    now_iso,
    op,
    passing_answer,
    publish_shipped_checklist,
    start_op,
)
from tests.live_server import serving

pytestmark = pytest.mark.usefixtures("clean_database")

ACTOR = audit_service.Actor(id=None, label="kiemtra1 (inspector)")


async def write_event(name: str) -> None:
    await audit_service.record(
        actor=ACTOR, action="unit.updated", object_type="unit", object_id=name, summary={}
    )


async def chained_names() -> list[str]:
    rows = (
        await AuditEvent.select(AuditEvent.object_id)
        .where(AuditEvent.seq > 0)
        .order_by(AuditEvent.seq)
    )
    return [row["object_id"] for row in rows]


async def test_an_event_is_written_unchained_and_sealed_once() -> None:
    async with db.write_transaction():
        await write_event("a")
        await write_event("b")

    assert await chained_names() == []
    assert await AuditHead.count() == 0

    assert await audit_service.seal() == 2
    assert await audit_service.seal() == 0  # nothing twice

    assert await chained_names() == ["a", "b"]
    head = await AuditHead.select(AuditHead.seq).first()
    assert head == {"seq": 2}
    report = await audit_service.verify_chain()
    assert report.ok and report.rows_checked == 2, report


async def test_events_written_together_keep_their_order_and_transaction() -> None:
    """A sync batch writes its events with one insert (on PostgreSQL the transaction id and the
    provisional keys are drawn by the insert itself): they must come out as written, one
    transaction, with keys counting down in the order of writing, like events written one by
    one."""
    names = [f"many-{index:02d}" for index in range(12)]
    async with db.write_transaction():
        await write_event("first")
        await audit_service.record_many(
            actor=ACTOR,
            events=[audit_service.Event("unit.updated", "unit", name, {}) for name in names],
        )
        await write_event("last")
    async with db.write_transaction():
        await write_event("next transaction")

    rows = await AuditEvent.select(AuditEvent.object_id, AuditEvent.seq, AuditEvent.txid)
    by_name = {row["object_id"]: row for row in rows}
    written = ["first", *names, "last"]
    keys = [by_name[name]["seq"] for name in written]
    assert all(key < 0 for key in keys) and keys == sorted(keys, reverse=True), keys
    assert len({by_name[name]["txid"] for name in written}) == 1
    if db.is_postgres():
        assert by_name["first"]["txid"] > 0
        assert by_name["next transaction"]["txid"] > by_name["first"]["txid"]

    assert await audit_service.seal() == len(written) + 1
    assert await chained_names() == [*written, "next transaction"]
    report = await audit_service.verify_chain()
    assert report.ok, report


async def test_a_change_rolled_back_leaves_no_event() -> None:
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await write_event("rolled-back")
            raise RuntimeError("the change failed after its event was written")

    assert await AuditEvent.count() == 0
    assert await audit_service.seal() == 0


async def test_sealers_running_at_once_chain_each_event_once() -> None:
    for index in range(30):
        async with db.write_transaction():
            await write_event(f"e{index:02d}")

    counts = await asyncio.gather(*(audit_service.seal() for _ in range(4)))

    assert sum(counts) == 30
    assert await chained_names() == [f"e{index:02d}" for index in range(30)]
    report = await audit_service.verify_chain()
    assert report.ok and report.rows_checked == 30, report.problems


@contextlib.asynccontextmanager
async def left_open(name: str) -> AsyncIterator[None]:
    """A transaction that has written event `name` and stays open until the block ends."""
    wrote, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with db.write_transaction():
            await write_event(name)
            wrote.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait_for(wrote.wait(), timeout=10)
    try:
        yield
    finally:
        release.set()
        await holder


async def write_and_commit(name: str) -> None:
    async with db.write_transaction():
        await write_event(name)


@pytest.mark.postgres_only
async def test_writers_do_not_wait_for_each_other_on_the_audit_log() -> None:
    """A transaction that wrote an event and is still open does not hold up another writer (with
    the chain lock of old, the second waited until the first committed)."""
    async with left_open("slow"):
        await asyncio.wait_for(write_and_commit("quick"), timeout=5)

    await audit_service.seal()
    assert await chained_names() == ["slow", "quick"]  # by transaction id: who wrote first


@pytest.mark.postgres_only
async def test_an_event_committed_late_is_chained_after_the_newer_ones_and_never_lost() -> None:
    """Transactions commit in any order: an event written first but committed last is not yet
    visible when the newer one is chained, and is chained by the next sealing, after it."""
    async with left_open("older"):
        await write_and_commit("newer")

        assert await audit_service.seal() == 1
        report = await audit_service.verify_chain()
        assert report.ok and report.rows_checked == 1, report

    assert await audit_service.seal() == 1
    assert await chained_names() == ["newer", "older"]
    report = await audit_service.verify_chain()
    assert report.ok and report.rows_checked == 2, report


# --- Under load, through two server processes ------------------------------------------------------

PHONES_PER_SERVER = 3
BATCHES_PER_PHONE = 4


async def phone(
    base_url: str, token: str, inspection_id: str, items: list[Any], device: str
) -> Counter[str]:
    """Batches of answers to every item, again and again, each answer newer than the last."""
    statuses: Counter[str] = Counter()
    headers = {"Authorization": token}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as remote:
        for _ in range(BATCHES_PER_PHONE):
            ops = [
                op(
                    "answer",
                    inspection_id=inspection_id,
                    item_key=item.key,
                    device_time=now_iso(),
                    **passing_answer(item),
                )
                for item in items
            ]
            response = await remote.post(
                "/mobile/v1/sync",
                json={"device_id": device, "sent_at": now_iso(), "ops": ops},
                headers=headers,
            )
            assert response.status_code == 200, response.text
            for result in response.json()["results"]:
                # "recorded", or applied but kept out by a newer answer from another phone.
                statuses[result["status"]] += 1
                statuses["recorded"] += "recorded" in (result.get("result") or {})
    return statuses


async def wait_until_sealed(seconds: float) -> None:
    """The servers' own sealers chain everything: nobody here calls seal()."""
    deadline = asyncio.get_running_loop().time() + seconds
    while await AuditEvent.exists().where(AuditEvent.seq < 0):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"events still unchained after {seconds:.0f} s")
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_the_chain_verifies_after_concurrent_syncs_through_two_server_processes(
    client: httpx.AsyncClient,
    world: World,
    database_url: str,
    tmp_path: Path,
) -> None:
    plans = [await create_plan_for(client, world, unit) for unit in ("C1", "C1-SC", "C2")]
    inspection_ids = [str(plan["targets"][0]["inspection_id"]) for plan in plans]
    _, template = await publish_shipped_checklist()
    items = [
        item
        for _section, item in template.items()
        if item.answer_type not in ("photo", "signature") and not item.show_if
    ][:20]
    inspector = await world.login(client, "inspector")  # the same secret: valid on the servers
    for inspection_id in inspection_ids:
        started = await client.post(
            "/mobile/v1/sync",
            json={"device_id": "setup", "sent_at": now_iso(), "ops": [start_op(inspection_id)]},
            headers=inspector,
        )
        assert started.json()["results"][0]["status"] == "applied", started.text
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()

    with (
        serving(database_url, tmp_path / "one") as one,
        serving(database_url, tmp_path / "two") as two,
    ):
        phones = [
            phone(
                server.url,
                inspector["Authorization"],
                inspection_ids[index % len(inspection_ids)],
                items,
                f"{name}-{index}",
            )
            for name, server in (("one", one), ("two", two))
            for index in range(PHONES_PER_SERVER)
        ]
        statuses = sum(await asyncio.gather(*phones), Counter())
        await wait_until_sealed(seconds=20)

    answers_sent = 2 * PHONES_PER_SERVER * BATCHES_PER_PHONE * len(items)
    assert statuses["applied"] == answers_sent
    assert statuses["recorded"] > answers_sent // 2
    events = Counter(row["action"] for row in await AuditEvent.select(AuditEvent.action))
    assert len(await audited_answers()) == statuses["recorded"]
    # One event per batch and inspection, not one per answer.
    assert events["inspection.answers_recorded"] <= 2 * PHONES_PER_SERVER * BATCHES_PER_PHONE
    report = await audit_service.verify_chain()
    assert report.ok, report.problems
    assert report.rows_checked == await AuditEvent.count()
    assert report.head_seq == report.rows_checked
