"""Each API process hands freed memory back to the system every so often (server/core/memory.py)."""

from __future__ import annotations

import asyncio
import platform

import pytest

from server.core import memory


async def test_trims_on_each_interval_until_stopped() -> None:
    calls: list[int] = []
    stop = asyncio.Event()
    task = asyncio.create_task(memory.keep_trimming(0.01, stop, trim=lambda: calls.append(1)))
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, timeout=1)
    trimmed = len(calls)

    await asyncio.sleep(0.05)

    assert trimmed >= 2
    assert len(calls) == trimmed  # nothing after the stop


async def test_stops_at_once_when_asked_between_two_trims() -> None:
    calls: list[int] = []
    stop = asyncio.Event()
    task = asyncio.create_task(memory.keep_trimming(3600, stop, trim=lambda: calls.append(1)))
    await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=1)  # does not wait out the hour
    assert calls == []


async def test_without_a_trim_call_it_does_nothing() -> None:
    await asyncio.wait_for(memory.keep_trimming(0.01, asyncio.Event(), trim=None), timeout=1)


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_glibc_malloc_trim_is_found_and_runs() -> None:
    assert memory.malloc_trim is not None
    assert memory.malloc_trim() in (0, 1)  # 1: memory was released, 0: there was none to release
