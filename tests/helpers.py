"""Builders shared by tests: published checklists, plans, photos, sync ops and full answer sets."""

from __future__ import annotations

import functools
import hashlib
import io
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from checklists import services as checklist_service
from checklists.format import ChecklistTemplate
from checklists.services import SHIPPED_TEMPLATES_DIR
from server.core.audit.services import Actor
from server.core.audit.tables import AuditEvent
from server.dossiers import services as dossier_service
from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.writing import write_csv
from server.inspections.services import ANSWERS_RECORDED
from server.units import services as unit_service

SHIPPED_CHECKLIST = SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml"


@functools.cache
def shipped_checklist_template() -> ChecklistTemplate:
    """The shipped checklist's file, parsed and validated once per run: that is about half of what
    a publication costs (~15 ms of CPU), and dozens of tests publish it. Only `publish` reads it.
    The path from a file to a publication is tested in tests/checklists/test_publishing.py."""
    return checklist_service.parse_checklist(
        SHIPPED_CHECKLIST.read_text(encoding="utf-8"), str(SHIPPED_CHECKLIST)
    )


async def publish_shipped_checklist() -> tuple[uuid.UUID, ChecklistTemplate]:
    # As `publish_file` does, with the file parsed once (the same actor, so the same audit row).
    await checklist_service.publish(shipped_checklist_template(), actor=Actor(id=None, label="cli"))
    templates = await checklist_service.list_templates()
    version = templates[0].versions[-1]
    return version.id, await checklist_service.load_version_template(version.id)


def photo_bytes(
    color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def op(op_type: str, **payload: Any) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "type": op_type, "payload": payload}


def start_op(inspection_id: str, **extra: Any) -> dict[str, Any]:
    """The phone's start of a visit, standing near the test world's communes (`extra`: more
    payload fields, e.g. the location's accuracy)."""
    return op(
        "start",
        inspection_id=inspection_id,
        device_time=now_iso(),
        latitude=20.28,
        longitude=106.23,
        **extra,
    )


def now_iso(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).isoformat()


def passing_answer(item: Any) -> dict[str, Any]:
    """An answer that fully meets the item."""
    kind = item.answer_type
    if kind in ("yes_no", "yes_no_na"):
        return {"value": "yes"}
    if kind == "count":
        return {"value": 0}
    if kind == "percent":
        lower_is_better = item.scoring.direction == "lower_is_better"
        return {"numerator": 0 if lower_is_better else 10, "denominator": 10}
    if kind == "choice":
        best = max(item.options, key=lambda option: option.points)
        return {"value": best.key}
    if kind == "date":
        return {"value": date.today().isoformat()}
    if kind == "number":
        return {"value": 1}
    return {"value": "ghi chú"}


def failing_answer(item: Any) -> dict[str, Any]:
    kind = item.answer_type
    if kind in ("yes_no", "yes_no_na"):
        return {"value": "no"}
    if kind == "count":
        return {"value": 99}
    if kind == "percent":
        lower_is_better = item.scoring.direction == "lower_is_better"
        return {"numerator": 10 if lower_is_better else 0, "denominator": 10}
    raise ValueError(f"cannot fail a {kind} item")


def plan_payload(
    *,
    checklist_version_id: uuid.UUID,
    scope_unit_id: uuid.UUID,
    head_id: uuid.UUID,
    targets: list[uuid.UUID] | None = None,
    draw_k: int | None = None,
    visibility: str = "at_creation",
    window_days: tuple[int, int] = (-1, 6),
) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=window_days[0])
    end = datetime.now(UTC) + timedelta(days=window_days[1])
    body: dict[str, Any] = {
        "title": "Kiểm tra đột xuất Bộ phận Một cửa",
        "checklist_version_id": str(checklist_version_id),
        "scope_unit_id": str(scope_unit_id),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "assignment_visibility": visibility,
        "teams": [{"head_id": str(head_id), "member_ids": []}],
    }
    if targets is not None:
        body["targets"] = [{"unit_id": str(unit_id)} for unit_id in targets]
    if draw_k is not None:
        body["draw"] = {"k": draw_k}
    return body


async def create_plan_for(client: Any, world: Any, target: str, **options: Any) -> dict[str, Any]:
    """A leader of D1 plans an inspection of one unit, team head `inspector`."""
    version_id, _ = await publish_shipped_checklist()
    leader = await world.login(client, "leader_d1")
    body = plan_payload(
        checklist_version_id=version_id,
        scope_unit_id=world.units["D1"],
        head_id=world.users["inspector"],
        targets=[world.units[target]],
        **options,
    )
    response = await client.post("/api/v1/plans", json=body, headers=leader)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def upload_evidence(client: Any, headers: dict[str, str], data: bytes) -> str:
    digest = sha256_hex(data)
    response = await client.put(f"/mobile/v1/evidence/{digest}", content=data, headers=headers)
    assert response.status_code == 200, response.text
    return digest


def answer_ops(
    template: ChecklistTemplate, inspection_id: str, photos: list[str], failed_items: set[str]
) -> list[dict[str, Any]]:
    """One answer op per answerable item: failing for `failed_items`, passing otherwise, each
    with a note and as many photos as the item's evidence rule asks."""
    ops = []
    for _section, item in template.items():
        if item.answer_type in ("signature", "photo"):
            continue
        answer = failing_answer(item) if item.key in failed_items else passing_answer(item)
        ops.append(
            op(
                "answer",
                inspection_id=inspection_id,
                item_key=item.key,
                note="Quan sát trực tiếp tại quầy",
                evidence=photos[: max(1, item.evidence.min_photos)],
                device_time=now_iso(),
                **answer,
            )
        )
    return ops


async def sync(
    client: Any,
    headers: dict[str, str],
    ops: list[dict[str, Any]],
    *,
    clock: timedelta = timedelta(0),
) -> list[dict[str, Any]]:
    """Send a batch from a phone whose clock is `clock` off the server's."""
    response = await client.post(
        "/mobile/v1/sync",
        json={"device_id": "phone-1", "sent_at": now_iso(clock), "ops": ops},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


async def run_to_signed(
    client: Any,
    world: Any,
    target: str,
    failed_items: set[str],
    *,
    sign: bool = True,
    notes: dict[str, str] | None = None,
    manual_findings: list[dict[str, Any]] | None = None,
) -> str:
    """Plan, start, answer, submit (and sign) an inspection of `target`; returns its id.

    `notes` replace the answer note of chosen items; `manual_findings` are added by hand (each a
    dict of finding fields: category, severity, description, …)."""
    plan = await create_plan_for(client, world, target)
    inspection_id = str(plan["targets"][0]["inspection_id"])
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


async def store_generated_ledger(
    unit_id: uuid.UUID,
    *,
    seed: int,
    period: tuple[date, date],
    count: int,
    layout: str = "one-stop-export",
) -> None:
    """A generated ledger of `count` dossiers received in `period`, imported for the unit as an
    operator would (`spotcheck dossiers import`: no principal, the file written by our writer)."""
    unit = await unit_service.get_unit_unscoped(unit_id)
    assert unit is not None
    records = generate_ledger(
        seed, unit_code=unit.code, period_start=period[0], period_end=period[1], count=count
    ).records
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            write_csv(shipped_layout(layout), records, file)
        await dossier_service.import_for_unit(
            unit,
            path=path,
            file_name=path.name,
            file_format="csv",
            layout=layout,
            actor=Actor(id=None, label="test"),
        )


async def audited_answers(inspection_id: str | None = None) -> list[tuple[str, str | None]]:
    """(item key, op id) of every answer the audit log says was recorded (in one inspection, or
    in all), sorted: each sync batch writes one event per inspection listing its answers."""
    query = AuditEvent.select(AuditEvent.summary).where(AuditEvent.action == ANSWERS_RECORDED)
    if inspection_id is not None:
        query = query.where(AuditEvent.object_id == inspection_id)
    rows = await query.output(load_json=True)
    return sorted(
        (answer["item_key"], answer["op_id"])
        for row in rows
        for answer in row["summary"]["answers"]
    )
