"""The whole inspector flow over HTTP, as a phone does it: plan → bootstrap → evidence → sync
(start, answers, finding, submit, sign) → the unit head sees it only once it has started."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.conftest import World, problem_detail
from tests.helpers import (
    answer_ops,
    create_plan_for,
    now_iso,
    op,
    photo_bytes,
    plan_payload,
    publish_shipped_checklist,
    sha256_hex,
    upload_evidence,
)

FAILED_ITEMS = {"A5", "C1", "D5"}  # one critical, two major


async def test_whole_inspector_flow(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    _, template = await publish_shipped_checklist()
    inspector = await world.login(client, "inspector")
    head = await world.login(client, "head_c1")

    # Before the start the unit head cannot learn the inspection exists.
    assert (
        await client.get(f"/api/v1/inspections/{inspection_id}", headers=head)
    ).status_code == 404
    assert (await client.get("/api/v1/inspections", headers=head)).json() == []

    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    assert [a["id"] for a in boot["assignments"]] == [inspection_id]
    assert boot["checklist_versions"][0]["content"]["key"] == template.key

    photos = [
        await upload_evidence(client, inspector, photo_bytes((i * 40, 10, 10))) for i in range(3)
    ]
    unit = boot["assignments"][0]["unit"]
    batch = [
        op(
            "start",
            inspection_id=inspection_id,
            device_time=now_iso(),
            latitude=unit["latitude"] + 0.0005,
            longitude=unit["longitude"],
            accuracy_m=10,
        ),
        *answer_ops(template, inspection_id, photos, FAILED_ITEMS),
        op(
            "finding",
            inspection_id=inspection_id,
            finding_id=str(uuid.uuid4()),
            category="discipline",
            severity="major",
            description="Cán bộ tiếp nhận không đeo thẻ công chức",
            staff_name="Nguyễn Văn A",
            evidence=photos[:1],
            device_time=now_iso(),
        ),
        op("submit", inspection_id=inspection_id, device_time=now_iso()),
    ]
    sync = await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-1", "sent_at": now_iso(), "ops": batch},
        headers=inspector,
    )
    assert sync.status_code == 200, sync.text
    statuses = [result["status"] for result in sync.json()["results"]]
    assert statuses == ["applied"] * len(batch), sync.json()["results"]
    submitted = sync.json()["results"][-1]["result"]
    assert submitted["findings"] == len(FAILED_ITEMS)

    # Started: now the unit head sees it, with its score and findings.
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=head)).json()
    assert detail["status"] == "submitted"
    assert detail["start"]["distance_m"] < 100
    assert detail["flags"] == []
    assert {f["item_key"] for f in detail["findings"] if f["source"] == "checklist"} == FAILED_ITEMS
    assert any(f["source"] == "manual" for f in detail["findings"])
    assert detail["score"]["critical_failures"] == ["A5"]
    assert detail["rating_band"] == template.bands_from_lowest()[0].key

    signature = await upload_evidence(client, inspector, photo_bytes((0, 0, 0), (120, 40)))
    sign_ops = [
        op(
            "sign",
            inspection_id=inspection_id,
            signer_role="team_head",
            signer_name="Lê Minh Tuấn",
            signature_sha256=signature,
            device_time=now_iso(),
        ),
        op(
            "sign",
            inspection_id=inspection_id,
            signer_role="unit_representative",
            signer_name="Vũ Đức Phương",
            refused=True,
            refusal_reason="Không đồng ý với kết luận mục A5",
            witness_name="Trần Văn B",
            device_time=now_iso(),
        ),
    ]
    signed = await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-1", "sent_at": now_iso(), "ops": sign_ops},
        headers=inspector,
    )
    assert [r["status"] for r in signed.json()["results"]] == ["applied", "applied"]
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=head)).json()
    assert detail["status"] == "signed"
    assert {s["signer_role"] for s in detail["signatures"]} == {"team_head", "unit_representative"}

    # Signed means immutable: a late answer is rejected, corrections go to addenda.
    late = await client.post(
        "/mobile/v1/sync",
        json={
            "device_id": "phone-1",
            "sent_at": now_iso(),
            "ops": [
                op(
                    "answer",
                    inspection_id=inspection_id,
                    item_key="A4",
                    value="no",
                    device_time=now_iso(),
                )
            ],
        },
        headers=inspector,
    )
    assert late.json()["results"][0]["status"] == "rejected"
    assert "signed" in late.json()["results"][0]["reason"]
    addendum = await client.post(
        f"/api/v1/inspections/{inspection_id}/addenda",
        json={"text": "Bổ sung: biên bản ghi nhầm số hồ sơ mẫu."},
        headers=inspector,
    )
    assert addendum.status_code == 201, addendum.text


async def test_start_far_away_with_skewed_clock_is_flagged(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C2")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    result = await client.post(
        "/mobile/v1/sync",
        json={
            "device_id": "phone-1",
            # The phone's clock runs two hours ahead: its sending time says so.
            "sent_at": now_iso(timedelta(hours=2)),
            "ops": [
                op(
                    "start",
                    inspection_id=inspection_id,
                    device_time=now_iso(timedelta(hours=2)),
                    latitude=21.0285,  # Hà Nội, far from the unit
                    longitude=105.8542,
                )
            ],
        },
        headers=inspector,
    )
    assert result.json()["results"][0]["status"] == "applied"
    assert set(result.json()["results"][0]["result"]["flags"]) == {"outside_geofence", "clock_skew"}


async def test_submit_lists_missing_evidence_and_unanswered_items(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    never_uploaded = sha256_hex(b"a photo that never arrived")
    ops = [
        op(
            "start",
            inspection_id=inspection_id,
            device_time=now_iso(),
            latitude=20.25,
            longitude=106.2,
        ),
        op(
            "answer",
            inspection_id=inspection_id,
            item_key="A4",
            value="yes",
            evidence=[never_uploaded],
            device_time=now_iso(),
        ),
        op("submit", inspection_id=inspection_id, device_time=now_iso()),
    ]
    response = await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-1", "sent_at": now_iso(), "ops": ops},
        headers=inspector,
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert never_uploaded in results[2]["reason"]


async def test_op_on_an_inspection_not_assigned_is_rejected_without_revealing_it(
    client, world: World
) -> None:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    other = await world.login(client, "inspector2")
    answers = []
    made_up = str(uuid.uuid4())
    for target in (inspection_id, made_up):
        response = await client.post(
            "/mobile/v1/sync",
            json={
                "device_id": "phone-2",
                "sent_at": now_iso(),
                "ops": [
                    op(
                        "start",
                        inspection_id=target,
                        device_time=now_iso(),
                        latitude=20.0,
                        longitude=106.0,
                    )
                ],
            },
            headers=other,
        )
        answers.append(response.json()["results"][0])
    assert [a["status"] for a in answers] == ["rejected", "rejected"]
    # Same wording for an existing and a made-up id: nothing to learn from the difference.
    assert answers[0]["reason"].replace(inspection_id, "X") == answers[1]["reason"].replace(
        made_up, "X"
    )


async def test_invalid_plan_is_refused_with_a_clear_detail(client, world: World) -> None:
    version_id, _ = await publish_shipped_checklist()
    leader = await world.login(client, "leader_d1")
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["head_c1"],  # a unit head cannot be on a team
        targets=[world.units["C1"]],
    )
    response = await client.post("/api/v1/plans", json=body, headers=leader)
    assert response.status_code == 422
    assert "cannot be on an inspection team" in problem_detail(response)
