"""The ingest benchmark's baseline: a bare Litestar app on asyncpg that takes the same sync batch
the phone sends and inserts its answers, one row each, in one transaction, with nothing else (no
authentication, no checks, no idempotency, no audit). What a sync endpoint can reach at best on
this machine, with this framework and this database.

    SPOTCHECK_BENCH_DSN=postgresql://… python -m uvicorn bench.bare_ingest:app --port 8124
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, post

TABLE = """
CREATE TABLE IF NOT EXISTS bare_answer (
    op_id uuid PRIMARY KEY,
    inspection_id uuid NOT NULL,
    item_key text NOT NULL,
    value jsonb NOT NULL,
    device_time timestamptz NOT NULL,
    received_at timestamptz NOT NULL
)
"""
INSERT = (
    "INSERT INTO bare_answer (op_id, inspection_id, item_key, value, device_time, received_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)

_pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    global _pool
    _pool = await asyncpg.create_pool(os.environ["SPOTCHECK_BENCH_DSN"], min_size=2, max_size=10)
    async with _pool.acquire() as connection:
        await connection.execute(TABLE)
    try:
        yield
    finally:
        await _pool.close()


@post("/mobile/v1/sync", status_code=200)
async def ingest(data: dict[str, Any]) -> dict[str, Any]:
    assert _pool is not None
    now = datetime.now(UTC)
    rows = []
    for op in data["ops"]:
        payload = op["payload"]
        value = {key: payload.get(key) for key in ("value", "numerator", "denominator")}
        rows.append(
            (
                UUID(op["op_id"]),
                UUID(payload["inspection_id"]),
                payload["item_key"],
                json.dumps(value),
                datetime.fromisoformat(payload["device_time"]),
                now,
            )
        )
    async with _pool.acquire() as connection, connection.transaction():
        await connection.executemany(INSERT, rows)
    return {
        "server_time": now.isoformat(),
        "results": [{"op_id": op["op_id"], "status": "applied"} for op in data["ops"]],
    }


app = Litestar(route_handlers=[ingest], lifespan=[lifespan])
