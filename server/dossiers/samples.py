"""The sealed dossier sample of a plan, and the inspectors' checks of the sampled dossiers.

**Sealing.** When a plan asks for a sample (``PlanIn.dossier_sample``), the plans service calls
:func:`draw_for_plan` before its write transaction and :func:`store_for_plan` inside it. For each
target unit with stored dossiers received in the period, the pool (code, stratum, flagged) and
the drawn dossiers (with the system's values as they are now) are stored in ``dossier_sample``;
the plan document binds the parameters and, per unit, the pool's and the drawn codes' digests
(pure algorithm in :mod:`server.dossiers.sample`). A unit with no such dossiers gets no sample.

**Secrecy.** Nothing here is scoped by itself: the plans service shows a plan's samples only
to who may see the plan (its creator and the leaders above, never anyone homed in a target),
and the phone API shows an inspection's sample only to its team, with its assignment. The unit
head and the unit's staff have no route to any of it; they see the findings a mismatch makes
after submit.

**Checks.** The ``dossier_check`` op (:func:`record_check`) records, per (inspection, dossier
code), whether the paper file matches the system; the last writer wins by the answers' rule. On
submit, every check with a mismatch becomes a finding (:func:`submit_findings`), and submit waits
for the evidence the checks reference (:func:`submit_evidence`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import anyio.to_thread

from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import InvalidInput
from server.core.scopes import Principal, Role
from server.core.timeutil import aware
from server.dossiers import sample as sample_algorithm
from server.dossiers.fees import catalogue_in_use, context_with
from server.dossiers.model import DossierRecord, Moment
from server.dossiers.rules import RuleContext, check_ledger
from server.dossiers.schemas import (
    CheckValue,
    DossierCheckIn,
    DossierCheckOut,
    DossierSampleIn,
    PlanDossierSampleOut,
    SampledDossier,
    SampleVerifyOut,
    SystemValuesOut,
)
from server.dossiers.services import record_from_row
from server.dossiers.tables import Dossier, DossierCheck, DossierSample
from server.inspections import services as inspection_service
from server.inspections.services import FindingDraft
from server.units import services as unit_service

FINDING_SOURCE: Final = "dossier_sample"
FINDING_CATEGORY: Final = "dossier_handling"
CHECK_FIELDS: Final = (
    "received",
    "resolved",
    "returned",
    "components",
    "result",
    "fee_receipt",
    "receipt_slip",
)
DATE_FIELDS: Final = {
    "received": "received_at",
    "resolved": "resolved_at",
    "returned": "returned_at",
}
FIELD_WORDS: Final = {
    "received": ("ngày tiếp nhận", "received date"),
    "resolved": ("ngày giải quyết/ký", "resolved/signed date"),
    "returned": ("ngày trả kết quả", "return date"),
    "components": ("thành phần hồ sơ", "dossier components"),
    "result": ("kết quả giải quyết", "result"),
    "fee_receipt": ("biên lai phí, lệ phí", "fee receipt"),
    "receipt_slip": ("giấy tiếp nhận hồ sơ và hẹn trả kết quả", "receipt and appointment slip"),
}


# --- sealing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSample:
    unit_id: UUID
    pool: list[sample_algorithm.PoolRow]
    pool_digest: str
    sample_digest: str
    allocation: dict[str, int]
    dossiers: list[SampledDossier]


@dataclass(frozen=True)
class PlanSamples:
    """What a plan's sample adds: a section of the sealed document, and the rows to store."""

    document_section: dict[str, Any]
    units: list[UnitSample]


def document_section(
    params: DossierSampleIn,
    units: list[tuple[UUID, int, str, str, int]],
    fee_catalogue: str | None = None,
) -> dict[str, Any]:
    """The part of the plan document that binds the sample (no dossier code appears in it).
    ``fee_catalogue``: the posted-fee catalogue the pools were flagged with (None: none), so a
    recomputation from the ledger knows which fees the rules compared with."""
    return {
        "algorithm": sample_algorithm.SAMPLE_ALGORITHM,
        "fee_catalogue": fee_catalogue,
        "size": params.size,
        "period_from": params.period_from.isoformat(),
        "period_to": params.period_to.isoformat(),
        "strata": sorted(field.value for field in params.strata),
        "flagged_weight": str(sample_algorithm.flagged_weight_decimal(params.flagged_weight)),
        "units": [
            {
                "unit_id": str(unit_id),
                "pool_size": pool_size,
                "pool_digest": pool_digest,
                "sample_digest": sample_digest,
                "drawn": drawn,
            }
            for unit_id, pool_size, pool_digest, sample_digest, drawn in sorted(
                units, key=lambda entry: str(entry[0])
            )
        ],
    }


def _moment_text(moment: Moment | None) -> str | None:
    if moment is None:
        return None
    return moment.at.isoformat() if moment.at is not None else moment.day.isoformat()


def system_values(record: DossierRecord) -> SystemValuesOut:
    return SystemValuesOut(
        received_at=_moment_text(record.received),
        appointed_at=_moment_text(record.appointed_return),
        resolved_at=_moment_text(record.resolved),
        returned_at=_moment_text(record.returned),
        component_files=record.component_files,
        result_file=record.result_file_present,
        fee=record.fee,
        fee_paid_online=record.paid_online,
    )


def _draw_unit(
    records: list[DossierRecord],
    params: DossierSampleIn,
    *,
    plan_id: UUID,
    unit_id: UUID,
    nonce: str,
    context: RuleContext,
) -> UnitSample:
    """Blocking (the rules over a quarter's ledger): run in a worker thread."""
    strata = [field.value for field in params.strata]
    flags = check_ledger(records, context).flags
    by_code = {record.dossier_code: record for record in records}
    pool = [
        sample_algorithm.PoolRow(
            record.dossier_code,
            sample_algorithm.stratum_of(
                strata,
                procedure_code=record.procedure_code,
                channel=record.channel.value if record.channel else None,
            ),
            record.dossier_code in flags,
        )
        for record in records
    ]
    result = sample_algorithm.draw_sample(
        pool,
        size=params.size,
        nonce=nonce,
        salt=sample_algorithm.salt_for(str(plan_id), str(unit_id)),
        flagged_weight=params.flagged_weight,
    )
    dossiers = []
    for row in result.drawn:
        record = by_code[row.dossier_code]
        dossiers.append(
            SampledDossier(
                dossier_code=record.dossier_code,
                procedure_code=record.procedure_code,
                procedure_name=record.procedure_name,
                channel=record.channel.value if record.channel else None,
                stratum=row.stratum,
                flags=sorted({flag.rule for flag in flags.get(record.dossier_code, ())}),
                system=system_values(record),
            )
        )
    return UnitSample(
        unit_id=unit_id,
        pool=pool,
        pool_digest=sample_algorithm.pool_digest(pool),
        sample_digest=sample_algorithm.sample_digest(result.codes),
        allocation={label: count for label, count in result.allocation.items() if count},
        dossiers=dossiers,
    )


async def _period_records(unit_id: UUID, zone: ZoneInfo, start: date, end: date) -> list[Any]:
    rows = (
        await Dossier.select()
        .where(
            Dossier.unit_id == unit_id,
            Dossier.received_day >= start,
            Dossier.received_day <= end,
        )
        .output(load_json=True)
    )
    return [record_from_row(row, zone) for row in rows]


async def draw_for_plan(
    *, plan_id: UUID, nonce: str, params: DossierSampleIn, unit_ids: Iterable[UUID]
) -> PlanSamples:
    """Each target unit's sample, drawn with the plan's nonce (nothing written yet). A period
    the holiday calendar does not cover is refused (422), as for an import."""
    # One catalogue for every unit's pool, named in the sealed section.
    catalogue = catalogue_in_use()
    context = context_with(catalogue, params.period_to)
    unit_ids = list(unit_ids)
    facts = {unit.id: unit for unit in await unit_service.units_unscoped(unit_ids)}
    units: list[UnitSample] = []
    for unit_id in unit_ids:
        unit = facts.get(unit_id)
        if unit is None:
            continue
        records = await _period_records(
            unit_id, ZoneInfo(unit.time_zone), params.period_from, params.period_to
        )
        if not records:
            continue

        def draw(records: list[DossierRecord] = records, unit_id: UUID = unit_id) -> UnitSample:
            return _draw_unit(
                records, params, plan_id=plan_id, unit_id=unit_id, nonce=nonce, context=context
            )

        units.append(await anyio.to_thread.run_sync(draw))
    section = document_section(
        params,
        [
            (unit.unit_id, len(unit.pool), unit.pool_digest, unit.sample_digest, len(unit.dossiers))
            for unit in units
        ],
        catalogue.key if catalogue is not None else None,
    )
    return PlanSamples(document_section=section, units=units)


async def store_for_plan(
    samples: PlanSamples, *, plan_id: UUID, inspection_ids: dict[UUID, UUID], now: datetime
) -> None:
    """Store the samples, in the plan's write transaction."""
    await db.insert_rows(
        DossierSample,
        [
            {
                "id": uuid4(),
                "plan_id": plan_id,
                "unit_id": unit.unit_id,
                "inspection_id": inspection_ids.get(unit.unit_id),
                "pool": sample_algorithm.pool_to_json(unit.pool),
                "pool_digest": unit.pool_digest,
                "sample_digest": unit.sample_digest,
                "allocation": unit.allocation,
                "dossiers": [dossier.model_dump(mode="json") for dossier in unit.dossiers],
                "created_at": now,
            }
            for unit in samples.units
        ],
    )


# --- reading (scope checked by the caller) -------------------------------------------------------


async def plan_samples(plan_id: UUID, section: dict[str, Any]) -> list[PlanDossierSampleOut]:
    """A plan's samples, by unit (``section``: the plan document's ``dossier_sample``, which
    gives each pool's size without loading it). Unscoped: the plans service shows them only to
    who may see the plan."""
    # The document is data read back: a rewritten one shows sizes of 0, never a 500 (as verify).
    entries = section.get("units")
    pool_sizes: dict[Any, int] = {
        entry.get("unit_id"): entry["pool_size"]
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("pool_size"), int)
    }
    rows = (
        await DossierSample.select(
            DossierSample.unit_id,
            DossierSample.inspection_id,
            DossierSample.allocation,
            DossierSample.dossiers,
        )
        .where(DossierSample.plan_id == plan_id)
        .output(load_json=True)
    )
    return sorted(
        (
            PlanDossierSampleOut(
                unit_id=row["unit_id"],
                inspection_id=row["inspection_id"],
                pool_size=pool_sizes.get(str(row["unit_id"]), 0),
                allocation=row["allocation"],
                dossiers=[SampledDossier(**dossier) for dossier in row["dossiers"]],
            )
            for row in rows
        ),
        key=lambda sample: str(sample.unit_id),
    )


async def samples_of(inspection_ids: list[UUID]) -> dict[UUID, list[SampledDossier]]:
    """The samples of these inspections. Unscoped: the phone API asks only for the assignments
    its user may see now as a team member."""
    if not inspection_ids:
        return {}
    rows = (
        await DossierSample.select(DossierSample.inspection_id, DossierSample.dossiers)
        .where(DossierSample.inspection_id.is_in(inspection_ids))
        .output(load_json=True)
    )
    return {
        row["inspection_id"]: [SampledDossier(**dossier) for dossier in row["dossiers"]]
        for row in rows
    }


async def checks_of(inspection_ids: list[UUID]) -> list[DossierCheckOut]:
    """The recorded checks of these inspections (unscoped, as :func:`samples_of`)."""
    if not inspection_ids:
        return []
    rows = (
        await DossierCheck.select()
        .where(DossierCheck.inspection_id.is_in(inspection_ids))
        .order_by(DossierCheck.inspection_id)
        .order_by(DossierCheck.dossier_code)
        .output(load_json=True)
    )
    return [DossierCheckOut(**row) for row in rows]


async def sample_progress(inspection_id: UUID) -> tuple[int, int] | None:
    """(sampled, checked) for an inspection with a sample, else None. A dossier counts as checked
    when at least one of its fields was compared."""
    row = (
        await DossierSample.select(DossierSample.dossiers)
        .where(DossierSample.inspection_id == inspection_id)
        .first()
        .output(load_json=True)
    )
    if row is None:
        return None
    sampled = {dossier["dossier_code"] for dossier in row["dossiers"]}
    checked = {
        check.dossier_code
        for check in await checks_of([inspection_id])
        if check.dossier_code in sampled
        and any(value != CheckValue.not_checked.value for value in check.checks.values())
    }
    return len(sampled), len(checked)


# --- verify --------------------------------------------------------------------------------------


def _verify_unit(row: dict[str, Any], entry: dict[str, Any] | None, **draw: Any) -> SampleVerifyOut:
    pool = sample_algorithm.pool_from_json(row["pool"])
    pool_matches = entry is not None and sample_algorithm.pool_digest(pool) == entry.get(
        "pool_digest"
    )
    try:
        result = sample_algorithm.draw_sample(pool, **draw)
    except ValueError:
        return SampleVerifyOut(
            unit_id=row["unit_id"], pool_matches=pool_matches, sample_matches=False, size=0
        )
    stored_codes = sorted(dossier["dossier_code"] for dossier in row["dossiers"])
    digest = sample_algorithm.sample_digest(result.codes)
    sample_matches = (
        entry is not None
        and sorted(result.codes) == stored_codes
        and digest == entry.get("sample_digest")
        and row["sample_digest"] == digest
    )
    return SampleVerifyOut(
        unit_id=row["unit_id"],
        pool_matches=pool_matches,
        sample_matches=sample_matches,
        size=len(result.codes),
    )


async def verify_plan(
    *, plan_id: UUID, section: dict[str, Any] | None, nonce: str
) -> list[SampleVerifyOut] | None:
    """Recompute each unit's sample from its stored pool and the revealed nonce, and compare it
    with the stored sample and the digests the sealed document binds. None for a plan without a
    sample (neither in the document nor stored)."""
    rows = (
        await DossierSample.select().where(DossierSample.plan_id == plan_id).output(load_json=True)
    )
    if section is None and not rows:
        return None
    # A document tampered into another shape recomputes nothing (and its hash fails anyway).
    section = section if isinstance(section, dict) else {}
    units = section.get("units")
    entries = {
        entry.get("unit_id"): entry
        for entry in (units if isinstance(units, list) else [])
        if isinstance(entry, dict)
    }
    results = []
    for row in sorted(rows, key=lambda row: str(row["unit_id"])):
        entry = entries.pop(str(row["unit_id"]), None)
        try:
            draw = {
                "size": int(section["size"]),
                "nonce": nonce,
                "salt": sample_algorithm.salt_for(str(plan_id), str(row["unit_id"])),
                "flagged_weight": section["flagged_weight"],
            }
        except (KeyError, TypeError, ValueError):
            results.append(
                SampleVerifyOut(
                    unit_id=row["unit_id"], pool_matches=False, sample_matches=False, size=0
                )
            )
            continue
        results.append(
            await anyio.to_thread.run_sync(functools.partial(_verify_unit, row, entry, **draw))
        )
    # A unit the document binds a sample for, with none stored: the sample was removed.
    for unit_id in sorted(str(key) for key in entries):
        try:
            missing = UUID(unit_id)
        except ValueError:
            continue  # not a unit id: a rewritten document, which its hash already fails
        results.append(
            SampleVerifyOut(unit_id=missing, pool_matches=False, sample_matches=False, size=0)
        )
    return results


# --- the dossier_check op ------------------------------------------------------------------------

_CHECK_CONTENT: Final = [
    DossierCheck.checks,
    DossierCheck.paper,
    DossierCheck.note,
    DossierCheck.evidence,
    DossierCheck.device_time,
    DossierCheck.ordering_time,
    DossierCheck.received_at,
    DossierCheck.author_id,
    DossierCheck.op_id,
]


async def record_check(
    data: DossierCheckIn,
    *,
    principal: Principal,
    received_at: datetime,
    op_id: UUID | None,
    device_clock_offset: timedelta,
) -> dict[str, Any]:
    """One check of a sampled dossier: recorded, or kept out by a newer one (last writer wins
    by device time when the device's clock is trusted, else by the time it arrived)."""
    async with db.write_transaction():
        await inspection_service.team_inspection_for_change(
            data.inspection_id, principal, doing="record a dossier check"
        )
        sample = (
            await DossierSample.select(DossierSample.dossiers)
            .where(DossierSample.inspection_id == data.inspection_id)
            .first()
            .output(load_json=True)
        )
        codes = {dossier["dossier_code"] for dossier in (sample or {}).get("dossiers", [])}
        if data.dossier_code not in codes:
            raise InvalidInput(
                f"Dossier {data.dossier_code} is not in this inspection's sample: only the "
                "sampled dossiers are checked (see the assignment's dossier_sample)."
            )
        skewed = inspection_service.is_clock_skewed(device_clock_offset)
        ordering_time = received_at if skewed else data.device_time
        stored = (
            await DossierCheck.select(DossierCheck.ordering_time)
            .where(
                DossierCheck.inspection_id == data.inspection_id,
                DossierCheck.dossier_code == data.dossier_code,
            )
            .first()
        )
        if stored is not None and aware(stored["ordering_time"]) > ordering_time:
            return {"kept": "newer check already recorded", "dossier_code": data.dossier_code}
        paper = (data.paper.model_dump(mode="json") if data.paper else {}) or {}
        await db.insert_rows(
            DossierCheck,
            [
                {
                    "id": uuid4(),
                    "inspection_id": data.inspection_id,
                    "dossier_code": data.dossier_code,
                    "checks": data.checks.model_dump(mode="json"),
                    "paper": {name: paper.get(name) for name in DATE_FIELDS.values()},
                    "note": data.note,
                    "evidence": data.evidence,
                    "device_time": data.device_time,
                    "ordering_time": ordering_time,
                    "received_at": received_at,
                    "author_id": principal.user_id,
                    "op_id": op_id,
                }
            ],
            conflict_target=(DossierCheck.inspection_id, DossierCheck.dossier_code),
            update=_CHECK_CONTENT,
        )
        await inspection_service.touch(data.inspection_id, received_at)
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="inspection.dossier_checked",
            object_type="inspection",
            object_id=data.inspection_id,
            summary={"op_id": str(op_id) if op_id else None},
        )
    return {"recorded": data.dossier_code}


async def dossier_check_op(
    data: DossierCheckIn,
    principal: Principal,
    received_at: datetime,
    op_id: UUID,
    device_clock_offset: timedelta,
) -> dict[str, Any]:
    """The ``dossier_check`` op as the phone API calls its handlers."""
    return await record_check(
        data,
        principal=principal,
        received_at=received_at,
        op_id=op_id,
        device_clock_offset=device_clock_offset,
    )


# --- submit --------------------------------------------------------------------------------------


async def submit_evidence(inspection_id: UUID) -> list[str]:
    """The evidence the inspection's dossier checks reference (submit waits for it)."""
    return sorted({sha for check in await checks_of([inspection_id]) for sha in check.evidence})


def _format_moment(value: str | None, zone: ZoneInfo) -> str | None:
    """A stored time (ISO, with offset) or date as the minutes print it: dd/mm/yyyy[ HH:MM]."""
    if value is None:
        return None
    if len(value) == 10:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return datetime.fromisoformat(value).astimezone(zone).strftime("%d/%m/%Y %H:%M")


def paper_later_than_system(system: str | None, paper: str | None, zone: ZoneInfo) -> bool:
    """Whether the paper's date is later than the system's: by instant when the system gave a
    time, by local day otherwise."""
    if system is None or paper is None:
        return False
    paper_at = datetime.fromisoformat(paper)
    if len(system) == 10:
        return paper_at.astimezone(zone).date() > date.fromisoformat(system)
    return paper_at > datetime.fromisoformat(system)


def check_finding(
    dossier: dict[str, Any], check: DossierCheckOut, zone: ZoneInfo
) -> FindingDraft | None:
    """The finding a check makes: None without a mismatch. Critical when the paper shows a
    resolved or return date later than the system's (the system hides a delay), else major."""
    mismatched = [name for name in CHECK_FIELDS if check.checks.get(name) == "mismatch"]
    if not mismatched:
        return None
    system = dossier.get("system") or {}
    parts_vi, parts_en = [], []
    hidden_delay = False
    for name in mismatched:
        word_vi, word_en = FIELD_WORDS[name]
        if name in DATE_FIELDS:
            system_value = system.get(DATE_FIELDS[name])
            paper_value = check.paper.get(DATE_FIELDS[name])
            shown_system = _format_moment(system_value, zone) or "(trống)"
            shown_system_en = _format_moment(system_value, zone) or "(blank)"
            shown_paper = _format_moment(paper_value, zone)
            if shown_paper is None:
                parts_vi.append(f"{word_vi}: hệ thống {shown_system}, hồ sơ giấy khác")
                parts_en.append(f"{word_en}: system {shown_system_en}, paper differs")
            else:
                parts_vi.append(f"{word_vi}: hệ thống {shown_system}, hồ sơ giấy {shown_paper}")
                parts_en.append(f"{word_en}: system {shown_system_en}, paper {shown_paper}")
            if name in ("resolved", "returned") and paper_later_than_system(
                system_value, paper_value, zone
            ):
                hidden_delay = True
        else:
            parts_vi.append(f"{word_vi} không khớp")
            parts_en.append(f"{word_en} differ")
    code = check.dossier_code
    procedure = dossier.get("procedure_name") or dossier.get("procedure_code")
    about_vi = f"Hồ sơ {code}" + (f" ({procedure})" if procedure else "")
    about_en = f"Dossier {code}" + (f" ({procedure})" if procedure else "")
    vi = f"{about_vi}: hồ sơ giấy không khớp với hệ thống một cửa điện tử: " + "; ".join(parts_vi)
    en = f"{about_en}: the paper file does not match the one-stop system: " + "; ".join(parts_en)
    if hidden_delay:
        vi += ". Hồ sơ giấy ghi ngày muộn hơn hệ thống: hệ thống che giấu việc trễ hạn"
        en += ". The paper shows a later date than the system: the system hides a delay"
    vi += "."
    en += "."
    if check.note:
        vi += f" Ghi chú: {check.note}"
        en += f" Note: {check.note}"
    return FindingDraft(
        source=FINDING_SOURCE,
        category=FINDING_CATEGORY,
        severity="critical" if hidden_delay else "major",
        description=vi,
        description_en=en,
        evidence=list(check.evidence),
        default_action={
            "vi": f"Rà soát, cập nhật thông tin hồ sơ {code} trên hệ thống một cửa điện tử đúng "
            "với hồ sơ giấy; làm rõ trách nhiệm của người cập nhật.",
            "en": f"Review dossier {code} and correct the one-stop system to match the paper "
            "file; establish who recorded it.",
        },
    )


async def submit_findings(inspection: dict[str, Any]) -> list[FindingDraft]:
    """A finding for every sampled dossier whose check has a mismatch (in dossier-code order)."""
    row = (
        await DossierSample.select(DossierSample.dossiers)
        .where(DossierSample.inspection_id == inspection["id"])
        .first()
        .output(load_json=True)
    )
    if row is None:
        return []
    unit = await unit_service.get_unit_unscoped(inspection["unit_id"])
    zone = ZoneInfo(unit.time_zone if unit else "Asia/Ho_Chi_Minh")
    sampled = {dossier["dossier_code"]: dossier for dossier in row["dossiers"]}
    drafts = []
    for check in await checks_of([inspection["id"]]):
        dossier = sampled.get(check.dossier_code)
        if dossier is None:
            continue
        draft = check_finding(dossier, check, zone)
        if draft is not None:
            drafts.append(draft)
    return drafts


# --- evidence ------------------------------------------------------------------------------------


async def evidence_visible(sha256: str, principal: Principal) -> bool:
    """Evidence of a dossier check is the team's and the leaders' above the unit; never the
    inspected unit's (the check is part of the secret sample). A mismatch's evidence reaches
    the unit through its finding after submit."""
    rows = await DossierCheck.select(DossierCheck.inspection_id).where(
        db.json_text_mentions("evidence", sha256)
    )
    for row in rows:
        if await inspection_service.is_member(row["inspection_id"], principal.user_id):
            return True
        if principal.role in (Role.leader, Role.admin):
            facts = await inspection_service.inspection_facts(row["inspection_id"])
            if (
                facts is not None
                and principal.can_see_unit_path(facts.unit_path)
                and principal.is_strictly_above(facts.unit_path)
            ):
                return True
    return False
