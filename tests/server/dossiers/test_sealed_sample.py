"""The sealed dossier sample over HTTP: a plan seals a sample from each target unit's ledger,
verify recomputes it after the reveal and catches tampering, nobody of the unit sees any of it,
the phone's ``dossier_check`` op, and submit turning mismatches into findings."""

from __future__ import annotations

import dataclasses
import io
import json
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pypdf import PdfReader

from server.core.audit.services import Actor
from server.dossiers import sample as sample_algorithm
from server.dossiers import services as dossier_service
from server.dossiers.fees import rule_context, use_fee_catalogue
from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.model import DossierRecord
from server.dossiers.rules import check_ledger
from server.dossiers.tables import DossierSample
from server.dossiers.writing import write_csv
from server.inspections.tables import Finding
from tests.conftest import World, problem_detail
from tests.helpers import (
    answer_ops,
    now_iso,
    op,
    photo_bytes,
    plan_payload,
    publish_shipped_checklist,
    start_op,
    sync,
    upload_evidence,
)

PERIOD = (date(2024, 1, 1), date(2024, 3, 31))
SAMPLE = {
    "size": 6,
    "period_from": PERIOD[0].isoformat(),
    "period_to": PERIOD[1].isoformat(),
    "strata": ["channel"],
    "flagged_weight": 3,
}


async def login(client: httpx.AsyncClient, world: World, name: str) -> dict[str, str]:
    cache: dict[str, dict[str, str]] = world.__dict__.setdefault("_headers", {})
    if name not in cache:
        cache[name] = await world.login(client, name)
    return cache[name]


async def import_ledger(
    world: World, unit_code: str, count: int = 80, records: list[DossierRecord] | None = None
) -> list[DossierRecord]:
    if records is None:
        records = generate_ledger(11, unit_code=unit_code, count=count).records
    text = io.StringIO(newline="")
    write_csv(shipped_layout("one-stop-export"), records, text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        unit = await dossier_service.unit_by_code(unit_code)
        await dossier_service.import_for_unit(
            unit,
            path=path,
            file_name="ledger.csv",
            file_format="csv",
            layout="one-stop-export",
            actor=Actor(id=None, label="test"),
        )
    return records


async def create_plan(
    client: httpx.AsyncClient,
    world: World,
    targets: list[str],
    *,
    window_days: tuple[int, int] = (-1, 6),
    visibility: str = "at_creation",
    sample: dict[str, Any] | None = None,
) -> dict[str, Any]:
    version_id, _ = await publish_shipped_checklist()
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        targets=[world.units[code] for code in targets],
        visibility=visibility,
        window_days=window_days,
    )
    body["dossier_sample"] = sample if sample is not None else SAMPLE
    response = await client.post(
        "/api/v1/plans", json=body, headers=await login(client, world, "leader_d1")
    )
    assert response.status_code == 201, response.text
    return response.json()


def expected_codes(
    records: list[DossierRecord], plan_id: str, unit_id: str, nonce: str
) -> set[str]:
    """The sample recomputed from the ledger alone, as anyone holding it can after the reveal."""
    in_period = [r for r in records if PERIOD[0] <= r.received.day <= PERIOD[1]]
    flags = check_ledger(in_period, rule_context(PERIOD[1])).flags
    pool = [
        sample_algorithm.PoolRow(
            r.dossier_code, r.channel.value if r.channel else "unknown", r.dossier_code in flags
        )
        for r in in_period
    ]
    result = sample_algorithm.draw_sample(
        pool,
        size=SAMPLE["size"],
        nonce=nonce,
        salt=sample_algorithm.salt_for(plan_id, unit_id),
        flagged_weight=3,
    )
    return set(result.codes)


def sampled_codes(plan: dict[str, Any]) -> list[str]:
    return [d["dossier_code"] for s in plan["dossier_samples"] for d in s["dossiers"]]


# --- sealing, reveal, verify -------------------------------------------------------------------


async def test_a_plan_seals_a_sample_per_ledger_unit_that_verifies_after_reveal(
    client: httpx.AsyncClient, world: World
) -> None:
    records = await import_ledger(world, "C1")
    plan = await create_plan(client, world, ["C1", "C2"], window_days=(-10, -1))

    # C1 has a ledger, C2 none: one sample, of the size asked, with the system's values.
    (sample,) = plan["dossier_samples"]
    assert sample["unit_id"] == str(world.units["C1"])
    assert sample["pool_size"] == len(records)
    assert len(sample["dossiers"]) == 6 and sum(sample["allocation"].values()) == 6
    by_code = {r.dossier_code: r for r in records}
    for dossier in sample["dossiers"]:
        record = by_code[dossier["dossier_code"]]
        assert dossier["stratum"] == dossier["channel"] == record.channel.value  # type: ignore[union-attr]
        assert dossier["system"]["component_files"] == record.component_files
        assert dossier["system"]["received_at"].startswith(record.received.day.isoformat())
    # The document binds the sample by digests; no dossier code is in it.
    section = plan["document"]["dossier_sample"]
    assert section["algorithm"] == sample_algorithm.SAMPLE_ALGORITHM
    assert [unit["unit_id"] for unit in section["units"]] == [str(world.units["C1"])]
    assert not any(code in json.dumps(plan["document"]) for code in sampled_codes(plan))

    leader = await login(client, world, "leader_d1")
    revealed = await client.post(f"/api/v1/plans/{plan['id']}/reveal", headers=leader)
    nonce = revealed.json()["nonce"]
    # Anyone with the ledger and the nonce recomputes the same sample.
    assert set(sampled_codes(plan)) == expected_codes(
        records, plan["id"], str(world.units["C1"]), nonce
    )
    verified = (await client.get(f"/api/v1/plans/{plan['id']}/verify", headers=leader)).json()
    assert verified["status"] == "match", verified["explanation"]
    # Anyone may verify a revealed plan, the unit's head too: it says whether the sample
    # recomputes, never which dossiers it holds.
    head = await login(client, world, "head_c1")
    by_head = await client.get(f"/api/v1/plans/{plan['id']}/verify", headers=head)
    assert by_head.json()["dossier_samples_match"] is True
    assert not any(code in by_head.text for code in sampled_codes(plan))
    assert verified["dossier_samples_match"] is True
    assert verified["dossier_samples"] == [
        {"unit_id": str(world.units["C1"]), "pool_matches": True, "sample_matches": True, "size": 6}
    ]

    # Tampering with the stored pool (unflag a flagged dossier) is caught ...
    row = (
        await DossierSample.select()
        .where(DossierSample.plan_id == plan["id"])
        .first()
        .output(load_json=True)
    )
    assert row is not None
    pool = [list(entry) for entry in row["pool"]]
    pool[0][2] = not pool[0][2]
    await DossierSample.update({DossierSample.pool: pool}).where(DossierSample.id == row["id"])
    tampered = (await client.get(f"/api/v1/plans/{plan['id']}/verify", headers=leader)).json()
    assert tampered["status"] == "mismatch" and tampered["dossier_samples_match"] is False
    assert tampered["dossier_samples"][0]["pool_matches"] is False
    assert "dossier sample" in tampered["explanation"]
    # ... and so is swapping a sampled dossier for one the unit would rather show.
    dossiers = list(row["dossiers"])
    spare = next(code for code in by_code if code not in sampled_codes(plan))
    dossiers[0] = {**dossiers[0], "dossier_code": spare}
    await DossierSample.update(
        {DossierSample.pool: row["pool"], DossierSample.dossiers: dossiers}
    ).where(DossierSample.id == row["id"])
    swapped = (await client.get(f"/api/v1/plans/{plan['id']}/verify", headers=leader)).json()
    assert swapped["status"] == "mismatch"
    assert swapped["dossier_samples"][0] == {
        "unit_id": str(world.units["C1"]),
        "pool_matches": True,
        "sample_matches": False,
        "size": 6,
    }
    # ... and so is a sample removed from the database.
    await DossierSample.delete().where(DossierSample.id == row["id"])
    removed = (await client.get(f"/api/v1/plans/{plan['id']}/verify", headers=leader)).json()
    assert removed["status"] == "mismatch" and removed["dossier_samples_match"] is False


async def test_a_sample_sealed_before_the_fee_catalogue_still_verifies_and_new_ones_use_it(
    client: httpx.AsyncClient, world: World
) -> None:
    records = generate_ledger(11, unit_code="C1", count=80, plant=False).records
    free = next(i for i, r in enumerate(records) if r.procedure_code == "2.000635")  # birth
    records[free] = dataclasses.replace(records[free], fee=30_000, paid_online=False)
    fee_case = records[free].dossier_code
    await import_ledger(world, "C1", records=records)

    async def pool_flag(plan_id: str) -> bool:
        row = (
            await DossierSample.select(DossierSample.pool)
            .where(DossierSample.plan_id == plan_id)
            .first()
            .output(load_json=True)
        )
        assert row is not None
        (flag,) = [entry[2] for entry in row["pool"] if entry[0] == fee_case]
        return bool(flag)

    use_fee_catalogue("none")
    try:
        before = await create_plan(client, world, ["C1"], window_days=(-10, -1))
    finally:
        use_fee_catalogue("ninh-binh")
    after = await create_plan(client, world, ["C1"], window_days=(-10, -1))

    # The sealed pool keeps the flags it was drawn with; only the new draw flags the fee. Each
    # sealed section names the catalogue its pools were flagged with.
    assert await pool_flag(before["id"]) is False
    assert await pool_flag(after["id"]) is True
    assert before["document"]["dossier_sample"]["fee_catalogue"] is None
    assert after["document"]["dossier_sample"]["fee_catalogue"] == "ninh-binh"
    leader = await login(client, world, "leader_d1")
    for plan in (before, after):
        await client.post(f"/api/v1/plans/{plan['id']}/reveal", headers=leader)
        verified = (await client.get(f"/api/v1/plans/{plan['id']}/verify", headers=leader)).json()
        assert verified["status"] == "match", verified["explanation"]
        assert verified["dossier_samples_match"] is True


async def test_a_bad_sample_request_is_refused_with_what_was_wrong(
    client: httpx.AsyncClient, world: World
) -> None:
    version_id, _ = await publish_shipped_checklist()
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        targets=[world.units["C1"]],
    )
    leader = await login(client, world, "leader_d1")
    for bad, words in [
        ({**SAMPLE, "size": 0}, "size"),
        ({**SAMPLE, "size": 101}, "size"),
        ({**SAMPLE, "flagged_weight": 11}, "flagged_weight"),
        ({**SAMPLE, "strata": ["office"]}, "strata"),
        ({**SAMPLE, "period_to": "2023-12-31"}, "period_to is before period_from"),
    ]:
        response = await client.post(
            "/api/v1/plans", json={**body, "dossier_sample": bad}, headers=leader
        )
        assert response.status_code == 422, response.text
        assert words in problem_detail(response)
    assert await DossierSample.count() == 0


# --- secrecy -----------------------------------------------------------------------------------


async def test_nobody_of_the_unit_sees_anything_of_the_sample_before_or_after_the_visit(
    client: httpx.AsyncClient, world: World
) -> None:
    await world.add_user("clerk_c1", "inspector", "C1")  # the unit's own staff
    await import_ledger(world, "C1")
    plan = await create_plan(client, world, ["C1"])
    codes = sampled_codes(plan)
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await login(client, world, "inspector")

    async def unit_side_sees_nothing() -> None:
        for name in ("head_c1", "clerk_c1"):
            headers = await login(client, world, name)
            bodies = []
            for path in (
                "/api/v1/plans",
                f"/api/v1/plans/{plan['id']}",
                f"/api/v1/plans/{plan['id']}/verify",
                "/api/v1/inspections",
                f"/api/v1/inspections/{inspection_id}",
                "/mobile/v1/bootstrap",
            ):
                bodies.append((await client.get(path, headers=headers)).text)
            changes = await client.get(
                "/mobile/v1/changes", params={"cursor": cursor}, headers=headers
            )
            bodies.append(changes.text)
            for body in bodies:
                assert not any(code in body for code in codes), body[:300]
            evidence = await client.get(f"/api/v1/evidence/{photo}", headers=headers)
            assert evidence.status_code == 404

    # The team sees the sample with its assignment.
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    cursor = boot["sync_cursor"]
    (assignment,) = boot["assignments"]
    assert [d["dossier_code"] for d in assignment["dossier_sample"]] == codes
    photo = await upload_evidence(client, inspector, photo_bytes((200, 10, 10)))
    # Before the visit (planned, not started): nothing on the unit's side.
    await unit_side_sees_nothing()
    started = await sync(client, inspector, [start_op(inspection_id)])
    assert started[0]["status"] == "applied"
    checked = await sync(
        client,
        inspector,
        [check_op(inspection_id, codes[0], received="mismatch", evidence=[photo])],
    )
    assert checked[0]["status"] == "applied", checked
    # Before the visit is over (started, checked, not submitted): nothing on the unit's side.
    await unit_side_sees_nothing()
    # The check's photo is the team's and the leaders' above the unit.
    for name in ("inspector", "leader_d1"):
        shown = await client.get(
            f"/api/v1/evidence/{photo}", headers=await login(client, world, name)
        )
        assert shown.status_code == 200, name

    # After submit the unit reads the finding the mismatch made, but still not the sample.
    await submit_inspection(client, world, inspection_id)
    head = await login(client, world, "head_c1")
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=head)).json()
    (finding,) = [f for f in detail["findings"] if f["source"] == "dossier_sample"]
    assert codes[0] in finding["description"]
    assert not any(code in json.dumps(detail) for code in codes[1:])
    evidence = await client.get(f"/api/v1/evidence/{photo}", headers=head)
    assert evidence.status_code == 200  # through the finding, as any finding's photo


async def test_an_assignment_hidden_until_the_visit_day_hides_its_sample_too(
    client: httpx.AsyncClient, world: World
) -> None:
    await import_ledger(world, "C1")
    plan = await create_plan(client, world, ["C1"], window_days=(2, 6), visibility="on_visit_day")
    assert len(sampled_codes(plan)) == 6  # the leader sees it in the plan
    inspector = await login(client, world, "inspector")
    boot = await client.get("/mobile/v1/bootstrap", headers=inspector)
    assert boot.json()["assignments"] == []
    assert not any(code in boot.text for code in sampled_codes(plan))


# --- the dossier_check op ----------------------------------------------------------------------


def check_op(
    inspection_id: str,
    code: str,
    *,
    device_time: str | None = None,
    evidence: list[str] | None = None,
    paper: dict[str, str] | None = None,
    note: str | None = None,
    **checks: str,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "inspection_id": inspection_id,
        "dossier_code": code,
        "checks": checks,
        "evidence": evidence or [],
        "device_time": device_time or now_iso(),
    }
    if paper is not None:
        payload["paper"] = paper
    if note is not None:
        payload["note"] = note
    return op("dossier_check", **payload)


async def started_inspection(
    client: httpx.AsyncClient, world: World
) -> tuple[str, list[str], dict[str, str]]:
    await import_ledger(world, "C1")
    plan = await create_plan(client, world, ["C1"])
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await login(client, world, "inspector")
    assert (await sync(client, inspector, [start_op(inspection_id)]))[0]["status"] == "applied"
    return inspection_id, sampled_codes(plan), inspector


async def test_the_dossier_check_op_records_last_writer_wins_and_comes_back_to_a_second_phone(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, codes, inspector = await started_inspection(client, world)
    cursor = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()["sync_cursor"]
    newer = check_op(
        inspection_id,
        codes[0],
        received="mismatch",
        resolved="match",
        note="Phiếu tiếp nhận ghi ngày khác, không có ngày trên hồ sơ giấy",
    )
    older = check_op(
        inspection_id, codes[0], device_time=now_iso(-timedelta(minutes=3)), received="match"
    )
    results = await sync(client, inspector, [newer, older, newer])
    assert [r["status"] for r in results] == ["applied", "applied", "duplicate"]
    assert results[0]["result"] == {"recorded": codes[0]}
    assert results[1]["result"]["kept"] == "newer check already recorded"

    changes = (
        await client.get("/mobile/v1/changes", params={"cursor": cursor}, headers=inspector)
    ).json()
    (check,) = changes["dossier_checks"]
    assert check["dossier_code"] == codes[0]
    assert (
        check["checks"]["received"] == "mismatch"
        and check["checks"]["fee_receipt"] == "not_checked"
    )
    assert check["paper"] == {"received_at": None, "resolved_at": None, "returned_at": None}
    # A phone that bootstraps now gets the checks with the assignment.
    (assignment,) = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()[
        "assignments"
    ]
    assert [c["dossier_code"] for c in assignment["dossier_checks"]] == [codes[0]]


async def test_the_dossier_check_op_is_rejected_off_sample_off_team_and_after_submit(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, codes, inspector = await started_inspection(client, world)
    off_sample = await sync(
        client, inspector, [check_op(inspection_id, "NOT-SAMPLED", received="match")]
    )
    assert off_sample[0]["status"] == "rejected"
    assert "not in this inspection's sample" in off_sample[0]["reason"]

    other = await login(client, world, "inspector2")
    unknown_id = str(uuid.uuid4())
    off_team = await sync(client, other, [check_op(inspection_id, codes[0], received="match")])
    unknown = await sync(client, other, [check_op(unknown_id, codes[0], received="match")])
    # Worded the same whether or not the inspection exists.
    assert off_team[0]["status"] == unknown[0]["status"] == "rejected"
    assert off_team[0]["reason"].replace(inspection_id, "…") == unknown[0]["reason"].replace(
        unknown_id, "…"
    )

    bad = await sync(
        client,
        inspector,
        [
            check_op(inspection_id, codes[0], received="maybe"),
            check_op(inspection_id, codes[0], paper={"received_at": "1999-01-01T08:00:00+07:00"}),
            op(
                "dossier_check",
                inspection_id=inspection_id,
                dossier_code=codes[0],
                checks={},
                note="x" * 2001,
                device_time=now_iso(),
            ),
        ],
    )
    assert [r["status"] for r in bad] == ["rejected"] * 3
    assert "checks.received" in bad[0]["reason"] and "paper.received_at" in bad[1]["reason"]
    assert "note" in bad[2]["reason"]

    await submit_inspection(client, world, inspection_id)
    late = await sync(client, inspector, [check_op(inspection_id, codes[0], received="match")])
    assert late[0]["status"] == "rejected" and "submitted" in late[0]["reason"]


# --- submit ------------------------------------------------------------------------------------


async def submit_inspection(
    client: httpx.AsyncClient, world: World, inspection_id: str
) -> dict[str, Any]:
    _, template = await publish_shipped_checklist()
    inspector = await login(client, world, "inspector")
    photos = [
        await upload_evidence(client, inspector, photo_bytes((i * 40, 10, 10))) for i in range(3)
    ]
    results = await sync(
        client,
        inspector,
        [
            *answer_ops(template, inspection_id, photos, set()),
            op("submit", inspection_id=inspection_id, device_time=now_iso()),
        ],
    )
    assert results[-1]["status"] == "applied", results[-1]
    return results[-1]


async def test_submit_turns_each_mismatched_dossier_into_a_finding_that_says_what_differs(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, codes, inspector = await started_inspection(client, world)
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    sampled = {d["dossier_code"]: d for d in boot["assignments"][0]["dossier_sample"]}
    resolved = next(code for code in codes if sampled[code]["system"]["resolved_at"])
    others = [code for code in codes if code != resolved]
    system_resolved = sampled[resolved]["system"]["resolved_at"]
    # The paper shows the dossier resolved a week after the system says.
    later = (
        datetime.fromisoformat(system_resolved) + timedelta(days=7)
        if "T" in system_resolved
        else datetime.fromisoformat(system_resolved + "T10:00:00+07:00") + timedelta(days=7)
    )
    missing_photo = "ab" * 32
    ops = [
        check_op(
            inspection_id,
            resolved,
            resolved="mismatch",
            received="match",
            paper={"resolved_at": later.isoformat()},
            note="Ngày ký trên quyết định muộn hơn",
            evidence=[missing_photo],
        ),
        check_op(inspection_id, others[0], components="mismatch", result="match"),
        check_op(inspection_id, others[1], received="match", resolved="match"),
    ]
    assert [r["status"] for r in await sync(client, inspector, ops)] == ["applied"] * 3

    # Submit waits for the check's photo, listing it.
    _, template = await publish_shipped_checklist()
    photos = [
        await upload_evidence(client, inspector, photo_bytes((i * 40, 10, 10))) for i in range(3)
    ]
    refused = await sync(
        client,
        inspector,
        [
            *answer_ops(template, inspection_id, photos, set()),
            op("submit", inspection_id=inspection_id, device_time=now_iso()),
        ],
    )
    assert refused[-1]["status"] == "rejected" and missing_photo in refused[-1]["reason"]
    photo = await upload_evidence(client, inspector, photo_bytes((9, 9, 9)))
    fixed = check_op(
        inspection_id,
        resolved,
        resolved="mismatch",
        received="match",
        paper={"resolved_at": later.isoformat()},
        note="Ngày ký trên quyết định muộn hơn",
        evidence=[photo],
    )
    results = await sync(
        client, inspector, [fixed, op("submit", inspection_id=inspection_id, device_time=now_iso())]
    )
    assert [r["status"] for r in results] == ["applied", "applied"], results

    findings = (
        await Finding.select()
        .where(Finding.inspection_id == inspection_id, Finding.source == "dossier_sample")
        .output(load_json=True)
    )
    by_code = {code: f for f in findings for code in codes if f"{code} " in f["description"] + " "}
    assert set(by_code) == {resolved, others[0]}  # the all-match check makes none
    delayed, components = by_code[resolved], by_code[others[0]]
    assert delayed["severity"] == "critical" and components["severity"] == "major"
    assert delayed["category"] == components["category"] == "dossier_handling"
    shown = later.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    assert "ngày giải quyết/ký" in delayed["description"] and shown in delayed["description"]
    assert "resolved/signed date: system" in delayed["description_en"]
    assert "hides a delay" in delayed["description_en"] and "Ngày ký" in delayed["description"]
    assert delayed["evidence"] == [photo]
    assert "thành phần hồ sơ không khớp" in components["description"]
    assert "dossier components differ" in components["description_en"]
    # Each has its corrective action, as findings do.
    leader = await login(client, world, "leader_d1")
    actions = (
        await client.get(
            "/api/v1/actions", params={"unit_id": str(world.units["C1"])}, headers=leader
        )
    ).json()
    titles = " ".join(a["title_en"] for a in actions)
    assert f"Review dossier {resolved}" in titles and f"Review dossier {others[0]}" in titles

    # The minutes say how much of the sample was checked, and state the findings once.
    minutes = await client.get(f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=leader)
    assert minutes.status_code == 200
    text = " ".join(
        " ".join(
            page.extract_text() or "" for page in PdfReader(io.BytesIO(minutes.content)).pages
        ).split()
    )
    assert "đã đối chiếu 3/6 hồ sơ giấy với hệ thống một cửa điện tử; 2 hồ sơ không khớp" in text
    assert text.count(f"Hồ sơ {resolved}") == 1


# --- the sample's checks feed D4 ---------------------------------------------------------------


async def test_d4_is_judged_at_submit_against_the_date_mismatches_of_the_stored_checks(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, codes, inspector = await started_inspection(client, world)
    _, template = await publish_shipped_checklist()
    photos = [
        await upload_evidence(client, inspector, photo_bytes((i * 40, 10, 10))) for i in range(3)
    ]
    answers = [
        answer
        for answer in answer_ops(template, inspection_id, photos, set())
        if answer["payload"]["item_key"] != "D4"
    ]

    def d4(value: int, **extra: Any) -> dict[str, Any]:
        return op(
            "answer",
            inspection_id=inspection_id,
            item_key="D4",
            value=value,
            evidence=photos[:1],
            device_time=now_iso(),
            **extra,
        )

    checks = [
        check_op(inspection_id, codes[0], received="match", resolved="match", receipt_slip="match"),
        # No date compared: not one of D4's checked dossiers; its receipt slip is missing (D1).
        check_op(inspection_id, codes[1], components="mismatch", receipt_slip="mismatch"),
    ]
    # The phone took 0 (1 dossier's dates checked); a teammate's check of a return date that
    # does not match arrives before the submit: the server recomputes 1 from the stored checks.
    teammate = check_op(inspection_id, codes[2], returned="mismatch", note="Sổ ghi trả muộn")
    submit = op("submit", inspection_id=inspection_id, device_time=now_iso())
    results = await sync(
        client,
        inspector,
        [*checks, *answers, d4(0, source="dossier_sample"), teammate, submit],
    )
    assert [r["status"] for r in results[:-1]] == ["applied"] * (len(results) - 1)
    assert results[-1]["status"] == "rejected"
    assert (
        "D4 (the sample's checks say (2 of 6 dossiers checked) 1, the answer is 0)"
        in results[-1]["reason"]
    )

    # Taking the checks' new figure passes; it is stored as taken, with what it rests on.
    again = op("submit", inspection_id=inspection_id, device_time=now_iso())
    results = await sync(client, inspector, [d4(1, source="dossier_sample"), again])
    assert [r["status"] for r in results] == ["applied", "applied"], results
    leader = await login(client, world, "leader_d1")
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=leader)).json()
    answer = next(a for a in detail["answers"] if a["item_key"] == "D4")
    assert answer["source"] == "dossier_sample"
    assert answer["ledger"] | {"as_of": None} == {
        "status": "taken",
        "source": "dossier_sample",
        "value": 1,
        "numerator": None,
        "denominator": None,
        "period_from": None,
        "period_to": None,
        "dossiers": None,
        "as_of": None,
        "checked": 2,
        "sampled": 6,
    }
    # D1 (a receipt slip for every dossier) was answered 100 % with a note: an override of the
    # checks' 1 of 2.
    d1 = next(a for a in detail["answers"] if a["item_key"] == "D1")["ledger"]
    assert (d1["status"], d1["source"], d1["numerator"], d1["denominator"]) == (
        "override",
        "dossier_sample",
        1,
        2,
    )
    assert (d1["checked"], d1["sampled"]) == (2, 6)
    # Items pre-filled from the ledger are not judged against the sample, and the reverse.
    ledger_items = [a for a in detail["answers"] if (a["ledger"] or {}).get("source")]
    assert {a["item_key"] for a in ledger_items} == {"D1", "D4"}

    # The minutes name the source of D4's figure.
    minutes = await client.get(f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=leader)
    text = " ".join(
        " ".join(
            page.extract_text() or "" for page in PdfReader(io.BytesIO(minutes.content)).pages
        ).split()
    )
    assert (
        "Số liệu lấy theo kết quả đối chiếu hồ sơ mẫu: mục D4 (2/6 hồ sơ mẫu đã đối chiếu) theo "
        "kết quả đối chiếu; mục D1 (2/6 hồ sơ mẫu đã đối chiếu) đối chiếu: 1/2, kiểm tra thực tế: "
        in text
    )
    assert "(theo kết quả đối chiếu hồ sơ mẫu)" in text
