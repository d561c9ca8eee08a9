"""Inspections for the report tests, built once per module through the real API (plan → start →
answers → submit → sign), with notes and manual findings of the test's choosing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import World, empty_all_tables
from tests.helpers import (
    create_plan_for,
    now_iso,
    op,
    photo_bytes,
    run_to_signed,
    sync,
    upload_evidence,
)


async def empty_tables() -> None:
    await empty_all_tables()


async def add_user(world: World, username: str, role: str, unit_code: str) -> None:
    await world.add_user(username, role, unit_code)


class Sessions:
    """Auth headers per username, logging in once each (Argon2 is slow on purpose)."""

    def __init__(self, client: httpx.AsyncClient, world: World) -> None:
        self.client, self.world, self.headers = client, world, {}

    async def __call__(self, username: str) -> dict[str, str]:
        if username not in self.headers:
            self.headers[username] = await self.world.login(self.client, username)
        return dict(self.headers[username])


async def plan_only(client: httpx.AsyncClient, world: World, target: str) -> str:
    plan = await create_plan_for(client, world, target)
    return str(plan["targets"][0]["inspection_id"])


async def start_only(client: httpx.AsyncClient, world: World, target: str) -> str:
    inspection_id = await plan_only(client, world, target)
    inspector = await world.login(client, "inspector")
    start = op(
        "start", inspection_id=inspection_id, device_time=now_iso(), latitude=20.25, longitude=106.2
    )
    (result,) = await sync(client, inspector, [start])
    assert result["status"] == "applied", result
    return inspection_id


async def inspect(
    client: httpx.AsyncClient,
    world: World,
    target: str,
    failed_items: set[str],
    *,
    notes: dict[str, str] | None = None,
    manual_findings: list[dict[str, Any]] | None = None,
    sign: bool = True,
) -> str:
    return await run_to_signed(
        client, world, target, failed_items, sign=sign, notes=notes, manual_findings=manual_findings
    )


async def verify_action(
    client: httpx.AsyncClient, sessions: Sessions, action_id: str, *, report: str
) -> None:
    """Walk an action from open to verified through the API, as its unit head and inspector."""
    head = await sessions("head_c1")
    inspector = await sessions("inspector")
    evidence = await upload_evidence(client, head, photo_bytes((10, 200, 10)))
    for to, who, extra in (
        ("acknowledged", head, {"comment": "Đã nhận, sẽ khắc phục"}),
        ("in_progress", head, {}),
        ("submitted", head, {"report": report, "evidence": [evidence]}),
        ("verified", inspector, {"comment": "Đã kiểm tra lại tại chỗ"}),
    ):
        response = await client.post(
            f"/api/v1/actions/{action_id}/transitions", json={"to": to, **extra}, headers=who
        )
        assert response.status_code == 200, response.text


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
