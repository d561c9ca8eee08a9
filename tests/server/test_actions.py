"""Corrective actions: created on submit, role rules for every transition, the offline conflict,
closing the inspection, reassignment, overdue with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.actions.tables import CorrectiveAction
from server.notifications.tables import OutboxMessage
from tests.conftest import World, problem_detail
from tests.helpers import now_iso, op, photo_bytes, run_to_signed, sync, upload_evidence

FAILED = {"A5", "C1"}  # critical (7 days) and major (15 days)


async def actions_of(client, headers, inspection_id: str) -> list[dict]:
    response = await client.get(f"/api/v1/actions?inspection_id={inspection_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def move(client, headers, action_id: str, to: str, **extra) -> object:
    return await client.post(
        f"/api/v1/actions/{action_id}/transitions", json={"to": to, **extra}, headers=headers
    )


async def test_submit_creates_one_action_per_finding_due_by_severity(client, world: World) -> None:
    inspection_id = await run_to_signed(client, world, "C1", FAILED)
    head = await world.login(client, "head_c1")
    actions = await actions_of(client, head, inspection_id)
    assert len(actions) == len(FAILED)
    by_severity = {a["severity"]: a for a in actions}
    assert set(by_severity) == {"critical", "major"}
    for severity, days in (("critical", 7), ("major", 15)):
        action = by_severity[severity]
        due = datetime.fromisoformat(action["due_at"])
        created = datetime.fromisoformat(action["created_at"])
        assert (due - created) == timedelta(days=days)
        assert action["status"] == "open"
        assert action["responsible_unit_id"] == str(world.units["C1"])
        assert action["title_vi"]  # the template's default action text
    # The responsible unit was told, in the same transaction as the submit.
    assigned = await OutboxMessage.count().where(OutboxMessage.event_type == "action.assigned")
    assert assigned == len(FAILED)


async def test_full_loop_closes_the_inspection(client, world: World) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    head = await world.login(client, "head_c1")
    inspector = await world.login(client, "inspector")
    (action,) = await actions_of(client, head, inspection_id)
    action_id = action["id"]
    assert (await move(client, head, action_id, "acknowledged")).status_code == 200
    assert (await move(client, head, action_id, "in_progress")).status_code == 200
    # Submitting needs a report and evidence.
    bare = await move(client, head, action_id, "submitted", report="Đã niêm yết bổ sung")
    assert bare.status_code == 422
    assert "evidence" in problem_detail(bare)
    photo = await upload_evidence(client, head, photo_bytes((10, 200, 10)))
    done = await move(
        client, head, action_id, "submitted", report="Đã niêm yết đủ 100% TTHC", evidence=[photo]
    )
    assert done.status_code == 200, done.text
    # Returned with a comment, fixed again, then verified.
    assert (await move(client, inspector, action_id, "returned")).status_code == 422
    returned = await move(client, inspector, action_id, "returned", comment="Còn thiếu phí, lệ phí")
    assert returned.status_code == 200
    assert (await move(client, head, action_id, "in_progress")).status_code == 200
    assert (
        await move(client, head, action_id, "submitted", report="Đã bổ sung", evidence=[photo])
    ).status_code == 200
    verified = await move(client, inspector, action_id, "verified")
    assert verified.status_code == 200
    history = [
        (e["from_status"], e["to_status"])
        for e in verified.json()["history"]
        if e["kind"] == "transition"
    ]
    assert history == [
        ("open", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "submitted"),
        ("submitted", "returned"),
        ("returned", "in_progress"),
        ("in_progress", "submitted"),
        ("submitted", "verified"),
    ]
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=inspector)).json()
    assert detail["status"] == "closed"
    assert detail["closed_at"]


ROLE_RULES = [
    # (who, from-state set-up steps, target, expected status)
    ("inspector", [], "acknowledged", 403),
    ("leader_d1", [], "acknowledged", 403),
    ("head_c2", [], "acknowledged", 404),  # not their unit: not even visible
    ("head_d1", [], "acknowledged", 403),  # sees it (parent unit) but is not the responsible head
    ("head_c1", [], "verified", 403),
    ("head_c1", ["acknowledged", "in_progress", "submitted"], "verified", 403),
    ("inspector2", ["acknowledged", "in_progress", "submitted"], "verified", 404),
    ("leader_d1", ["acknowledged", "in_progress", "submitted"], "verified", 200),
    ("leader_p", ["acknowledged", "in_progress", "submitted"], "returned", 200),
    ("head_c1", [], "submitted", 403),  # skipping states is refused
]


@pytest.mark.parametrize(("who", "steps", "target", "expected"), ROLE_RULES)
async def test_role_rules(client, world: World, who, steps, target, expected) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    head = await world.login(client, "head_c1")
    (action,) = await actions_of(client, head, inspection_id)
    photo = await upload_evidence(client, head, photo_bytes())
    for step in steps:
        extra = {"report": "xong", "evidence": [photo]} if step == "submitted" else {}
        assert (await move(client, head, action["id"], step, **extra)).status_code == 200
    actor = await world.login(client, who)
    extra = {"comment": "chưa đạt"} if target == "returned" else {}
    if target == "submitted":
        extra = {"report": "xong", "evidence": [photo]}
    response = await move(client, actor, action["id"], target, **extra)
    assert response.status_code == expected, response.text
    if expected != 200:
        problem_detail(response)
        row = (
            await CorrectiveAction.select(CorrectiveAction.status)
            .where(CorrectiveAction.id == action["id"])
            .first()
        )
        assert row["status"] == (steps[-1] if steps else "open")


async def test_offline_transition_conflict_is_rejected_with_current_state(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    head = await world.login(client, "head_c1")
    (action,) = await actions_of(client, head, inspection_id)
    # Phone acknowledges offline, having seen "open".
    results = await sync(
        client,
        head,
        [
            op(
                "action_transition",
                action_id=action["id"],
                to="acknowledged",
                expected_status="open",
                device_time=now_iso(),
            )
        ],
    )
    assert results[0]["status"] == "applied"
    # A second phone, also having seen "open", tries to acknowledge: rejected, state named.
    stale = await sync(
        client,
        head,
        [
            op(
                "action_transition",
                action_id=action["id"],
                to="acknowledged",
                expected_status="open",
                device_time=now_iso(),
            )
        ],
    )
    assert stale[0]["status"] == "rejected"
    assert "acknowledged now" in stale[0]["reason"]
    row = (
        await CorrectiveAction.select(CorrectiveAction.version)
        .where(CorrectiveAction.id == action["id"])
        .first()
    )
    assert row["version"] == 2  # exactly one move applied


async def test_leader_reassigns_to_another_unit(client, world: World) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    leader = await world.login(client, "leader_d1")
    (action,) = await actions_of(client, leader, inspection_id)
    response = await client.patch(
        f"/api/v1/actions/{action['id']}/responsible-unit",
        json={"responsible_unit_id": str(world.units["C2"]), "comment": "Giao Văn phòng"},
        headers=leader,
    )
    assert response.status_code == 200, response.text
    assert response.json()["responsible_unit_id"] == str(world.units["C2"])
    head_c2 = await world.login(client, "head_c2")
    assert (await move(client, head_c2, action["id"], "acknowledged")).status_code == 200
    head_c1 = await world.login(client, "head_c1")
    # The inspected unit's head still sees the action but may no longer move it.
    assert (await client.get(f"/api/v1/actions/{action['id']}", headers=head_c1)).status_code == 200
    outside = await client.patch(
        f"/api/v1/actions/{action['id']}/responsible-unit",
        json={"responsible_unit_id": str(world.units["C3"])},
        headers=leader,
    )
    assert outside.status_code == 422


async def test_overdue_filter_uses_the_due_date(client, world: World) -> None:
    inspection_id = await run_to_signed(client, world, "C1", FAILED)
    head = await world.login(client, "head_c1")
    past = datetime.now(UTC) - timedelta(days=1)
    critical = next(
        a for a in await actions_of(client, head, inspection_id) if a["severity"] == "critical"
    )
    await CorrectiveAction.update({CorrectiveAction.due_at: past}).where(
        CorrectiveAction.id == critical["id"]
    )
    overdue = (await client.get("/api/v1/actions?overdue=true", headers=head)).json()
    assert [a["id"] for a in overdue] == [critical["id"]]
    assert overdue[0]["overdue"] is True


async def test_leader_schedules_an_unannounced_follow_up_linked_to_open_actions(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", FAILED)
    leader = await world.login(client, "leader_d1")
    start = datetime.now(UTC) + timedelta(days=20)
    response = await client.post(
        f"/api/v1/inspections/{inspection_id}/follow-ups",
        json={
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(days=5)).isoformat(),
            "team_head_id": str(world.users["inspector2"]),
        },
        headers=leader,
    )
    assert response.status_code == 201, response.text
    follow_up_id = response.json()["targets"][0]["inspection_id"]
    assert response.json()["commitment"]  # sealed like any plan
    actions = await actions_of(client, leader, inspection_id)
    assert {a["follow_up_inspection_id"] for a in actions} == {follow_up_id}
    # Unannounced: the unit head learns nothing of the follow-up until it starts.
    head = await world.login(client, "head_c1")
    assert (
        await client.get(f"/api/v1/inspections/{follow_up_id}", headers=head)
    ).status_code == 404
    # Only leaders schedule follow-ups.
    refused = await client.post(
        f"/api/v1/inspections/{inspection_id}/follow-ups",
        json={
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(days=5)).isoformat(),
            "team_head_id": str(world.users["inspector2"]),
        },
        headers=head,
    )
    assert refused.status_code == 403


async def test_comments_join_the_history_and_signing_announces_the_minutes(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    head = await world.login(client, "head_c1")
    (action,) = await actions_of(client, head, inspection_id)
    response = await client.post(
        f"/api/v1/actions/{action['id']}/comments",
        json={"text": "Đã giao công chức phụ trách niêm yết"},
        headers=head,
    )
    assert response.status_code == 200, response.text
    comments = [e for e in response.json()["history"] if e["kind"] == "comment"]
    assert [c["comment"] for c in comments] == ["Đã giao công chức phụ trách niêm yết"]
    empty = await client.post(
        f"/api/v1/actions/{action['id']}/comments", json={"text": "  "}, headers=head
    )
    assert empty.status_code == 422
    outsider = await world.login(client, "head_c2")
    hidden = await client.post(
        f"/api/v1/actions/{action['id']}/comments", json={"text": "x"}, headers=outsider
    )
    assert hidden.status_code == 404
    ready = await OutboxMessage.select(OutboxMessage.recipient_kind).where(
        OutboxMessage.event_type == "inspection.minutes_ready"
    )
    # To the inspected unit and to the leader who made the plan.
    assert sorted(row["recipient_kind"] for row in ready) == ["unit", "user"]


async def test_detail_shows_the_finding_before_and_the_fix_after(client, world: World) -> None:
    notes = {"C1": "Chưa công khai số điện thoại đường dây nóng"}
    inspection_id = await run_to_signed(client, world, "C1", {"C1"}, notes=notes)
    head = await world.login(client, "head_c1")
    (action,) = await actions_of(client, head, inspection_id)
    detail = (await client.get(f"/api/v1/actions/{action['id']}", headers=head)).json()
    inspection = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=head)).json()
    (finding,) = [f for f in inspection["findings"] if f["id"] == action["finding_id"]]
    # The finding as recorded: the checklist's text with the inspector's note, and in English.
    assert detail["finding_description"] == finding["description"]
    assert notes["C1"] in detail["finding_description"]
    assert detail["finding_description_en"] == finding["description_en"]
    assert detail["finding_description_en"]
    assert detail["finding_evidence"] == finding["evidence"] != []
    assert (detail["inspected_unit_name_vi"], detail["inspected_unit_name_en"]) == (
        "Đơn vị C1",
        "Unit C1",
    )
    assert detail["responsible_unit_name_vi"] == "Đơn vị C1"
    # Every field of the list row is still there, unchanged.
    assert {key: detail[key] for key in action} == action
    assert detail["evidence"] == []

    after = await upload_evidence(client, head, photo_bytes((10, 200, 10)))
    await move(client, head, action["id"], "acknowledged")
    await move(client, head, action["id"], "in_progress")
    submitted = await move(
        client, head, action["id"], "submitted", report="Đã niêm yết", evidence=[after]
    )
    assert submitted.json()["evidence"] == [after]
    assert submitted.json()["finding_evidence"] == finding["evidence"]


async def test_detail_of_a_hand_written_finding_has_no_english_text(client, world: World) -> None:
    manual = {"category": "discipline", "severity": "minor", "description": "Cán bộ vắng mặt"}
    inspection_id = await run_to_signed(client, world, "C1", set(), manual_findings=[manual])
    leader = await world.login(client, "leader_d1")
    (action,) = await actions_of(client, leader, inspection_id)
    detail = (await client.get(f"/api/v1/actions/{action['id']}", headers=leader)).json()
    assert detail["finding_description"] == "Cán bộ vắng mặt"
    assert detail["finding_description_en"] is None
    assert len(detail["finding_evidence"]) == 1
