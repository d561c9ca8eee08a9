"""A phone syncing through a network that breaks: a TCP proxy between a simulated phone and the real
server (uvicorn, in a process of its own, on this run's database) cuts connections at random,
seeded points: mid-request (the server never gets the whole batch), right after the whole request
was forwarded (the server may be applying it while the phone already retries), after the server
answered but before the phone hears a byte, and mid-response. The phone does what the app does:
it keeps every op until the server has answered for it and resends the same op_ids, in batches of
varying size. 600 ops, over about a hundred connections of which a third meet a fault, end
applied exactly once: none lost, none twice."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mobile_api.tables import SyncOperation
from server.core.audit.tables import AuditEvent
from server.inspections.tables import Answer, Finding, Inspection
from tests.conftest import World
from tests.helpers import (
    audited_answers,
    create_plan_for,
    now_iso,
    op,
    passing_answer,
    publish_shipped_checklist,
)
from tests.live_server import serving

# The proxy, the phone and the protocol are the same on both engines, and the races of one op
# with itself are proved on both by test_sync_idempotency. Each op costs the server a dozen round
# trips and a flushed commit, about twice as long on PostgreSQL, so this one runs on SQLite only,
# to keep the suite's time.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

# What is tried here is connections, not ops: each one draws its fault (and where it cuts) from
# the proxy's seeded generator, so the count and kinds of faults follow the number of requests.
# The batches are a fifth the size of the app's (20..40 of its 40) and the ops a fifth of the
# 2,000 this test once sent: the same ~100 connections meet the same seeded faults (a few of each
# kind, a hundred ops resent as duplicates) for a third of the server's work. The app's batch
# size is no part of the protocol (the server takes 1..200 ops alike).
TOTAL_OPS = 600
BATCH_SIZES = (6, 12)
INSPECTIONS = 3
SEED = 20_260_511
DEADLINE_SECONDS = 180  # the whole phone run, so a livelock fails instead of hanging

# Share of connections per fault; the rest pass untouched.
FAULTS = {
    "cut_mid_request": 0.08,
    "close_after_request": 0.08,
    "drop_response": 0.08,
    "cut_mid_response": 0.06,
}


# --- the server ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`spotcheck serve` (uvicorn over create_app) on a free port, on this run's database."""
    with serving(database_url, tmp_path_factory.mktemp("fault-proxy-server")) as server:
        yield server.url


# --- the proxy ----------------------------------------------------------------------------------


@dataclass
class FaultyProxy:
    """One HTTP request per connection (the phone keeps none alive); each connection passes or
    meets one fault, drawn from a seeded generator."""

    upstream_port: int
    rng: random.Random
    faults: Counter[str] = field(default_factory=Counter)
    connections: set[asyncio.Task[Any]] = field(default_factory=set)

    def draw(self) -> str:
        roll = self.rng.random()
        for name, share in FAULTS.items():
            if roll < share:
                return name
            roll -= share
        return "pass"

    async def finish(self) -> None:
        """Let the connections still open end (bounded), then stop what is left."""
        if self.connections:
            _, left = await asyncio.wait(set(self.connections), timeout=10)
            for task in left:
                task.cancel()

    async def handle(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        fault = self.draw()
        self.faults[fault] += 1
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        task.add_done_callback(self.connections.discard)
        upstream: asyncio.StreamWriter | None = None
        try:
            request = await _read_request(client_reader)
            upstream_reader, upstream = await asyncio.open_connection(
                "127.0.0.1", self.upstream_port
            )
            if fault == "cut_mid_request":
                # Anywhere before the last byte: in the head or in the body.
                upstream.write(request[: self.rng.randrange(1, len(request))])
                await upstream.drain()
                await asyncio.sleep(0.01)
                return
            upstream.write(request)
            await upstream.drain()
            if fault == "close_after_request":
                return  # the server has it all and may be applying it while the phone retries
            first = await upstream_reader.read(65536)
            if fault == "drop_response":
                return  # the server answered (so it committed); the phone never hears
            if fault == "cut_mid_response":
                client.write(first[: self.rng.randrange(0, max(1, len(first) - 1))])
                await client.drain()
                return
            client.write(first)
            while chunk := await upstream_reader.read(65536):
                client.write(chunk)
            await client.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in (client, upstream):
                if writer is not None:
                    writer.close()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head + await reader.readexactly(length)


# --- the phone ----------------------------------------------------------------------------------


@dataclass
class Phone:
    """Sends its queue in order, in batches of BATCH_SIZES; an op leaves the queue only once the server
    has answered for it (`applied` or `duplicate`); anything else is kept and resent as it is."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    rng: random.Random
    queue: list[dict[str, Any]]
    seen: Counter[str] = field(default_factory=Counter)
    refused: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0

    async def sync_all(self) -> None:
        pending = list(self.queue)
        while pending:
            batch = pending[: self.rng.randint(*BATCH_SIZES)]
            self.requests += 1
            try:
                response = await self.client.post(
                    "/mobile/v1/sync",
                    json={"device_id": "phone-fault", "sent_at": now_iso(), "ops": batch},
                    headers=self.headers,
                )
            except httpx.TransportError:
                self.seen["transport_error"] += 1
                continue  # the same ops, again
            if response.status_code != 200:
                self.seen[f"http_{response.status_code}"] += 1
                # Only "not now" answers are retried; a 500 here would be a bug to report.
                assert response.status_code in (429, 503), response.text
                await asyncio.sleep(0.05)
                continue
            results = response.json()["results"]
            assert [result["op_id"] for result in results] == [entry["op_id"] for entry in batch]
            for result in results:
                self.seen[result["status"]] += 1
                if result["status"] not in ("applied", "duplicate"):
                    self.refused.append(result)
            pending = pending[len(batch) :]


def build_ops(inspection_ids: list[str], items: list[Any]) -> list[dict[str, Any]]:
    """For each inspection its start and an answer to every item; findings for the rest,
    spread over the inspections, so the ops of the inspections interleave."""
    ops: list[dict[str, Any]] = []
    for inspection_id in inspection_ids:
        ops.append(
            op(
                "start",
                inspection_id=inspection_id,
                device_time=now_iso(),
                latitude=20.28,
                longitude=106.23,
            )
        )
        ops += [
            op(
                "answer",
                inspection_id=inspection_id,
                item_key=item.key,
                device_time=now_iso(),
                **passing_answer(item),
            )
            for item in items
        ]
    index = 0
    while len(ops) < TOTAL_OPS:
        ops.append(
            op(
                "finding",
                inspection_id=inspection_ids[index % len(inspection_ids)],
                finding_id=str(uuid.uuid4()),
                category="facilities",
                severity="minor",
                description=f"Phát hiện số {index}",
                device_time=now_iso(),
            )
        )
        index += 1
    return ops


async def assigned_inspections(client: httpx.AsyncClient, world: World) -> list[str]:
    units = ("C1", "C1-SC", "C2")[:INSPECTIONS]
    plans = [await create_plan_for(client, world, unit) for unit in units]
    return [str(plan["targets"][0]["inspection_id"]) for plan in plans]


async def test_ops_through_a_cutting_proxy_arrive_exactly_once(
    client: httpx.AsyncClient, world: World, live_api: str
) -> None:
    inspection_ids = await assigned_inspections(client, world)
    _, template = await publish_shipped_checklist()
    items = [
        item for _s, item in template.items() if item.answer_type not in ("photo", "signature")
    ]
    ops = build_ops(inspection_ids, items)
    assert len(ops) == TOTAL_OPS
    inspector = await world.login(client, "inspector")  # the same secret: valid on the server too

    proxy = FaultyProxy(upstream_port=int(live_api.rsplit(":", 1)[1]), rng=random.Random(SEED))
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    proxy_port = server.sockets[0].getsockname()[1]
    async with (
        server,
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{proxy_port}",
            timeout=20,
            headers={"Connection": "close"},  # one request per connection, through the proxy too
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as through_proxy,
    ):
        phone = Phone(through_proxy, inspector, random.Random(SEED + 1), ops)
        await asyncio.wait_for(phone.sync_all(), timeout=DEADLINE_SECONDS)
        await proxy.finish()
    # Every op has its record now, so a batch still running on the server behind a connection
    # the proxy closed can only find duplicates: what is counted below is final.

    assert phone.refused == [], phone.refused[:5]
    # The faults really happened, each kind many times, and lost answers were resent.
    assert all(proxy.faults[name] >= 3 for name in FAULTS), proxy.faults
    assert phone.seen["transport_error"] >= 10 and phone.seen["duplicate"] > 0, phone.seen

    # 0 lost, 0 twice: one op record per op, every one applied …
    records = await SyncOperation.select(SyncOperation.op_id, SyncOperation.status)
    assert len(records) == TOTAL_OPS
    assert {row["op_id"] for row in records} == {uuid.UUID(entry["op_id"]) for entry in ops}
    assert Counter(row["status"] for row in records) == {"applied": TOTAL_OPS}
    # … and each one's effect is there once: starts, answers (by the op that wrote them) and
    # findings (by the phone's ids), with one audit event per applied op.
    expected_findings = [
        entry["payload"]["finding_id"] for entry in ops if entry["type"] == "finding"
    ]
    findings = await Finding.select(Finding.id)
    assert sorted(str(row["id"]) for row in findings) == sorted(expected_findings)
    answers = await Answer.select(Answer.inspection_id, Answer.item_key, Answer.op_id)
    assert {(str(row["inspection_id"]), row["item_key"], str(row["op_id"])) for row in answers} == {
        (entry["payload"]["inspection_id"], entry["payload"]["item_key"], entry["op_id"])
        for entry in ops
        if entry["type"] == "answer"
    }
    assert len(answers) == INSPECTIONS * len(items)
    statuses = await Inspection.select(Inspection.status)
    assert [row["status"] for row in statuses] == ["in_progress"] * INSPECTIONS
    events = Counter(row["action"] for row in await AuditEvent.select(AuditEvent.action))
    assert events["inspection.started"] == INSPECTIONS
    assert await audited_answers() == sorted(
        (entry["payload"]["item_key"], entry["op_id"]) for entry in ops if entry["type"] == "answer"
    )
    assert events["finding.recorded"] == len(expected_findings)
