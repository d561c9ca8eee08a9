"""Lists that grow are paged: `limit` and `offset` in, a JSON array out, the total in the
`X-Total-Count` header. Paging through with a small limit shows every row exactly once, in the
order of the whole list, even when many rows tie on the sort key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.core import db
from server.notifications import services as notification_service
from server.notifications.services import Recipient
from tests.conftest import World
from tests.helpers import create_plan_for, run_to_signed
from tests.server.peers import login, set_unit_targets

# Seven failed yes/no items: one critical and six minor actions, the six due at the same moment.
FAILED = {"A4", "A5", "A6", "A9", "A10", "B2", "B3"}


async def page_through(
    client, headers: dict[str, str], path: str, *, limit: int, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every row read page by page, the whole list in one request)."""
    whole = await client.get(path, params=params, headers=headers)
    assert whole.status_code == 200, whole.text
    total = int(whole.headers["x-total-count"])
    assert total == len(whole.json())
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await client.get(
            path, params={**params, "limit": limit, "offset": offset}, headers=headers
        )
        assert page.status_code == 200, page.text
        assert int(page.headers["x-total-count"]) == total
        assert len(page.json()) <= limit
        if not page.json():
            break
        rows += page.json()
        offset += limit
    assert offset >= total
    return rows, whole.json()


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


async def test_actions_page_through_ties_once_each(client, world: World) -> None:
    inspection_id = await run_to_signed(client, world, "C1", FAILED, sign=False)
    leader = await login(client, world, "leader_d1")
    paged, whole = await page_through(client, leader, "/api/v1/actions", limit=2)
    assert len(whole) == len(FAILED)
    assert ids(paged) == ids(whole)
    assert len(set(ids(paged))) == len(FAILED)
    assert [row["due_at"] for row in whole] == sorted(row["due_at"] for row in whole)
    # Filters and the total go together.
    filtered, _ = await page_through(
        client, leader, "/api/v1/actions", limit=3, inspection_id=inspection_id, status="open"
    )
    assert len(filtered) == len(FAILED)
    one = await client.get(
        "/api/v1/actions",
        params={"limit": 1, "status": "verified"},
        headers=leader,
    )
    assert (one.json(), one.headers["x-total-count"]) == ([], "0")


async def test_inspections_page_through(client, world: World) -> None:
    for target in ("C1", "C2", "C1-SC", "C1", "C2"):
        await create_plan_for(client, world, target)
    leader = await login(client, world, "leader_d1")
    paged, whole = await page_through(client, leader, "/api/v1/inspections", limit=2)
    assert len(whole) == 5
    assert ids(paged) == ids(whole)
    past_the_end = await client.get(
        "/api/v1/inspections", params={"offset": 5, "limit": 2}, headers=leader
    )
    assert (past_the_end.json(), past_the_end.headers["x-total-count"]) == ([], "5")


async def test_users_page_through(client, world: World) -> None:
    admin = await login(client, world, "admin")
    paged, whole = await page_through(client, admin, "/api/v1/users", limit=4)
    assert len(whole) == len(world.users)
    assert ids(paged) == ids(whole)
    assert [row["username"] for row in whole] == sorted(row["username"] for row in whole)
    heads, _ = await page_through(client, admin, "/api/v1/users", limit=1, role="unit_head")
    assert len(heads) == 4


async def test_notifications_page_through_rows_queued_at_one_moment(client, world: World) -> None:
    await set_unit_targets(client, world, "C1", ["json://127.0.0.1:9/a", "json://127.0.0.1:9/b"])
    now = datetime.now(UTC)  # every row gets the same created_at: only the id breaks the tie
    async with db.write_transaction():
        for index in range(4):
            await notification_service.enqueue(
                event_type="action.verified",
                event_key=f"action.verified:page-{index}:v1",
                recipients=[Recipient(kind="unit", id=world.units["C1"])],
                values={"title": "x", "unit": "y", "comment": ""},
                link=None,
                now=now,
            )
    admin = await login(client, world, "admin")
    paged, whole = await page_through(client, admin, "/api/v1/notifications", limit=3)
    assert len(whole) == 8
    assert ids(paged) == ids(whole)
    dead, _ = await page_through(client, admin, "/api/v1/notifications", limit=3, status="dead")
    assert dead == []


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}]
)
async def test_limits_are_checked(client, world: World, params: dict[str, Any]) -> None:
    admin = await login(client, world, "admin")
    for path in (
        "/api/v1/actions",
        "/api/v1/inspections",
        "/api/v1/users",
        "/api/v1/notifications",
    ):
        response = await client.get(path, params=params, headers=admin)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
