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
