"""PDF renders run in a bounded pool of worker processes: the server keeps answering while they
run, and a full queue answers 503 with Retry-After instead of piling up work."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import httpx
import pytest

from reports import rendering
from server.core.errors import ServiceUnavailable
from tests.conftest import World, problem_detail

# About a page of tables: long enough that ten of them keep both workers busy for a while.
DOCUMENT = "<h1>Biên bản</h1>" + "".join(
    f"<h2>Mục {section}</h2><table>"
    + "".join(
        f"<tr><td>{row}</td><td>Tiếp nhận hồ sơ đúng quy trình, mục {section}.{row}</td></tr>"
        for row in range(8)
    )
    + "</table>"
    for section in range(2)
)


async def test_health_answers_promptly_while_ten_renders_are_in_flight(
    client: httpx.AsyncClient,
) -> None:
    pool = rendering.render_pool()
    renders = [asyncio.create_task(rendering.render_pdf_async(DOCUMENT)) for _ in range(10)]
    await asyncio.sleep(0)
    assert pool.in_flight == 10

    latencies: list[float] = []
    while not all(render.done() for render in renders) or len(latencies) < 3:
        started = time.perf_counter()
        response = await client.get("/health")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
        await asyncio.sleep(0.05)
    pdfs = await asyncio.gather(*renders)

    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs)
    # In threads, WeasyPrint holds the GIL and /health waited up to ~0.8 s on a loaded machine
    # (a few ms in processes); the bound is generous so that only a stalled loop fails it.
    assert max(latencies) < 1.0, latencies
    assert pool.in_flight == 0


async def test_a_full_render_queue_answers_503_with_retry_after(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = rendering.render_pool()
    leader = await world.login(client, "leader_d1")
    # Every worker busy and every queue place taken (set directly: real renders would finish
    # at a speed that depends on the machine's load).
    monkeypatch.setattr(pool, "_in_flight", pool.workers + pool.queue_limit)

    refused = await client.get("/api/v1/reports/summary.pdf", headers=leader)

    assert refused.status_code == 503, refused.text
    assert "busy rendering" in problem_detail(refused)
    assert refused.headers["retry-after"] == str(pool.RETRY_AFTER_SECONDS)
    assert pool.in_flight == pool.workers + pool.queue_limit

    monkeypatch.undo()
    served = await client.get("/api/v1/reports/summary.pdf", headers=leader)

    assert served.status_code == 200, served.text
    assert served.content.startswith(b"%PDF-")
    assert pool.in_flight == 0


class _DeadPool(Executor):
    """An executor whose worker died: what a killed (or out-of-memory) render process leaves."""

    def submit(self, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future


async def test_a_dead_render_worker_answers_503_and_the_pool_is_replaced() -> None:
    pool = rendering.render_pool()
    working = pool._executor
    pool._executor = _DeadPool()
    try:
        with pytest.raises(ServiceUnavailable, match="restarting"):
            await rendering.render_pdf_async("<p>Biên bản</p>")

        assert pool._executor is None  # the next render starts a fresh pool
        assert pool.in_flight == 0
    finally:
        pool._executor = working
