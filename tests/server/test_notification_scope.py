"""Issue 11, item 5: the outbox answers an admin only for recipients in their part of the tree
(units, and users by their home unit; the oversight channel only at the root), out of scope is
404; and "inspection started" reaches the inspected unit's own targets, not only its heads'."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from server.core import db
from server.core.settings import Settings
from server.notifications import services as notification_service
from server.notifications.services import Recipient
from server.notifications.tables import OutboxMessage
from tests.conftest import World, problem_detail
from tests.helpers import create_plan_for, now_iso, op, sync
from tests.server.peers import login, outbox_rows, set_unit_targets, set_user_targets


async def queue(event_key: str, recipient: Recipient) -> UUID:
    async with db.write_transaction():
        (message_id,) = await notification_service.enqueue_returning_ids(
            event_type="action.verified",
            event_key=event_key,
            recipients=[recipient],
            values={"title": "x", "unit": "y", "comment": ""},
            link=None,
            now=datetime.now(UTC),
        )
    return message_id


async def queue_dead_rows(world: World, settings: Settings) -> dict[str, UUID]:
    """One dead message (no target) per kind of recipient, inside and outside D1's subtree."""
    rows = {
        "unit-c1": await queue("e:unit-c1", Recipient(kind="unit", id=world.units["C1"])),
        "unit-c3": await queue("e:unit-c3", Recipient(kind="unit", id=world.units["C3"])),
        "user-c2": await queue("e:user-c2", Recipient(kind="user", id=world.users["head_c2"])),
        "user-c3": await queue("e:user-c3", Recipient(kind="user", id=world.users["head_c3"])),
        "user-p": await queue("e:user-p", Recipient(kind="user", id=world.users["leader_p"])),
    }
    # The oversight channel has a target, so it queues (failed here by hand, to be requeueable).
    try:
        notification_service.configure(
            settings.model_copy(update={"oversight_notification_urls": ["json://127.0.0.1:9/o"]})
        )
        rows["oversight"] = await queue("e:oversight", Recipient(kind="oversight"))
    finally:
        notification_service.configure(settings)
    await OutboxMessage.update({OutboxMessage.status: "dead"}).where(
        OutboxMessage.id == rows["oversight"]
    )
    return rows


async def test_a_district_admin_lists_gets_and_requeues_only_recipients_of_their_subtree(
    client, world: World, settings: Settings
) -> None:
    rows = await queue_dead_rows(world, settings)
    await world.add_user("admin_d1", "admin", "D1")
    admin_d1 = await login(client, world, "admin_d1")
    in_scope = {"unit-c1", "user-c2"}

    listing = await client.get("/api/v1/notifications", headers=admin_d1)
    assert listing.status_code == 200, listing.text
    assert {row["event_key"] for row in listing.json()} == {f"e:{name}" for name in in_scope}
    assert listing.headers["x-total-count"] == "2"

    for name, message_id in rows.items():
        one = await client.get(f"/api/v1/notifications/{message_id}", headers=admin_d1)
        requeued = await client.post(
            f"/api/v1/notifications/{message_id}/requeue", headers=admin_d1
        )
        if name in in_scope:
            assert one.status_code == 200, (name, one.text)
            # In scope and dead: the requeue is answered (409: the recipient still has no
            # target), not hidden.
            assert requeued.status_code == 409, (name, requeued.text)
        else:
            assert one.status_code == 404, (name, one.text)
            assert requeued.status_code == 404, (name, requeued.text)
            assert "No notification" in problem_detail(requeued)
    # Nothing was changed by the refused requeues.
    assert {row["status"] for row in await outbox_rows()} == {"dead"}

    # The admin of D2 may requeue D2's message once its recipient has a target.
    await set_user_targets(client, world, "head_c3", ["json://127.0.0.1:9/head-c3"])
    await world.add_user("admin_d2", "admin", "D2")
    admin_d2 = await login(client, world, "admin_d2")
    requeued = await client.post(
        f"/api/v1/notifications/{rows['user-c3']}/requeue", headers=admin_d2
    )
    assert requeued.status_code == 200, requeued.text
    assert (requeued.json()["status"], requeued.json()["target"]) == (
        "pending",
        "json://127.0.0.1:9/head-c3",
    )


async def test_user_recipients_follow_their_home_unit(
    client, world: World, settings: Settings
) -> None:
    rows = await queue_dead_rows(world, settings)
    await world.add_user("admin_d1", "admin", "D1")
    admin_d1 = await login(client, world, "admin_d1")
    url = f"/api/v1/notifications/{rows['user-c2']}"
    assert (await client.get(url, headers=admin_d1)).status_code == 200
    # head_c2 moves to D2: their messages leave D1's admin with them.
    admin = await login(client, world, "admin")
    moved = await client.patch(
        f"/api/v1/users/{world.users['head_c2']}",
        json={"home_unit_id": str(world.units["C3"])},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert (await client.get(url, headers=admin_d1)).status_code == 404


async def test_the_oversight_channel_is_for_root_admins_only(
    client, world: World, settings: Settings
) -> None:
    rows = await queue_dead_rows(world, settings)
    oversight = f"/api/v1/notifications/{rows['oversight']}"
    admin = await login(client, world, "admin")  # homed at the root, P
    listing = await client.get("/api/v1/notifications", headers=admin)
    assert {row["event_key"] for row in listing.json()} == {f"e:{name}" for name in rows}
    assert (await client.get(oversight, headers=admin)).status_code == 200
    await world.add_user("admin_dept", "admin", "P-DEPT")  # an admin one level down
    admin_dept = await login(client, world, "admin_dept")
    assert (await client.get(oversight, headers=admin_dept)).status_code == 404
    assert (await client.post(f"{oversight}/requeue", headers=admin_dept)).status_code == 404
    requeued = await client.post(f"{oversight}/requeue", headers=admin)
    assert requeued.status_code == 200, requeued.text


async def test_leaders_heads_and_inspectors_cannot_use_the_outbox_routes(
    client, world: World, settings: Settings
) -> None:
    rows = await queue_dead_rows(world, settings)
    for username in ("leader_p", "leader_d1", "head_c1", "inspector"):
        headers = await login(client, world, username)
        listing = await client.get("/api/v1/notifications", headers=headers)
        one = await client.get(f"/api/v1/notifications/{rows['unit-c1']}", headers=headers)
        requeue = await client.post(
            f"/api/v1/notifications/{rows['unit-c1']}/requeue", headers=headers
        )
        assert (listing.status_code, one.status_code, requeue.status_code) == (403, 403, 403)
    assert {row["status"] for row in await outbox_rows()} == {"dead"}


async def test_an_unknown_status_filter_is_refused(client, world: World) -> None:
    admin = await login(client, world, "admin")
    response = await client.get("/api/v1/notifications?status=dead&status=lost", headers=admin)
    assert response.status_code == 422
    assert "lost" in problem_detail(response)


# --- "Inspection started" ------------------------------------------------------------------------


async def start_inspection(client, world: World, unit_code: str) -> str:
    plan = await create_plan_for(client, world, unit_code)
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await login(client, world, "inspector")
    start = op(
        "start",
        inspection_id=inspection_id,
        device_time=now_iso(),
        latitude=20.25,
        longitude=106.2,
    )
    (result,) = await sync(client, inspector, [start])
    assert result["status"] == "applied", result
    return inspection_id


async def test_inspection_started_reaches_the_units_own_targets_when_its_heads_have_none(
    client, world: World
) -> None:
    await set_unit_targets(client, world, "C1", ["json://127.0.0.1:9/c1"], language="en")
    # A second head shares the unit's target: that target still gets the notice once.
    await world.add_user("head_c1_deputy", "unit_head", "C1")
    await set_user_targets(client, world, "head_c1_deputy", ["json://127.0.0.1:9/c1"])
    inspection_id = await start_inspection(client, world, "C1")

    rows = await outbox_rows(OutboxMessage.event_key == f"inspection.started:{inspection_id}")
    by_recipient = {(row["recipient_kind"], row["recipient_id"]): row for row in rows}
    assert set(by_recipient) == {
        ("unit", world.units["C1"]),
        ("user", world.users["head_c1"]),  # no target: kept, dead, saying so
    }
    unit_row = by_recipient[("unit", world.units["C1"])]
    assert (unit_row["status"], unit_row["target_url"]) == ("pending", "json://127.0.0.1:9/c1")
    # In the unit's language.
    assert (unit_row["language"], unit_row["subject"]) == (
        "en",
        "[Spotcheck] An inspection has started at Unit C1",
    )
    head_row = by_recipient[("user", world.users["head_c1"])]
    assert head_row["status"] == "dead"
    assert "has no notification target" in head_row["last_error"]
