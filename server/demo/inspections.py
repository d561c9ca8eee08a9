"""Demo inspections for `make run`, so a newcomer finds something in every screen:

- an open plan for Phương Định assigned to `kiemtra1` (the inspection to try on the phone API),
  with a sealed sample of ten dossiers from the commune's ledger to check on paper;
- a drawn plan over Trực Ninh whose three inspections are already carried out, scored, signed,
  with corrective actions (for summaries, rankings, minutes and the actions flow);
- a past plan for Nam Giang whose nonce can be revealed and verified.

Every Trực Ninh plan seals a dossier sample for the communes with a ledger (Phương Định, Việt
Hùng: ``server/demo/ledgers.py``, loaded first); the visits carried out check a few sampled
dossiers, one of them found not to match the system, so the minutes show a dossier finding.

Runs once: it does nothing when any plan exists. Answers are made from a fixed seed per unit, so
every machine gets the same demo.
"""

from __future__ import annotations

import hashlib
import io
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from PIL import Image, ImageDraw

from checklists import services as checklist_service
from checklists.format import ChecklistTemplate
from server.core.scopes import Principal
from server.core.settings import Settings
from server.demo.ledgers import last_full_quarter, principal_of
from server.dossiers import samples as sample_service
from server.dossiers.schemas import DossierCheckIn, DossierSampleIn, StratumField
from server.evidence import services as evidence_service
from server.inspections import services as inspection_service
from server.inspections.schemas import AnswerIn, SignIn, StartIn, SubmitIn
from server.plans import services as plan_service
from server.plans.schemas import AssignmentVisibility, DrawIn, PlanIn, TargetIn, TeamIn
from server.plans.tables import Plan
from server.units.tables import Unit


async def _unit_id(code: str) -> UUID:
    row = await Unit.select(Unit.id).where(Unit.code == code).first()
    assert row is not None, f"demo unit {code} is missing"
    return UUID(str(row["id"]))


def _photo(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    rng = random.Random(seed)
    image = Image.new(
        "RGB", size, (rng.randrange(120, 230), rng.randrange(120, 230), rng.randrange(120, 230))
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, size[0] - 40, size[1] - 40), outline=(40, 40, 40), width=4)
    draw.text((60, 60), f"Spotcheck demo #{seed}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _signature(name: str) -> bytes:
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line(
        [(20, 90), (90, 30), (150, 85), (220, 35), (330, 80)], fill=(20, 40, 160, 255), width=5
    )
    draw.text((30, 95), name, fill=(20, 40, 160, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def _upload(data: bytes, principal: Principal, settings: Settings) -> str:
    digest = hashlib.sha256(data).hexdigest()
    await evidence_service.store(sha256=digest, data=data, principal=principal, settings=settings)
    return digest


def _answer_for(item: Any, rng: random.Random, strictness: float) -> dict[str, Any]:
    """A plausible answer: most items met, some not, more failures for a lower `strictness`."""
    fails = rng.random() > strictness
    kind = item.answer_type
    if kind in ("yes_no", "yes_no_na"):
        return {"value": "no" if fails else "yes"}
    if kind == "count":
        return {"value": rng.randint(1, 3) if fails else 0}
    if kind == "percent":
        lower_is_better = item.scoring.direction == "lower_is_better"
        denominator = 20
        good = rng.randint(18, 20) if not fails else rng.randint(8, 16)
        numerator = denominator - good if lower_is_better else good
        return {"numerator": numerator, "denominator": denominator}
    if kind == "date":
        return {"value": (date.today() - timedelta(days=rng.randint(1, 60))).isoformat()}
    if kind == "number":
        return {"value": rng.randint(0, 5)}
    return {"value": "Ghi nhận tại chỗ"}


def _demo_sample(today: date) -> DossierSampleIn:
    """Ten dossiers from the demo ledgers' quarter, by channel, flagged ones weighing three."""
    first, last = last_full_quarter(today)
    return DossierSampleIn(
        size=10,
        period_from=first,
        period_to=last,
        strata=[StratumField.channel],
        flagged_weight=3,
    )


async def _check_sampled_dossiers(
    inspection_id: UUID, inspector: Principal, photo: str, rng: random.Random
) -> None:
    """Check the first four sampled dossiers on paper: the first one's paper file shows it
    received a day after the system says; the others match."""
    sample = (await sample_service.samples_of([inspection_id])).get(inspection_id)
    for index, dossier in enumerate((sample or [])[:4]):
        received = dossier.system.received_at
        mismatch = index == 0 and received is not None
        paper = None
        if mismatch and received is not None:
            system_received = (
                datetime.fromisoformat(received)
                if "T" in received
                else datetime.fromisoformat(f"{received}T08:00:00+07:00")
            )
            paper = {"received_at": system_received + timedelta(days=1, hours=rng.randrange(3))}
        await sample_service.record_check(
            DossierCheckIn.model_validate(
                {
                    "inspection_id": inspection_id,
                    "dossier_code": dossier.dossier_code,
                    "checks": {
                        "received": "mismatch" if mismatch else "match",
                        "resolved": "match",
                        "returned": "match",
                        "components": "match",
                        "result": "match",
                        "fee_receipt": "not_checked",
                    },
                    "paper": paper,
                    "note": "Phiếu tiếp nhận ghi ngày muộn hơn hệ thống" if mismatch else None,
                    "evidence": [photo] if mismatch else [],
                    "device_time": datetime.now(UTC),
                }
            ),
            principal=inspector,
            received_at=datetime.now(UTC),
            op_id=uuid4(),
            device_clock_offset=timedelta(0),
        )


async def _carry_out(
    inspection_id: UUID,
    template: ChecklistTemplate,
    inspector: Principal,
    settings: Settings,
    *,
    seed: int,
    strictness: float,
    unit_representative: str,
) -> None:
    rng = random.Random(seed)
    facts = await inspection_service.inspection_facts(inspection_id)
    assert facts is not None
    unit = await Unit.select(Unit.latitude, Unit.longitude).where(Unit.id == facts.unit_id).first()
    assert unit is not None
    now = datetime.now(UTC)
    await inspection_service.start(
        StartIn(
            inspection_id=inspection_id,
            device_time=now,
            latitude=unit["latitude"] + 0.0004,
            longitude=unit["longitude"] - 0.0003,
            accuracy_m=12,
        ),
        principal=inspector,
        received_at=now,
    )
    photos = [await _upload(_photo(seed * 10 + index), inspector, settings) for index in range(3)]
    answers = []
    for _section, item in template.items():
        if item.answer_type in ("signature", "photo"):
            continue
        answer = _answer_for(item, rng, strictness)
        answers.append(
            (
                AnswerIn(
                    inspection_id=inspection_id,
                    item_key=item.key,
                    note="Quan sát trực tiếp tại Bộ phận Một cửa",
                    evidence=photos[: max(1, item.evidence.min_photos)],
                    device_time=datetime.now(UTC),
                    **answer,
                ),
                uuid4(),
            )
        )
    await _check_sampled_dossiers(inspection_id, inspector, photos[0], rng)
    # The whole checklist as one run, as a phone's batch would bring it.
    outcomes = await inspection_service.record_answers(
        answers, principal=inspector, received_at=datetime.now(UTC), device_clock_offset=None
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if refused:
        raise refused[0]
    await inspection_service.submit(
        SubmitIn(inspection_id=inspection_id, device_time=datetime.now(UTC)),
        principal=inspector,
        received_at=datetime.now(UTC),
    )
    head_signature = await _upload(_signature(inspector.username), inspector, settings)
    unit_signature = await _upload(_signature(unit_representative), inspector, settings)
    for role, name, image in (
        ("team_head", "Phạm Thu Trang", head_signature),
        ("unit_representative", unit_representative, unit_signature),
    ):
        await inspection_service.sign(
            SignIn(
                inspection_id=inspection_id,
                signer_role=role,  # type: ignore[arg-type]
                signer_name=name,
                signature_sha256=image,
                device_time=datetime.now(UTC),
            ),
            principal=inspector,
            received_at=datetime.now(UTC),
        )


async def _listed_visits(
    title: str,
    unit_ids: list[UUID],
    *,
    version_id: UUID,
    template: ChecklistTemplate,
    leader: Principal,
    inspector: Principal,
    settings: Settings,
    now: datetime,
    seed: int,
    strictness: list[float],
    representatives: list[str],
) -> list[UUID]:
    """A listed plan over `unit_ids` in Trực Ninh, each visit carried out to signed minutes;
    returns the units visited."""
    plan = await plan_service.create_plan(
        data=PlanIn(
            title=title,
            checklist_version_id=version_id,
            scope_unit_id=await _unit_id("TN"),
            window_start=now - timedelta(days=1),
            window_end=now + timedelta(days=5),
            assignment_visibility=AssignmentVisibility.at_creation,
            teams=[TeamIn(head_id=inspector.user_id)],
            targets=[TargetIn(unit_id=unit_id) for unit_id in unit_ids],
            dossier_sample=_demo_sample(now.date()),
        ),
        principal=leader,
    )
    for index, target in enumerate(plan.targets):
        await _carry_out(
            target.inspection_id,
            template,
            inspector,
            settings,
            seed=seed + index,
            strictness=strictness[index % len(strictness)],
            unit_representative=representatives[index % len(representatives)],
        )
    return [target.unit_id for target in plan.targets]


async def load_demo_inspections(settings: Settings) -> list[str]:
    if await Plan.count():
        return ["demo inspections already loaded"]
    templates = await checklist_service.list_templates()
    if not templates:
        return ["no checklist published; skipped demo inspections"]
    version = templates[0].versions[-1]
    template = await checklist_service.load_version_template(version.id)
    leader = await principal_of("lanhdao.trucninh")
    province_leader = await principal_of("lanhdao.tinh")
    inspector_one = await principal_of("kiemtra1")
    inspector_two = await principal_of("kiemtra2")
    now = datetime.now(UTC)
    notes = []

    open_plan = await plan_service.create_plan(
        data=PlanIn(
            title="Kiểm tra đột xuất Bộ phận Một cửa xã Phương Định",
            checklist_version_id=version.id,
            scope_unit_id=await _unit_id("TN"),
            window_start=now - timedelta(hours=1),
            window_end=now + timedelta(days=14),
            assignment_visibility=AssignmentVisibility.at_creation,
            teams=[TeamIn(head_id=inspector_one.user_id)],
            targets=[TargetIn(unit_id=await _unit_id("TN-PD"))],
            dossier_sample=_demo_sample(now.date()),
        ),
        principal=leader,
    )
    notes.append(f"open plan for Phương Định: inspection {open_plan.targets[0].inspection_id}")

    drawn = await plan_service.create_plan(
        data=PlanIn(
            title="Kiểm tra đột xuất công vụ quý IV/2026 – Trực Ninh",
            checklist_version_id=version.id,
            scope_unit_id=await _unit_id("TN"),
            window_start=now - timedelta(days=2),
            window_end=now + timedelta(days=5),
            assignment_visibility=AssignmentVisibility.at_creation,
            teams=[TeamIn(head_id=inspector_two.user_id)],
            draw=DrawIn(k=3, candidate_kinds=["commune", "town"]),
            dossier_sample=_demo_sample(now.date()),
        ),
        principal=leader,
    )
    representatives = ["Nguyễn Thị Lan", "Trần Văn Bình", "Lê Thị Hoa"]
    carried_out: list[UUID] = []
    for index, target in enumerate(drawn.targets):
        if target.unit_id == await _unit_id("TN-PD"):
            continue  # Phương Định is kept for the open plan above
        await _carry_out(
            target.inspection_id,
            template,
            inspector_two,
            settings,
            seed=index + 1,
            strictness=[0.97, 0.88, 0.75][index % 3],
            unit_representative=representatives[index % 3],
        )
        carried_out.append(target.unit_id)
    notes.append(
        f"drawn plan over Trực Ninh: {len(drawn.targets)} units drawn, {len(carried_out)} inspected"
    )
    # The draw is random; the demo's unit heads (Việt Hùng, Cát Thành) must have fixes to make
    # whatever it drew, so the units it left out get a listed visit of their own.
    missing = [
        unit_id
        for unit_id in [await _unit_id("TN-VH"), await _unit_id("TN-CT")]
        if unit_id not in carried_out
    ]
    if missing:
        carried_out += await _listed_visits(
            "Kiểm tra đột xuất theo danh sách – Trực Ninh",
            missing,
            version_id=version.id,
            template=template,
            leader=leader,
            inspector=inspector_two,
            settings=settings,
            now=now,
            seed=10,
            strictness=[0.85, 0.8],
            representatives=representatives,
        )
        notes.append(f"listed plan for the demo's unit heads: {len(missing)} inspected")

    # A second visit to the same units, so rankings have units with enough inspections to rank.
    revisited = await _listed_visits(
        "Kiểm tra lại Bộ phận Một cửa – Trực Ninh",
        carried_out,
        version_id=version.id,
        template=template,
        leader=leader,
        inspector=inspector_two,
        settings=settings,
        now=now,
        seed=100,
        strictness=[0.9, 0.95, 0.8],
        representatives=representatives[1:] + representatives[:1],
    )
    notes.append(f"second visits: {len(revisited)} inspections carried out")

    past = await plan_service.create_plan(
        data=PlanIn(
            title="Kiểm tra đột xuất thị trấn Nam Giang (đã kết thúc)",
            checklist_version_id=version.id,
            scope_unit_id=await _unit_id("NT"),
            window_start=now - timedelta(days=30),
            window_end=now - timedelta(days=20),
            assignment_visibility=AssignmentVisibility.on_visit_day,
            teams=[TeamIn(head_id=inspector_one.user_id)],
            targets=[TargetIn(unit_id=await _unit_id("NT-NG"))],
        ),
        principal=province_leader,
    )
    notes.append(f"past plan {past.id}: POST /api/v1/plans/{past.id}/reveal, then GET …/verify")
    return notes
