"""Inspections for the report tests, built once per module through the real API (plan → start →
answers → submit → sign), with notes and manual findings of the test's choosing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server import db
from server.users.tables import AppUser
from tests.conftest import World, test_password_hash
from tests.helpers import (
    answer_ops,
    create_plan_for,
    now_iso,
    op,
    photo_bytes,
    publish_shipped_checklist,
    sync,
    upload_evidence,
)


async def empty_tables() -> None:
    names = [table._meta.tablename for table in db.all_tables()]
    if db.is_postgres():
        await db.engine().run_ddl(f"TRUNCATE {', '.join(names)}")
    else:
        for name in names:
            await db.engine().run_ddl(f"DELETE FROM {name}")


async def add_user(world: World, username: str, role: str, unit_code: str) -> None:
    now = datetime.now(UTC)
    user_id = uuid.uuid4()
    await AppUser.insert(
        AppUser(
            id=user_id,
            username=username,
            full_name=f"User {username}",
            role=role,
            home_unit_id=world.units[unit_code],
            password_hash=await test_password_hash(),
            language="vi",
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    world.users[username] = user_id


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
    """Like tests.helpers.run_to_signed, with chosen answer notes and manual findings."""
    inspection_id = await plan_only(client, world, target)
    _, template = await publish_shipped_checklist()
    inspector = await world.login(client, "inspector")
    photos = [
        await upload_evidence(client, inspector, photo_bytes((i * 40, 10, 10))) for i in range(3)
    ]
    answers = answer_ops(template, inspection_id, photos, failed_items)
    for answer in answers:
        if answer["payload"]["item_key"] in (notes or {}):
            answer["payload"]["note"] = (notes or {})[answer["payload"]["item_key"]]
    findings = [
        op(
            "finding",
            inspection_id=inspection_id,
            finding_id=str(uuid.uuid4()),
            device_time=now_iso(),
            evidence=photos[:1],
            **finding,
        )
        for finding in manual_findings or []
    ]
    ops = [
        op(
            "start",
            inspection_id=inspection_id,
            device_time=now_iso(),
            latitude=20.25,
            longitude=106.2,
        ),
        *answers,
        *findings,
        op("submit", inspection_id=inspection_id, device_time=now_iso()),
    ]
    if sign:
        signature = await upload_evidence(client, inspector, photo_bytes((0, 0, 0), (120, 40)))
        for role, name in (("team_head", "Lê Minh Tuấn"), ("unit_representative", "Vũ Đức Phương")):
            ops.append(
                op(
                    "sign",
                    inspection_id=inspection_id,
                    signer_role=role,
                    signer_name=name,
                    signature_sha256=signature,
                    device_time=now_iso(),
                )
            )
    results = await sync(client, inspector, ops)
    assert all(r["status"] == "applied" for r in results), [
        r for r in results if r["status"] != "applied"
    ]
    return inspection_id


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
