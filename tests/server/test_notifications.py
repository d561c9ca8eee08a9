"""Notifications end to end with real peers: Apprise sends mail to a local SMTP server and JSON to
a local webhook receiver; retries, dead letters, requeue, and the timed triggers on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import anyio.to_thread
import pytest

from server.actions import scheduled
from server.actions.tables import CorrectiveAction
from server.core import db
from server.core.settings import Settings
from server.notifications import services as notification_service
from server.notifications import triggers
from server.notifications.messages import local_date
from server.notifications.services import Recipient
from server.notifications.tables import DeliveryAttempt, OutboxMessage
from server.notifications.worker import Worker
from tests.conftest import Spotcheck, World, problem_detail
from tests.helpers import photo_bytes, run_to_signed, upload_evidence
from tests.server.peers import (
    HttpPeer,
    SmtpPeer,
    drain,
    login,
    outbox_rows,
    running_http,
    running_smtp,
    set_unit_targets,
    set_user_targets,
)

SECRET = "hunter2-s3cret-token"


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    with running_smtp() as peer:
        yield peer


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    with running_http() as peer:
        yield peer


def in_process_worker(settings: Settings, name: str = "test-worker", **options) -> Worker:
    return Worker(settings, name=name, backoff_base_seconds=0.01, **options)


async def actions_of(inspection_id: str) -> list[dict]:
    return list(
        await CorrectiveAction.select()
        .where(CorrectiveAction.inspection_id == UUID(inspection_id))
        .order_by(CorrectiveAction.severity)
    )


async def move(client, headers, action_id, to: str, **extra) -> dict:
    response = await client.post(
        f"/api/v1/actions/{action_id}/transitions", json={"to": to, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def queue_message(unit_id: UUID, event_key: str, *, now: datetime | None = None) -> int:
    """Queue one event for a unit the way producers do: inside a write transaction."""
    async with db.write_transaction():
        return await notification_service.enqueue(
            event_type="action.verified",
            event_key=event_key,
            recipients=[Recipient(kind="unit", id=unit_id)],
            values={"title": "Niêm yết đủ TTHC", "unit": "Đơn vị C1", "comment": ""},
            link=notification_service.link_to("/api/v1/actions"),
            now=now or datetime.now(UTC),
        )


# --- 1. E-mail --------------------------------------------------------------------------------


async def test_mail_arrives_in_vietnamese_then_english_for_an_english_unit(
    client, world: World, settings: Settings, smtp_peer: SmtpPeer
) -> None:
    await set_unit_targets(client, world, "C1", [smtp_peer.mailto("c1@example.org")])
    inspection_id = await run_to_signed(client, world, "C1", {"C1"}, sign=False)
    (action,) = await actions_of(inspection_id)
    worker = in_process_worker(settings)
    await drain(worker)

    # The unit hears that the inspection started (its own target, issue 11) and of its action.
    started_subject = "[Spotcheck] Đoàn kiểm tra bắt đầu làm việc tại Đơn vị C1"
    mails = smtp_peer.received()
    assert sorted(m.subject == started_subject for m in mails) == [False, True]
    (mail,) = [m for m in mails if m.subject != started_subject]
    assert mail.mail_from == "spotcheck@example.org"
    assert mail.rcpt_tos == ["c1@example.org"]
    assert mail.subject == f"[Spotcheck] Yêu cầu khắc phục mới: {action['title_vi']}"
    # The due date as the unit reads it: in its time zone (the world's units are in Hà Nội time).
    due = local_date(action["due_at"], "Asia/Ho_Chi_Minh")
    event_key = f"action.assigned:{action['id']}:{world.units['C1']}:1"
    assert mail.text.splitlines() == [
        f"Đơn vị Đơn vị C1 được giao khắc phục: {action['title_vi']}.",
        f"Mức độ: lớn. Hạn: {due}.",
        f"Xem và xác nhận: http://testserver.local/app/actions/{action['id']}",
        "",
        f"(Mã sự kiện: {event_key})",
    ]
    (row,) = await outbox_rows(OutboxMessage.event_key == event_key)
    assert (row["status"], row["attempts"], row["language"]) == ("sent", 1, "vi")

    # C2 reads English; the leader hands the action over to it.
    await set_unit_targets(client, world, "C2", [smtp_peer.mailto("c2@example.org")], language="en")
    leader = await login(client, world, "leader_d1")
    response = await client.patch(
        f"/api/v1/actions/{action['id']}/responsible-unit",
        json={"responsible_unit_id": str(world.units["C2"])},
        headers=leader,
    )
    assert response.status_code == 200, response.text
    await drain(worker)
    *_earlier, english = smtp_peer.received()
    assert english.rcpt_tos == ["c2@example.org"]
    assert english.subject == f"[Spotcheck] New corrective action: {action['title_en']}"
    lines = english.text.splitlines()
    assert lines[0] == f"Unit C2 is responsible for fixing: {action['title_en']}."
    assert lines[1] == f"Severity: major. Due: {due}."
    assert lines[-1] == f"(Event key: action.assigned:{action['id']}:{world.units['C2']}:2)"


# --- 2. Webhook, end to end -------------------------------------------------------------------


async def test_webhook_follows_an_action_from_assignment_to_verification(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    await set_unit_targets(client, world, "C1", [http_peer.url("/hook")])
    inspection_id = await run_to_signed(client, world, "C1", {"A5", "C1"}, sign=False)
    actions = await actions_of(inspection_id)
    assert len(actions) == 2
    worker = in_process_worker(settings)
    await drain(worker)

    hits = http_peer.received()
    expected = {f"action.assigned:{a['id']}:{world.units['C1']}:1" for a in actions}
    expected.add(f"inspection.started:{inspection_id}")  # the unit's own target hears it too
    assert {hit.body["event_key"] for hit in hits} == expected
    assert len(hits) == 3  # the start, then one message per action, nothing else
    for hit in hits:
        if hit.body["event_key"].startswith("inspection.started:"):
            continue
        assert hit.path == "/hook"
        assert hit.headers["x-spotcheck-event-key"] == hit.body["event_key"]
        assert hit.body["title"].startswith("[Spotcheck] Yêu cầu khắc phục mới: ")
        assert "Mức độ: " in hit.body["message"]
    assigned = await outbox_rows(OutboxMessage.event_type == "action.assigned")
    assert [(row["status"], row["attempts"]) for row in assigned] == [("sent", 1)] * 2
    # The unit head had no target of their own: their "inspection started" notice is kept, dead.
    started = await outbox_rows(
        OutboxMessage.event_type == "inspection.started", OutboxMessage.recipient_kind == "user"
    )
    assert [row["status"] for row in started] == ["dead"]
    assert "has no notification target" in started[0]["last_error"]

    action_id = actions[0]["id"]
    head = await login(client, world, "head_c1")
    inspector = await login(client, world, "inspector")
    photo = await upload_evidence(client, head, photo_bytes((10, 200, 10)))
    await move(client, head, action_id, "acknowledged")
    await move(client, head, action_id, "in_progress")
    await move(client, head, action_id, "submitted", report="Đã niêm yết", evidence=[photo])
    await move(client, inspector, action_id, "returned", comment="Còn thiếu phí, lệ phí")
    await drain(worker)
    returned = http_peer.received()[-1]
    assert returned.body["event_key"] == f"action.returned:{action_id}:v5"
    assert "Lý do: Còn thiếu phí, lệ phí" in returned.body["message"]

    await move(client, head, action_id, "in_progress")
    await move(client, head, action_id, "submitted", report="Đã bổ sung", evidence=[photo])
    await move(client, inspector, action_id, "verified")
    await drain(worker)
    hits = http_peer.received()
    assert len(hits) == 5
    verified = hits[-1]
    assert verified.headers["x-spotcheck-event-key"] == f"action.verified:{action_id}:v8"
    assert verified.body["title"] == f"[Spotcheck] Đã xác nhận khắc phục: {actions[0]['title_vi']}"
    assert "đã được xác nhận" in verified.body["message"]


# --- 3. Retries, dead letters and requeue -----------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_failing_target_backs_off_dies_and_is_requeued_by_the_admin(
    client, world: World, settings: Settings, http_peer: HttpPeer, spotcheck: Spotcheck
) -> None:
    await set_unit_targets(client, world, "C1", [http_peer.url("/hook", secret=SECRET)])
    await queue_message(world.units["C1"], "action.verified:retry-me:v1")
    (row,) = await outbox_rows(OutboxMessage.event_key == "action.verified:retry-me:v1")
    http_peer.mode = "fail"
    clock = FakeClock()
    worker = Worker(settings, name="retrying-worker", clock=clock)  # real 30 s backoff base

    delays = []
    for attempt in range(1, 7):
        assert await drain(worker) == 1
        (row,) = await outbox_rows(OutboxMessage.id == row["id"])
        assert row["attempts"] == attempt
        if attempt < 6:
            assert row["status"] == "failed"
            assert "error=500" in row["last_error"]
            next_at = row["next_attempt_at"]
            assert next_at > clock.now  # not due yet: another round does nothing
            assert await drain(worker) == 0
            delays.append((next_at - clock.now).total_seconds())
            clock.now = next_at + timedelta(seconds=1)
    assert row["status"] == "dead"
    # Exponential: 30 s, 60 s, … each ±20 %, so every wait is longer than the one before.
    for index, delay in enumerate(delays):
        assert 0.8 * 30 * 2**index <= delay <= 1.2 * 30 * 2**index, delays
    attempts = await DeliveryAttempt.select().where(DeliveryAttempt.message_id == row["id"])
    assert sorted(a["attempt"] for a in attempts) == [1, 2, 3, 4, 5, 6]
    assert {a["outcome"] for a in attempts} == {"failed"}
    assert [hit.answered for hit in http_peer.received()] == [500] * 6

    # The admin sees it, with the target masked.
    admin = await login(client, world, "admin")
    listing = await client.get("/api/v1/notifications?status=dead", headers=admin)
    assert listing.status_code == 200, listing.text
    assert SECRET not in listing.text
    (dead,) = [m for m in listing.json() if m["id"] == str(row["id"])]
    assert dead["status"] == "dead"
    assert dead["attempts"] == dead["max_attempts"] == 6
    assert dead["target"] == f"json://spotcheck:****@127.0.0.1:{http_peer.port}/hook"
    # … and so does the operator on the command line.
    listed = spotcheck("notifications", "list", "--status", "dead")
    assert listed.returncode == 0, listed.stderr
    assert str(row["id"]) in listed.stdout
    assert SECRET not in listed.stdout + listed.stderr

    for who in ("leader_p", "head_c1"):
        headers = await login(client, world, who)
        denied = await client.get("/api/v1/notifications?status=dead", headers=headers)
        assert denied.status_code == 403, (who, denied.text)
        refused = await client.post(f"/api/v1/notifications/{row['id']}/requeue", headers=headers)
        assert refused.status_code == 403, (who, refused.text)

    http_peer.mode = "ok"  # the receiver is fixed
    requeued = await client.post(f"/api/v1/notifications/{row['id']}/requeue", headers=admin)
    assert requeued.status_code == 200, requeued.text
    assert (requeued.json()["status"], requeued.json()["attempts"]) == ("pending", 0)
    assert await drain(worker) == 1
    (row,) = await outbox_rows(OutboxMessage.id == row["id"])
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    last = http_peer.received()[-1]
    assert (last.answered, last.body["event_key"]) == (200, "action.verified:retry-me:v1")
    assert last.headers["x-token"] == SECRET  # the real URL was used, only the display is masked
    again = await client.post(f"/api/v1/notifications/{row['id']}/requeue", headers=admin)
    assert again.status_code == 409


async def test_dead_message_is_requeued_from_the_command_line(
    client, world: World, settings: Settings, http_peer: HttpPeer, spotcheck: Spotcheck
) -> None:
    await set_unit_targets(client, world, "C1", [http_peer.url("/hook")])
    await queue_message(world.units["C1"], "action.verified:cli-requeue:v1")
    http_peer.mode = "fail"
    worker = in_process_worker(settings)  # 0.01 s backoff: the six attempts take ~0.6 s
    with anyio.fail_after(10):
        while True:
            await drain(worker)
            (row,) = await outbox_rows(OutboxMessage.event_key == "action.verified:cli-requeue:v1")
            if row["status"] == "dead":
                break
            await anyio.sleep(0.02)
    assert row["attempts"] == 6
    assert len(http_peer.received()) == 6

    http_peer.mode = "ok"
    result = spotcheck("notifications", "requeue", str(row["id"]))
    assert result.returncode == 0, result.stderr
    assert f"requeued {row['id']}" in result.stdout
    await drain(worker)
    (row,) = await outbox_rows(OutboxMessage.id == row["id"])
    assert row["status"] == "sent"
    assert [hit.answered for hit in http_peer.received()] == [500] * 6 + [200]


# --- 4. Nobody to tell ------------------------------------------------------------------------


async def test_unit_without_targets_gets_a_dead_row_that_can_be_requeued(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"}, sign=False)
    (action,) = await actions_of(inspection_id)
    (row,) = await outbox_rows(OutboxMessage.event_type == "action.assigned")
    assert row["status"] == "dead"
    assert row["attempts"] == 0
    assert row["target_url"] is None
    assert row["last_error"] == (
        f"unit {world.units['C1']} has no notification target; add one, then requeue"
    )
    worker = in_process_worker(settings)
    await drain(worker)
    assert (await outbox_rows(OutboxMessage.id == row["id"]))[0]["status"] == "dead"

    admin = await login(client, world, "admin")
    listing = (await client.get("/api/v1/notifications?status=dead", headers=admin)).json()
    (shown,) = [m for m in listing if m["id"] == str(row["id"])]
    assert shown["target"] == "(no target)"
    assert "no notification target" in shown["last_error"]
    # Requeueing before a target exists says what to do.
    early = await client.post(f"/api/v1/notifications/{row['id']}/requeue", headers=admin)
    assert early.status_code == 409
    assert "add one first" in early.json()["detail"]

    await set_unit_targets(client, world, "C1", [http_peer.url("/late")])
    assert (
        await client.post(f"/api/v1/notifications/{row['id']}/requeue", headers=admin)
    ).status_code == 200
    await drain(worker)
    (hit,) = http_peer.received()
    assert hit.path == "/late"
    assert hit.body["event_key"] == row["event_key"]
    assert str(action["id"]) in hit.body["message"]


# --- 7. Timed triggers ------------------------------------------------------------------------


async def test_a_reminder_run_looks_up_each_parent_and_plan_once_and_nothing_already_queued(
    client, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province has thousands of overdue actions and the trigger runs every few minutes: the
    recipients are looked up once per parent unit and per inspection in a run, and a run that
    finds every reminder of the week queued looks nothing up at all."""
    inspection_id = await run_to_signed(client, world, "C1", {"A5", "C1", "B2"}, sign=False)
    actions = await actions_of(inspection_id)
    assert len(actions) >= 3
    lookups: list[str] = []

    def counted(name: str, real: Any) -> Any:
        async def lookup(*args: Any) -> Any:
            lookups.append(name)
            return await real(*args)

        return lookup

    for name in ("unit_heads_of", "inspection_facts", "plan_leader"):
        monkeypatch.setattr(scheduled, name, counted(name, getattr(scheduled, name)))
    late = max(action["due_at"] for action in actions) + timedelta(hours=1)

    assert await scheduled.overdue(settings, late) == 3 * len(actions)  # unit, parent head, leader
    assert sorted(lookups) == ["inspection_facts", "plan_leader", "unit_heads_of"]
    lookups.clear()
    assert await scheduled.overdue(settings, late + timedelta(days=2)) == 0  # same week
    assert lookups == []
    assert await scheduled.overdue(settings, late + timedelta(days=7)) == 3 * len(actions)


async def test_timed_triggers_fire_once_per_period(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"}, sign=False)
    (action,) = await actions_of(inspection_id)
    due = action["due_at"]
    await set_unit_targets(client, world, "C1", [http_peer.url("/c1")])
    await set_user_targets(client, world, "head_d1", [http_peer.url("/head-d1")])
    await set_user_targets(client, world, "leader_d1", [http_peer.url("/leader-d1")])

    async def keys(event_type: str) -> list[tuple[str, str, UUID | None, str]]:
        rows = await outbox_rows(OutboxMessage.event_type == event_type)
        return [(r["event_key"], r["recipient_kind"], r["recipient_id"], r["status"]) for r in rows]

    times = []

    async def run_at(moment: datetime) -> None:
        times.append(moment)
        await triggers.run_due_triggers(settings, now=moment)

    # Due soon: not 4 days before, once from 3 days before.
    await run_at(due - timedelta(days=4))
    assert await keys("action.due_soon") == []
    await run_at(due - timedelta(days=3) + timedelta(minutes=1))
    await run_at(due - timedelta(days=3) + timedelta(minutes=2))
    await run_at(due - timedelta(days=1))
    due_soon_key = f"action.due_soon:{action['id']}:{due.date().isoformat()}"
    assert await keys("action.due_soon") == [(due_soon_key, "unit", world.units["C1"], "pending")]

    # Overdue: the unit, the head of its parent unit and the plan's leader, weekly.
    await run_at(due + timedelta(hours=1))
    await run_at(due + timedelta(days=6, hours=23))  # still week 0
    overdue = await keys("action.overdue")
    assert len(overdue) == 3
    assert {(kind, rid) for _, kind, rid, _ in overdue} == {
        ("unit", world.units["C1"]),
        ("user", world.users["head_d1"]),
        ("user", world.users["leader_d1"]),
    }
    assert {key for key, *_ in overdue} == {f"action.overdue:{action['id']}:week0"}
    await run_at(due + timedelta(days=7, hours=1))
    await run_at(due + timedelta(days=8))
    overdue = await keys("action.overdue")
    assert len(overdue) == 6
    assert sorted({key.rsplit(":", 1)[1] for key, *_ in overdue}) == ["week0", "week1"]
    assert len(await keys("action.due_soon")) == 1  # never again once overdue

    # The daily digest: one per leader per local day, however often the trigger runs.
    digests = await keys("digest.daily")
    days = {moment.astimezone(settings.zone).date().isoformat() for moment in times}
    mine = [key for key, _, rid, _ in digests if rid == world.users["leader_d1"]]
    assert sorted(mine) == sorted(f"digest.daily:{world.users['leader_d1']}:{d}" for d in days)
    assert {s for _, _, rid, s in digests if rid == world.users["leader_d1"]} == {"pending"}
    # The digest is opt-in: leader_p has no target and gets none (no dead row every day).
    assert [key for key, _, rid, _ in digests if rid == world.users["leader_p"]] == []

    # The audit anchor goes to the oversight channel once a day, only when one is configured.
    assert await keys("audit.anchor") == []
    oversight = settings.model_copy(
        update={"oversight_notification_urls": [http_peer.url("/oversight")]}
    )
    last = times[-1]
    try:
        notification_service.configure(oversight)
        for moment in (last, last + timedelta(minutes=5), last + timedelta(days=1)):
            await triggers.run_due_triggers(oversight, now=moment)
    finally:
        notification_service.configure(settings)
    anchors = await keys("audit.anchor")
    assert [(kind, rid) for _, kind, rid, _ in anchors] == [("oversight", None)] * 2
    anchor_days = [(last + timedelta(days=n)).astimezone(settings.zone).date() for n in (0, 1)]
    assert [key for key, *_ in anchors] == [f"audit.anchor:{d.isoformat()}" for d in anchor_days]

    # Everything with a target reaches the right receiver.
    clock = FakeClock()
    clock.now = last + timedelta(days=1, minutes=10)
    await drain(Worker(settings, name="trigger-worker", clock=clock))
    by_path: dict[str, list[str]] = {}
    for hit in http_peer.received():
        by_path.setdefault(hit.path, []).append(hit.body["event_key"].split(":", 1)[0])
    assert sorted(by_path["/c1"]) == ["action.due_soon", "action.overdue", "action.overdue"]
    assert sorted(by_path["/head-d1"]) == ["action.overdue", "action.overdue"]
    assert sorted(by_path["/leader-d1"]) == sorted(
        ["action.overdue"] * 2 + ["digest.daily"] * (len(days) + 1)
    )
    assert by_path["/oversight"] == ["audit.anchor", "audit.anchor"]
    anchor = next(hit for hit in http_peer.received() if hit.path == "/oversight")
    assert anchor.body["title"].startswith("[Spotcheck] Neo chuỗi nhật ký ")


async def test_timed_trigger_text_speaks_the_unit_language(client, world: World) -> None:
    """English units read English titles and unit names, not the Vietnamese ones."""
    expected = {
        "vi": "[Spotcheck] Sắp đến hạn khắc phục: Niêm yết",
        "en": "[Spotcheck] Corrective action due soon: Posting",
    }
    for language in ("vi", "en"):
        await set_unit_targets(
            client, world, "C1", [f"json://127.0.0.1:9/{language}"], language=language
        )
        async with db.write_transaction():
            await notification_service.enqueue(
                event_type="action.due_soon",
                event_key=f"action.due_soon:{language}:2026-12-01",
                recipients=[Recipient(kind="unit", id=world.units["C1"])],
                values={
                    "title": "Niêm yết",
                    "title_en": "Posting",
                    "unit": "Đơn vị C1",
                    "unit_en": "Unit C1",
                    "due": "2026-12-01",
                },
                link=None,
                now=datetime.now(UTC),
            )
        (row,) = await outbox_rows(
            OutboxMessage.event_key == f"action.due_soon:{language}:2026-12-01"
        )
        assert row["subject"] == expected[language]
        assert ("Unit C1" in row["body"]) is (language == "en")


async def test_triggers_running_on_several_workers_at_once_queue_each_digest_once(
    client, world: World, settings: Settings
) -> None:
    """Workers started together run the same trigger at the same moment; none of them fails."""
    for leader in ("leader_p", "leader_d1"):
        await set_user_targets(client, world, leader, [f"json://127.0.0.1:9/{leader}"])
    now = datetime.now(UTC)
    results = await asyncio.gather(
        *(triggers.run_due_triggers(settings, now=now) for _ in range(3)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sum(results) == 2  # leader_p and leader_d1, one digest each
    digests = await outbox_rows(OutboxMessage.event_type == "digest.daily")
    assert sorted(row["recipient_id"] for row in digests) == sorted(
        [world.users["leader_p"], world.users["leader_d1"]]
    )


# --- 8. Links to the app's screens --------------------------------------------------------------


async def test_every_message_links_to_the_app_screen_of_its_action_or_inspection(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    await set_unit_targets(client, world, "C1", [http_peer.url("/unit")])
    await set_user_targets(client, world, "head_c1", [http_peer.url("/head")])
    await set_user_targets(client, world, "leader_d1", [http_peer.url("/leader")])
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    (action,) = await actions_of(inspection_id)
    # A worker a day before the due date: it runs the timed triggers (due soon, the digest) too.
    clock = FakeClock()
    clock.now = action["due_at"] - timedelta(days=1)
    await drain(in_process_worker(settings, clock=clock))

    base = "http://testserver.local"
    expected = {
        "inspection.started": f"{base}/app/inspections/{inspection_id}",
        "inspection.minutes_ready": f"{base}/app/inspections/{inspection_id}",
        "action.assigned": f"{base}/app/actions/{action['id']}",
        "action.due_soon": f"{base}/app/actions/{action['id']}",
        "digest.daily": f"{base}/app/actions?overdue=true",
    }
    hits = http_peer.received()
    seen = set()
    for hit in hits:
        event_type = hit.body["event_key"].split(":", 1)[0]
        seen.add(event_type)
        link = expected[event_type]
        assert hit.body["url"] == link, (event_type, hit.body)  # a field for webhooks
        lines = hit.body["message"].splitlines()
        assert any(line.endswith(link) for line in lines), (event_type, lines)
    assert seen == set(expected)
    rows = await outbox_rows()
    assert {row["event_type"]: row["link"] for row in rows if row["event_type"] in expected} == (
        expected
    )
    assert all(row["payload"]["url"] == row["link"] for row in rows if row["link"])

    # Returned and verified carry the action's link too.
    head = await login(client, world, "head_c1")
    inspector = await login(client, world, "inspector")
    photo = await upload_evidence(client, head, photo_bytes((10, 200, 10)))
    for to, who, extra in (
        ("acknowledged", head, {}),
        ("in_progress", head, {}),
        ("submitted", head, {"report": "Đã sửa", "evidence": [photo]}),
        ("returned", inspector, {"comment": "Chưa đủ"}),
        ("in_progress", head, {}),
        ("submitted", head, {"report": "Đã sửa lại", "evidence": [photo]}),
        ("verified", inspector, {}),
    ):
        await move(client, who, action["id"], to, **extra)
    await drain(in_process_worker(settings))
    moves = [
        hit
        for hit in http_peer.received()
        if hit.body["event_key"].startswith(("action.returned", "action.verified"))
    ]
    assert len(moves) == 2
    for hit in moves:
        assert hit.body["url"] == f"{base}/app/actions/{action['id']}"
        assert hit.body["url"] in hit.body["message"]


# --- 9. The admin's test message ----------------------------------------------------------------


async def test_admin_sends_a_test_message_and_watches_it_be_sent(
    client, world: World, settings: Settings, http_peer: HttpPeer, smtp_peer: SmtpPeer
) -> None:
    await set_unit_targets(
        client,
        world,
        "C1",
        [http_peer.url("/test-hook", secret=SECRET), smtp_peer.mailto("c1@example.org")],
    )
    admin = await login(client, world, "admin")
    response = await client.post(
        f"/api/v1/units/{world.units['C1']}/notification-test", headers=admin
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["event_key"].startswith(f"test:{world.units['C1']}:")
    assert len(body["notification_ids"]) == 2  # one per target of the unit

    async def poll() -> list[dict]:
        shown = []
        for message_id in body["notification_ids"]:
            one = await client.get(f"/api/v1/notifications/{message_id}", headers=admin)
            assert one.status_code == 200, one.text
            assert SECRET not in one.text
            shown.append(one.json())
        return shown

    before = await poll()
    assert [(m["status"], m["attempts"], m["sent_at"]) for m in before] == [
        ("pending", 0, None)
    ] * 2
    assert {m["event_type"] for m in before} == {"test"}
    assert {m["target"] for m in before} == {
        f"json://spotcheck:****@127.0.0.1:{http_peer.port}/test-hook",
        f"mailto://127.0.0.1:{smtp_peer.port}/c1%40example.org",
    }

    await drain(in_process_worker(settings))
    after = await poll()
    assert [(m["status"], m["attempts"], m["last_error"]) for m in after] == [("sent", 1, None)] * 2
    assert all(m["sent_at"] for m in after)
    (hit,) = http_peer.received()
    assert hit.body["event_key"] == body["event_key"]
    assert hit.body["title"] == "[Spotcheck] Tin nhắn thử"
    assert "Đơn vị C1" in hit.body["message"] and "admin" in hit.body["message"]
    assert hit.headers["x-token"] == SECRET
    (mail,) = smtp_peer.received()
    assert mail.subject == "[Spotcheck] Tin nhắn thử"
    assert mail.rcpt_tos == ["c1@example.org"]

    # A second test is a second message, never deduplicated into the first.
    again = await client.post(f"/api/v1/units/{world.units['C1']}/notification-test", headers=admin)
    assert again.status_code == 201
    assert again.json()["event_key"] != body["event_key"]
    assert set(again.json()["notification_ids"]).isdisjoint(body["notification_ids"])


async def test_test_message_rules(client, world: World) -> None:
    admin = await login(client, world, "admin")
    # No target: a clear 422, and nothing queued.
    empty = await client.post(f"/api/v1/units/{world.units['C2']}/notification-test", headers=admin)
    assert empty.status_code == 422
    assert "no notification target" in problem_detail(empty)
    assert await outbox_rows() == []
    # Admins only; an admin elsewhere in the tree does not find the unit.
    await set_unit_targets(client, world, "C1", ["json://127.0.0.1:9/c1"])
    for who in ("leader_p", "head_c1"):
        headers = await login(client, world, who)
        refused = await client.post(
            f"/api/v1/units/{world.units['C1']}/notification-test", headers=headers
        )
        assert refused.status_code == 403, (who, refused.text)
    await world.add_user("admin_d2", "admin", "D2")
    admin_d2 = await login(client, world, "admin_d2")
    hidden = await client.post(
        f"/api/v1/units/{world.units['C1']}/notification-test", headers=admin_d2
    )
    assert hidden.status_code == 404
    unknown = await client.post(f"/api/v1/units/{uuid4()}/notification-test", headers=admin_d2)
    assert unknown.status_code == 404


async def test_admins_see_the_notifications_of_their_part_of_the_tree(
    client, world: World, settings: Settings
) -> None:
    await set_unit_targets(client, world, "C1", ["json://127.0.0.1:9/c1"])
    await set_unit_targets(client, world, "C3", ["json://127.0.0.1:9/c3"])
    await set_user_targets(client, world, "head_c3", ["json://127.0.0.1:9/head-c3"])
    await queue_message(world.units["C1"], "action.verified:in-d1:v1")
    await queue_message(world.units["C3"], "action.verified:in-d2:v1")
    async with db.write_transaction():
        await notification_service.enqueue(
            event_type="action.verified",
            event_key="action.verified:user-in-d2:v1",
            recipients=[Recipient(kind="user", id=world.users["head_c3"])],
            values={"title": "x", "unit": "y", "comment": ""},
            link=None,
            now=datetime.now(UTC),
        )
    oversight = settings.model_copy(
        update={"oversight_notification_urls": ["json://127.0.0.1:9/o"]}
    )
    try:
        notification_service.configure(oversight)
        async with db.write_transaction():
            await notification_service.enqueue(
                event_type="plan.committed",
                event_key="plan.committed:p",
                recipients=[Recipient(kind="oversight")],
                values={"plan": "p", "commitment": "c"},
                link=None,
                now=datetime.now(UTC),
            )
    finally:
        notification_service.configure(settings)
    rows = {row["event_key"]: row["id"] for row in await outbox_rows()}
    assert len(rows) == 4

    async def keys(username: str) -> set[str]:
        headers = await login(client, world, username)
        response = await client.get("/api/v1/notifications", headers=headers)
        assert response.status_code == 200, response.text
        assert int(response.headers["x-total-count"]) == len(response.json())
        return {row["event_key"] for row in response.json()}

    assert await keys("admin") == set(rows)  # the root admin also sees the oversight channel
    await world.add_user("admin_d2", "admin", "D2")
    assert await keys("admin_d2") == {"action.verified:in-d2:v1", "action.verified:user-in-d2:v1"}
    admin_d2 = await login(client, world, "admin_d2")
    for key, message_id in rows.items():
        one = await client.get(f"/api/v1/notifications/{message_id}", headers=admin_d2)
        assert one.status_code == (200 if "d2" in key else 404), (key, one.text)
        requeue = await client.post(f"/api/v1/notifications/{message_id}/requeue", headers=admin_d2)
        assert requeue.status_code == (409 if "d2" in key else 404), (key, requeue.text)
    head = await login(client, world, "head_c3")
    denied = await client.get(
        f"/api/v1/notifications/{rows['action.verified:in-d2:v1']}", headers=head
    )
    assert denied.status_code == 403
