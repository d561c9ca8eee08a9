"""`db.read_together`: independent reads run at once outside a transaction (a report's
aggregates side by side), in order inside one (its single connection runs one statement at a
time), and a failure is raised as it is, with the other reads cancelled."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from server.core import db
from server.core.errors import NotFound
from server.units.tables import Unit


async def test_reads_outside_a_transaction_run_at_once(client: httpx.AsyncClient) -> None:
    # Each read waits for the other to have started: in order, the first would wait forever.
    started = [asyncio.Event(), asyncio.Event()]

    async def read(mine: int) -> int:
        started[mine].set()
        await asyncio.wait_for(started[1 - mine].wait(), timeout=5)
        return await Unit.count()

    first, second = await db.read_together(read(0), read(1))

    assert first == second == await Unit.count()


async def test_reads_inside_a_transaction_run_in_order_on_its_connection(
    client: httpx.AsyncClient,
) -> None:
    order: list[str] = []

    async def read(name: str) -> int:
        order.append(f"{name} starts")
        count = await Unit.count()
        await asyncio.sleep(0)
        order.append(f"{name} ends")
        return count

    async with db.write_transaction():
        # Real statements on the transaction's one connection: at once, asyncpg would refuse
        # the second ("another operation is in progress").
        counts = await db.read_together(read("a"), read("b"))

    assert order == ["a starts", "a ends", "b starts", "b ends"]
    assert counts[0] == counts[1]


async def test_a_failing_read_is_raised_as_it_is_and_the_others_are_cancelled(
    client: httpx.AsyncClient,
) -> None:
    cancelled = asyncio.Event()

    async def slow() -> int:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    async def failing() -> int:
        await asyncio.sleep(0)
        raise NotFound("no such unit")

    with pytest.raises(NotFound, match="no such unit"):
        await db.read_together(slow(), failing())
    await asyncio.wait_for(cancelled.wait(), timeout=5)


async def test_a_failure_is_raised_only_once_the_others_have_stopped(
    client: httpx.AsyncClient,
) -> None:
    stopped: list[str] = []

    async def slow_to_stop() -> int:
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0.05)  # giving its connection back takes a moment
            stopped.append("slow")
        return 0

    async def failing() -> int:
        await asyncio.sleep(0)
        raise NotFound("no such unit")

    with pytest.raises(NotFound):
        await db.read_together(slow_to_stop(), failing())
    assert stopped == ["slow"]


async def test_inside_a_transaction_the_reads_after_a_failure_are_never_started(
    client: httpx.AsyncClient,
) -> None:
    started: list[str] = []

    async def failing() -> int:
        started.append("failing")
        raise NotFound("no such unit")

    async def later() -> int:
        started.append("later")
        return 0

    never = later()
    with pytest.raises(NotFound):
        async with db.write_transaction():
            await db.read_together(failing(), never)
    assert started == ["failing"]
    assert never.cr_frame is None  # closed, not left to warn that it was never awaited


async def test_at_most_the_side_connections_run_beside_the_caller_and_the_rest_after(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    side = db._SideConnections(limit=2)
    monkeypatch.setattr(db, "_side_connections", side)
    running = 0
    most = 0

    async def read(number: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        count = await Unit.count()
        running -= 1
        return number * 1000 + count

    units = await Unit.count()
    results = await db.read_together(*(read(number) for number in range(5)))

    assert results == tuple(number * 1000 + units for number in range(5))  # in the reads' order
    assert most == 3  # the caller's own and two beside it
    assert side.in_use == 0


async def test_nested_reads_finish_when_no_side_connection_is_left(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outer call takes the only slot; the inner ones find none and run in order rather than
    wait for one that its own caller holds."""
    side = db._SideConnections(limit=1)
    monkeypatch.setattr(db, "_side_connections", side)

    async def inner(name: str) -> list[str]:
        first, second = await db.read_together(leaf(f"{name}.1"), leaf(f"{name}.2"))
        return [first, second]

    async def leaf(name: str) -> str:
        await Unit.count()
        return name

    outer = await asyncio.wait_for(db.read_together(inner("a"), inner("b")), timeout=10)

    assert outer == (["a.1", "a.2"], ["b.1", "b.2"])
    assert side.in_use == 0


async def test_a_failure_among_the_reads_run_after_closes_those_not_started(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    side = db._SideConnections(limit=0)
    monkeypatch.setattr(db, "_side_connections", side)
    started: list[str] = []

    async def read(name: str) -> int:
        started.append(name)
        if name == "second":
            raise NotFound("no such unit")
        return await Unit.count()

    never = read("third")
    with pytest.raises(NotFound):
        await db.read_together(read("first"), read("second"), never)
    assert started == ["first", "second"]
    assert never.cr_frame is None
    assert side.in_use == 0
