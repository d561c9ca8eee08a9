"""The inspection lifecycle and who may see what of it.

Secrecy (DESIGN §2.1): until an inspection has started, nobody homed in its unit (or below) can
learn it exists. Every read here goes through :func:`_visible_query`, so lists, details and counts
share one rule, and an inspection you may not see is simply not found.

The write functions run inside a write transaction; when the mobile sync service calls them it
has already opened one (Piccolo joins nested transactions), so the op record and the change
commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

from piccolo.columns import Column

from checklists import findings as finding_wording
from checklists import scoring
from checklists import services as checklist_service
from checklists.format import ChecklistTemplate, PrefillSource, ScoredItem
from checklists.schemas import PrefillValueOut
from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from server.core.geo import distance_m
from server.core.pagination import Page, paged
from server.core.scopes import Principal, Role
from server.core.timeutil import aware, require_sane_date
from server.evidence import services as evidence_service
from server.inspections import events
from server.inspections.events import InspectionSigned, InspectionStarted, InspectionSubmitted
from server.inspections.schemas import (
    AddendumIn,
    AddendumOut,
    AnswerIn,
    AnswerLedgerOut,
    AnswerOut,
    AnswerSource,
    FindingIn,
    FindingOut,
    InspectionOut,
    InspectionStatus,
    InspectionSummary,
    LedgerStatus,
    MemberOut,
    SignatureOut,
    SignIn,
    StartIn,
    StartOut,
    SubmitIn,
    UnitBrief,
)
from server.inspections.tables import (
    Addendum,
    Answer,
    Finding,
    Inspection,
    InspectionMember,
    InspectionSectionScore,
    Signature,
)
from server.units.tables import Unit

# Beyond this difference from the server's clock a device's time is flagged and not trusted for
# ordering answers (the server's receipt time is used instead).
CLOCK_SKEW_LIMIT = timedelta(minutes=5)
# A visit may run into the evening after the window's last moment, but no later: after this the
# plan's nonce may be revealed, and a visit that could still start would no longer be unannounced.
START_GRACE = timedelta(hours=12)

NOT_STARTED = (InspectionStatus.planned.value,)
EDITABLE = (InspectionStatus.in_progress.value,)
# The audit event of the answers one sync batch (or one answer call) recorded in one inspection:
# summary {"answers": [{"item_key", "op_id"}, ...]} in the order of the ops. Databases written
# before it hold one "inspection.answer_recorded" event per answer ({"item_key", "op_id"}).
ANSWERS_RECORDED = "inspection.answers_recorded"


@dataclass(frozen=True)
class FindingDraft:
    """A finding another package's records make on submit (e.g. a sampled dossier whose paper
    file does not match the system): stored with the checklist's findings, and given its
    corrective action as they are."""

    source: str
    category: str
    severity: str
    description: str
    description_en: str
    evidence: list[str]
    default_action: dict[str, str] | None = None


# What other packages add to a submit, registered in the app factory (this package imports
# none of them): the evidence their records reference (submit waits for it, as for answers) and
# the findings their records make. Both run inside submit's transaction.
SubmitEvidence = Callable[[UUID], Awaitable[list[str]]]
SubmitFindings = Callable[[dict[str, Any]], Awaitable[list[FindingDraft]]]
_submit_evidence: list[SubmitEvidence] = []
_submit_findings: list[SubmitFindings] = []


def register_submit_contributor(evidence: SubmitEvidence, findings: SubmitFindings) -> None:
    if evidence not in _submit_evidence:
        _submit_evidence.append(evidence)
    if findings not in _submit_findings:
        _submit_findings.append(findings)


# --- Creation (called by the plans service) ----------------------------------------------------


async def create_planned(
    *,
    plan_id: UUID | None,
    unit_id: UUID,
    checklist_version_id: UUID,
    visit_date: date,
    window_start: datetime,
    window_end: datetime,
    team_head_id: UUID,
    member_ids: list[UUID],
    visible_to_team_from: datetime,
    now: datetime,
    follow_up_of: UUID | None = None,
) -> UUID:
    unit = await Unit.select(Unit.path).where(Unit.id == unit_id).first()
    if unit is None:
        raise InvalidInput(f"No unit {unit_id}.")
    inspection_id = uuid4()
    await Inspection.insert(
        Inspection(
            id=inspection_id,
            plan_id=plan_id,
            unit_id=unit_id,
            unit_path=unit["path"],
            checklist_version_id=checklist_version_id,
            status=InspectionStatus.planned.value,
            visit_date=visit_date,
            window_start=window_start,
            window_end=window_end,
            team_head_id=team_head_id,
            visible_to_team_from=visible_to_team_from,
            follow_up_of=follow_up_of,
            flags=[],
            created_at=now,
            updated_at=now,
        )
    )
    for user_id in [team_head_id, *member_ids]:
        await InspectionMember.insert(
            InspectionMember(
                id=uuid4(),
                inspection_id=inspection_id,
                user_id=user_id,
                is_head=user_id == team_head_id,
            )
        )
    return inspection_id


@dataclass(frozen=True)
class PlanInspection:
    """One visit of a plan: which inspection, of which unit, on which day, how far it got."""

    inspection_id: UUID
    unit_id: UUID
    visit_date: date
    status: str


async def plan_inspections(plan_id: UUID) -> list[PlanInspection]:
    """Unscoped visits of a plan, for the plans package (which checks the plan's scope)."""
    rows = await Inspection.select(
        Inspection.id.as_alias("inspection_id"),
        Inspection.unit_id,
        Inspection.visit_date,
        Inspection.status,
    ).where(Inspection.plan_id == plan_id)
    return [PlanInspection(**row) for row in rows]


async def plan_target_paths(plan_id: UUID) -> list[str]:
    rows = await Inspection.select(Inspection.unit_path).where(Inspection.plan_id == plan_id)
    return [row["unit_path"] for row in rows]


async def risk_facts(unit_ids: list[UUID], *, now: datetime) -> dict[UUID, dict[str, Any]]:
    """Inputs of the draw's risk weight that inspections know: last score, days since the last
    visit, critical findings in the last 12 months. (Open and overdue corrective actions are
    added by the actions package once it exists.)"""
    if not unit_ids:
        return {}
    facts: dict[UUID, dict[str, Any]] = {}
    done = (
        await Inspection.select(Inspection.unit_id, Inspection.total_score, Inspection.started_at)
        .where(
            Inspection.unit_id.is_in(unit_ids),
            Inspection.started_at.is_not_null(),
            Inspection.status != InspectionStatus.cancelled.value,
        )
        .order_by(Inspection.started_at)
    )
    for row in done:  # ordered by start, so the last one wins
        entry = facts.setdefault(row["unit_id"], {})
        started = aware(row["started_at"])
        entry["days_since_last_visit"] = max(0, (now - started).days)
        if row["total_score"] is not None:
            entry["last_score"] = round(float(row["total_score"]), 2)
    since = now - timedelta(days=365)
    critical = await Finding.select(Finding.unit_id).where(
        Finding.unit_id.is_in(unit_ids),
        Finding.severity == "critical",
        Finding.created_at >= since,
    )
    for row in critical:
        entry = facts.setdefault(row["unit_id"], {})
        entry["critical_findings_12m"] = entry.get("critical_findings_12m", 0) + 1
    return facts


# --- Visibility --------------------------------------------------------------------------------


async def _visible_query(
    principal: Principal, *, now: datetime, member_of: list[UUID] | None = None
) -> list[Any]:
    """Where-clauses selecting the inspections this principal may know about. `member_of`, when
    the caller knows it already, spares an inspector's look-up of their teams."""
    started = Inspection.started_at.is_not_null()
    if principal.role in (Role.admin, Role.leader):
        in_tree = Inspection.unit_path.like(f"{principal.home_unit_path}%")
        # A leader or admin homed in the target unit itself learns of it only once it starts.
        return [in_tree, started | (Inspection.unit_id != principal.home_unit_id)]
    if principal.role == Role.unit_head:
        return [Inspection.unit_path.like(f"{principal.home_unit_path}%"), started]
    if member_of is None:
        member_of = [
            row["inspection_id"]
            for row in await InspectionMember.select(InspectionMember.inspection_id).where(
                InspectionMember.user_id == principal.user_id
            )
        ]
    if not member_of:
        return [Inspection.id.is_null()]
    return [
        Inspection.id.is_in(member_of),
        started | (Inspection.visible_to_team_from <= now),
    ]


async def _visible_row(
    inspection_id: UUID, principal: Principal, *, member: bool = False
) -> dict[str, Any]:
    """The inspection if this principal may know about it; `member` when they are known to be on
    its team."""
    clauses = await _visible_query(
        principal, now=datetime.now(UTC), member_of=[inspection_id] if member else None
    )
    row = (
        await Inspection.select()
        .where(Inspection.id == inspection_id, *clauses)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(f"No inspection {inspection_id} visible to you.")
    return row


async def _team_row(
    inspection_id: UUID, principal: Principal, *, columns: Sequence[Column] = ()
) -> dict[str, Any]:
    """An inspection the principal may work on as a team member; otherwise not found, whether
    or not it exists (an op must not reveal that). Called inside a write transaction: the row is
    locked, so two phones acting on one inspection at once take turns (start, submit, sign).
    `columns`, when given, are the only ones read (the row is locked all the same): a sync batch
    of answers needs two of the 29, and reading and decoding the others was most of the cost."""
    # One statement (it runs for every op and every sync batch): membership and visibility are
    # its filter, so nobody off the team ever waits on (and so learns of) the row's lock, and
    # PostgreSQL's FOR UPDATE returns the row as it is once locked, filter checked again. Every
    # refusal reads the same, so an assignment not yet visible to its team answers like an id
    # that does not exist. SQLite locks nothing here: the IMMEDIATE write transaction already
    # excludes every other writer.
    clauses = await _visible_query(principal, now=datetime.now(UTC), member_of=[inspection_id])
    on_team = db.has_linked_row(
        InspectionMember.inspection_id,
        Inspection.id,
        equal=[(InspectionMember.user_id, principal.user_id)],
    )
    query = Inspection.select(*columns).where(Inspection.id == inspection_id, on_team, *clauses)
    row = await db.for_update(query).first().output(load_json=True)
    if row is None:
        raise NotFound(f"No inspection {inspection_id} assigned to you.")
    return row


# `_team_row` with the two columns a run of answers needs, as fixed SQL on PostgreSQL (every sync
# batch locks its inspection; see db.fetch_postgres): the same filter, written out. Membership,
# then visibility as `_visible_query` has it for a team member, by role (values from $4 on).
#
# The same statement reads when the run's items ($3) were last answered, which saves the batch a
# round trip, but only a read made after the lock is sure to be current: the statement's snapshot
# is taken before it waits for the lock. So it also returns the inspection row's version (xmin) as
# locked (the newest, after any wait) and as its snapshot saw it. Every transaction that changes
# an answer also updates its inspection (the touch, in the same transaction), so when the two
# versions are the same, no answer of the inspection changed between the snapshot and the lock and
# the answers read are current; when they differ, the caller reads them again.
_TEAM_LOCK_SQL = (
    "SELECT status, checklist_version_id, xmin::text AS locked_version, "  # noqa: S608
    f'(SELECT s.xmin::text FROM "{Inspection._meta.tablename}" s WHERE s.id = $1) '
    "AS seen_version, "
    f'ARRAY(SELECT a.item_key FROM "{Answer._meta.tablename}" a '
    "WHERE a.inspection_id = $1 AND a.item_key = ANY($3) ORDER BY a.item_key) AS answered, "
    f'ARRAY(SELECT a.ordering_time FROM "{Answer._meta.tablename}" a '
    "WHERE a.inspection_id = $1 AND a.item_key = ANY($3) ORDER BY a.item_key) AS answered_at "
    f'FROM "{Inspection._meta.tablename}" '
    f'WHERE id = $1 AND EXISTS (SELECT 1 FROM "{InspectionMember._meta.tablename}" m '
    f'WHERE m.inspection_id = "{Inspection._meta.tablename}".id AND m.user_id = $2) '
    "AND {visible} LIMIT 1 FOR UPDATE"
)
_TEAM_LOCK_BY_ROLE = {
    "in_tree": _TEAM_LOCK_SQL.format(
        visible="unit_path LIKE $4 AND (started_at IS NOT NULL OR unit_id <> $5)"
    ),
    "in_tree_started": _TEAM_LOCK_SQL.format(
        visible="unit_path LIKE $4 AND started_at IS NOT NULL"
    ),
    "member": _TEAM_LOCK_SQL.format(
        visible="(started_at IS NOT NULL OR visible_to_team_from <= $4)"
    ),
}


@dataclass(frozen=True)
class _LockedForAnswers:
    """An inspection locked for a run of answers: its status and checklist version, and when
    the run's items were last answered (None on SQLite, or when the read may be stale)."""

    row: dict[str, Any]
    latest: dict[str, datetime] | None


async def _team_row_for_answers(
    inspection_id: UUID, principal: Principal, item_keys: list[str]
) -> _LockedForAnswers:
    """:func:`_team_row` reading only the status and checklist version (what a run of answers
    checks), locked all the same; on PostgreSQL with the items' answer times when current (see
    _TEAM_LOCK_SQL)."""
    if not db.is_postgres():
        row = await _team_row(
            inspection_id,
            principal,
            columns=(Inspection.status, Inspection.checklist_version_id),
        )
        return _LockedForAnswers(row=row, latest=None)
    values: list[Any]
    if principal.role in (Role.admin, Role.leader):
        sql = _TEAM_LOCK_BY_ROLE["in_tree"]
        values = [f"{principal.home_unit_path}%", principal.home_unit_id]
    elif principal.role == Role.unit_head:
        sql = _TEAM_LOCK_BY_ROLE["in_tree_started"]
        values = [f"{principal.home_unit_path}%"]
    else:
        sql = _TEAM_LOCK_BY_ROLE["member"]
        values = [datetime.now(UTC)]
    rows = await db.fetch_postgres(sql, inspection_id, principal.user_id, item_keys, *values)
    if not rows:
        raise NotFound(f"No inspection {inspection_id} assigned to you.")
    row = rows[0]
    latest = None
    if row["locked_version"] == row["seen_version"]:
        latest = dict(zip(row["answered"], row["answered_at"], strict=True))
    return _LockedForAnswers(
        row={"status": row["status"], "checklist_version_id": row["checklist_version_id"]},
        latest=latest,
    )


async def visible_ids(
    principal: Principal,
    *,
    updated_since: datetime | None = None,
    among: list[UUID] | None = None,
) -> list[UUID]:
    clauses = await _visible_query(principal, now=datetime.now(UTC))
    query = Inspection.select(Inspection.id).where(*clauses)
    if among is not None:
        if not among:
            return []
        query = query.where(Inspection.id.is_in(among))
    if updated_since is not None:
        query = query.where(Inspection.updated_at > updated_since)
    return [row["id"] for row in await query]


async def list_inspections(
    *,
    principal: Principal,
    unit_id: UUID | None = None,
    status: InspectionStatus | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    assigned_to_me: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Page[InspectionSummary]:
    """By visit date (then creation, then id, so pages never overlap); ``limit=None`` for all."""
    require_sane_date(period_from, "period_from")
    require_sane_date(period_to, "period_to")
    clauses = await _visible_query(principal, now=datetime.now(UTC))
    if unit_id is not None:
        clauses.append(Inspection.unit_id == unit_id)
    if status is not None:
        clauses.append(Inspection.status == status.value)
    if period_from is not None:
        clauses.append(Inspection.visit_date >= period_from)
    if period_to is not None:
        clauses.append(Inspection.visit_date <= period_to)
    if assigned_to_me:
        ids = await inspections_of_member(principal.user_id)
        if not ids:
            return Page(items=[], total=0)
        clauses.append(Inspection.id.is_in(ids))
    total = await Inspection.count().where(*clauses)
    query = (
        Inspection.select()
        .where(*clauses)
        .order_by(Inspection.visit_date, Inspection.created_at, Inspection.id)
    )
    rows = await paged(query, limit=limit, offset=offset).output(load_json=True)
    return Page(items=await _summaries(rows), total=total)


async def _summaries(rows: list[dict[str, Any]]) -> list[InspectionSummary]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    units = {
        unit["id"]: unit
        for unit in await Unit.select().where(Unit.id.is_in(list({r["unit_id"] for r in rows})))
    }
    members: dict[UUID, list[MemberOut]] = {}
    for member in await InspectionMember.select().where(InspectionMember.inspection_id.is_in(ids)):
        members.setdefault(member["inspection_id"], []).append(
            MemberOut(user_id=member["user_id"], is_head=member["is_head"])
        )
    return [
        InspectionSummary(
            **{key: row[key] for key in InspectionSummary.model_fields if key in row},
            unit=UnitBrief(**units[row["unit_id"]]),
            team=members.get(row["id"], []),
        )
        for row in rows
    ]


async def get_inspection(*, inspection_id: UUID, principal: Principal) -> InspectionOut:
    row = await _visible_row(inspection_id, principal)
    return await _detail(row)


async def _detail(row: dict[str, Any]) -> InspectionOut:
    inspection_id = row["id"]
    (summary,) = await _summaries([row])
    answers = (
        await Answer.select()
        .where(Answer.inspection_id == inspection_id)
        .order_by(Answer.item_key)
        .output(load_json=True)
    )
    findings = (
        await Finding.select()
        .where(Finding.inspection_id == inspection_id)
        .order_by(Finding.created_at)
        .output(load_json=True)
    )
    signatures = (
        await Signature.select()
        .where(Signature.inspection_id == inspection_id)
        .order_by(Signature.signed_at)
    )
    addenda = (
        await Addendum.select()
        .where(Addendum.inspection_id == inspection_id)
        .order_by(Addendum.created_at)
        .output(load_json=True)
    )
    return InspectionOut(
        **summary.model_dump(),
        start=StartOut(
            started_at=row["started_at"],
            device_time=row["start_device_time"],
            latitude=row["start_latitude"],
            longitude=row["start_longitude"],
            accuracy_m=row["start_accuracy_m"],
            distance_m=row["start_distance_m"],
            clock_skew_seconds=row["clock_skew_seconds"],
        ),
        score=row["score"],
        answers=[AnswerOut(**answer) for answer in answers],
        findings=[FindingOut(**finding) for finding in findings],
        signatures=[SignatureOut(**signature) for signature in signatures],
        addenda=[AddendumOut(**addendum) for addendum in addenda],
    )


# --- Field work (ops from the phone) -------------------------------------------------------------


def _require_status(row: dict[str, Any], allowed: tuple[str, ...], doing: str) -> None:
    if row["status"] not in allowed:
        raise Conflict(
            f"Cannot {doing}: the inspection is {row['status']} "
            f"(this needs {' or '.join(allowed)})."
        )


async def _touch(inspection_id: UUID, now: datetime, **changes: Any) -> None:
    if not changes and db.is_postgres():
        # Most sync ops touch their inspection: fixed SQL (see db.fetch_postgres).
        await db.fetch_postgres(_TOUCH_SQL, inspection_id, now)
        return
    values: dict[Any, Any] = {"updated_at": now, **changes}
    await Inspection.update(values).where(Inspection.id == inspection_id)


_TOUCH_SQL = f'UPDATE "{Inspection._meta.tablename}" SET updated_at = $2 WHERE id = $1'  # noqa: S608


async def _record_score(
    inspection_id: UUID, result: scoring.ScoreResult, now: datetime, **changes: Any
) -> None:
    """Store a score: the JSON, total and band on the inspection, and its sections as rows
    (replacing any earlier ones), in the caller's write transaction. The one place a score is
    written, so the rows the reports aggregate never disagree with the JSON the minutes print."""
    await InspectionSectionScore.delete().where(
        InspectionSectionScore.inspection_id == inspection_id
    )
    await db.insert_rows(
        InspectionSectionScore,
        [
            {
                "id": uuid4(),
                "inspection_id": inspection_id,
                "section_key": section.key,
                "position": position,
                "score": section.score,
                "earned": section.earned,
                "possible": section.possible,
            }
            for position, section in enumerate(result.sections)
        ],
    )
    await _touch(
        inspection_id,
        now,
        score=result.model_dump(mode="json"),
        total_score=result.total,
        rating_band=result.band,
        **changes,
    )


def _device_clock_offset(
    device_time: datetime, received_at: datetime, measured: timedelta | None
) -> timedelta:
    """The device clock minus ours: as measured on a sync batch when there is one (an op made
    offline hours ago says nothing about the clock), else from the op's own time."""
    return measured if measured is not None else device_time - received_at


async def start(
    data: StartIn,
    *,
    principal: Principal,
    received_at: datetime,
    device_clock_offset: timedelta | None = None,
) -> dict[str, Any]:
    async with db.write_transaction():
        row = await _team_row(data.inspection_id, principal)
        _require_status(row, NOT_STARTED, "start")
        if received_at > aware(row["window_end"]) + START_GRACE:
            raise Conflict(
                "The plan's window has ended; this inspection can no longer be started. "
                "Ask the leader to plan a new visit."
            )
        unit = await Unit.select().where(Unit.id == row["unit_id"]).first()
        assert unit is not None
        flags: list[str] = []
        distance = None
        if data.latitude is None or data.longitude is None:
            flags.append("no_location")
        elif unit["latitude"] is not None and unit["longitude"] is not None:
            distance = round(
                distance_m(data.latitude, data.longitude, unit["latitude"], unit["longitude"]), 1
            )
            if distance > unit["geofence_radius_m"] + (data.accuracy_m or 0):
                flags.append("outside_geofence")
        else:
            flags.append("unit_location_unknown")
        skew = _device_clock_offset(
            data.device_time, received_at, device_clock_offset
        ).total_seconds()
        if abs(skew) > CLOCK_SKEW_LIMIT.total_seconds():
            flags.append("clock_skew")
        if (
            not aware(row["window_start"])
            <= received_at
            <= aware(row["window_end"]) + timedelta(days=1)
        ):
            flags.append("outside_window")
        await _touch(
            data.inspection_id,
            received_at,
            status=InspectionStatus.in_progress.value,
            started_at=received_at,
            start_device_time=data.device_time,
            start_latitude=data.latitude,
            start_longitude=data.longitude,
            start_accuracy_m=data.accuracy_m,
            start_distance_m=distance,
            clock_skew_seconds=round(skew, 3),
            flags=flags,
        )
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="inspection.started",
            object_type="inspection",
            object_id=data.inspection_id,
            summary={"distance_m": distance, "clock_skew_seconds": round(skew, 3), "flags": flags},
        )
        await events.publish(
            InspectionStarted(inspection=row, principal=principal, now=received_at)
        )
    return {"status": "in_progress", "distance_m": distance, "flags": flags}


async def record_answer(
    data: AnswerIn,
    *,
    principal: Principal,
    received_at: datetime,
    op_id: UUID | None,
    device_clock_offset: timedelta | None = None,
) -> dict[str, Any]:
    """One answer: recorded, or kept out by a newer one already recorded (last writer wins by
    device time when the device's clock is trusted, else by the time it arrived)."""
    (outcome,) = await record_answers(
        [(data, op_id)],
        principal=principal,
        received_at=received_at,
        device_clock_offset=device_clock_offset,
    )
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@dataclass(frozen=True)
class _Winner:
    """The answer an item ends with after a run of ops: the last op that was not older."""

    data: AnswerIn
    op_id: UUID | None
    ordering_time: datetime


async def record_answers(
    batch: Sequence[tuple[AnswerIn, UUID | None]],
    *,
    principal: Principal,
    received_at: datetime,
    device_clock_offset: timedelta | None,
    writes: db.Writes | None = None,
) -> list[dict[str, Any] | DomainError]:
    """A run of answer ops from one sync batch, with the outcome each would have had through
    :func:`record_answer` one after the other (the same checks, the same last-writer-wins), in a
    handful of statements: each inspection is checked and locked once, the answers are read once,
    each item is written once, each inspection touched once. The audit log gets one
    ``inspection.answers_recorded`` event per inspection of the run, listing every answer recorded
    in it (item and op id) in the order of the ops: every change is in the log, without an event
    row, its sealing and its hash per answer (a batch of 40 answers wrote 40). Runs in the
    caller's write transaction.

    The writes (answers, touch, audit event) go as one statement on PostgreSQL
    (``db.Writes``); with `writes`, they are added to the caller's, who sends them with its own
    in the same transaction (the sync endpoint adds its op claims)."""
    outcomes: list[dict[str, Any] | DomainError] = []
    own_writes = writes is None
    gathered = writes if writes is not None else db.Writes()
    async with db.write_transaction():
        checked: dict[UUID, DomainError | ChecklistTemplate] = {}
        # When each item's stored answer was made, for last-writer-wins.
        latest: dict[tuple[UUID, str], datetime] = {}
        item_keys = list({data.item_key for data, _op in batch})
        # Locked in one order (by id), so two runs over the same inspections cannot deadlock.
        # The open ones whose answer times the lock did not bring (SQLite, or maybe stale):
        unread: list[UUID] = []
        for inspection_id in sorted({data.inspection_id for data, _op in batch}, key=str):
            try:
                locked = await _team_row_for_answers(inspection_id, principal, item_keys)
                _require_status(locked.row, EDITABLE, "answer")
                checked[inspection_id] = await checklist_service.load_version_template(
                    locked.row["checklist_version_id"]
                )
            except DomainError as error:
                checked[inspection_id] = error
                continue
            if locked.latest is None:
                unread.append(inspection_id)
            else:
                for item_key, made in locked.latest.items():
                    latest[(inspection_id, item_key)] = aware(made)
        if unread:
            rows: list[Any]
            if db.is_postgres():
                rows = await db.fetch_postgres(_LATEST_ANSWERS_SQL, unread, item_keys)
            else:
                rows = await Answer.select(
                    Answer.inspection_id, Answer.item_key, Answer.ordering_time
                ).where(
                    db.one_of(Answer.inspection_id, unread),
                    db.one_of(Answer.item_key, item_keys),
                )
            for row in rows:
                latest[(row["inspection_id"], row["item_key"])] = aware(row["ordering_time"])
        winners: dict[tuple[UUID, str], _Winner] = {}
        recorded: dict[UUID, list[dict[str, str | None]]] = {}
        # Each op is checked on its own, against its template's items looked up once per batch.
        items = {
            inspection_id: scoring.items_by_key(template)
            for inspection_id, template in checked.items()
            if not isinstance(template, DomainError)
        }
        for data, op_id in batch:
            template = checked[data.inspection_id]
            if isinstance(template, DomainError):
                outcomes.append(template)
                continue
            try:
                problems = scoring.check_answers(
                    template,
                    {data.item_key: _scoring_answer(data)},
                    items=items[data.inspection_id],
                )
                if problems:
                    raise InvalidInput("; ".join(f"{p.item_key}: {p.message}" for p in problems))
            except DomainError as error:
                outcomes.append(error)
                continue
            # Device time orders answers only when the device's clock is trusted.
            offset = _device_clock_offset(data.device_time, received_at, device_clock_offset)
            ordering_time = received_at if is_clock_skewed(offset) else data.device_time
            key = (data.inspection_id, data.item_key)
            if key in latest and latest[key] > ordering_time:
                outcomes.append(
                    {"kept": "newer answer already recorded", "item_key": data.item_key}
                )
                continue
            latest[key] = ordering_time
            winners[key] = _Winner(data=data, op_id=op_id, ordering_time=ordering_time)
            outcomes.append({"recorded": data.item_key})
            recorded.setdefault(data.inspection_id, []).append(
                {"item_key": data.item_key, "op_id": str(op_id) if op_id else None}
            )
        if winners:
            # New and re-answered items in one statement. Which answer wins was decided above,
            # against the answers read under the inspection's lock, so the upsert just writes it.
            gathered.insert(
                Answer,
                [
                    {
                        "id": new_id,
                        "inspection_id": winner.data.inspection_id,
                        "item_key": winner.data.item_key,
                        "value": {
                            "value": winner.data.value,
                            "numerator": winner.data.numerator,
                            "denominator": winner.data.denominator,
                        },
                        "note": winner.data.note,
                        "evidence": winner.data.evidence,
                        "device_time": winner.data.device_time,
                        "ordering_time": winner.ordering_time,
                        "received_at": received_at,
                        "author_id": principal.user_id,
                        "op_id": winner.op_id,
                        "source": winner.data.source.value if winner.data.source else None,
                        "ledger": None,
                    }
                    for winner, new_id in zip(
                        winners.values(), db.new_ids(len(winners)), strict=True
                    )
                ],
                conflict_target=(Answer.inspection_id, Answer.item_key),
                update=_ANSWER_CONTENT,
            )
        gathered.set_by_ids(
            Inspection,
            list(dict.fromkeys(key[0] for key in winners)),
            Inspection.updated_at,
            received_at,
        )
        await audit_service.record_many(
            actor=audit_service.actor_of(principal),
            events=[
                audit_service.Event(
                    action=ANSWERS_RECORDED,
                    object_type="inspection",
                    object_id=inspection_id,
                    summary={"answers": answers},
                )
                for inspection_id, answers in recorded.items()
            ],
            writes=gathered,
        )
        if own_writes:
            await gathered.send()
    return outcomes


# When the stored answers to a run's items were made, as fixed SQL on PostgreSQL (every sync batch
# reads them; see db.fetch_postgres).
_LATEST_ANSWERS_SQL = (
    "SELECT inspection_id, item_key, ordering_time "  # noqa: S608 (no value in the text)
    f'FROM "{Answer._meta.tablename}" WHERE inspection_id = ANY($1) AND item_key = ANY($2)'
)

# What a newer answer replaces in the stored one (its id and place stay).
_ANSWER_CONTENT = [
    Answer.value,
    Answer.note,
    Answer.evidence,
    Answer.device_time,
    Answer.ordering_time,
    Answer.received_at,
    Answer.author_id,
    Answer.op_id,
    Answer.source,
    Answer.ledger,
]


def _scoring_answer(data: AnswerIn) -> scoring.Answer:
    try:
        return scoring.Answer(
            value=data.value,
            numerator=data.numerator,
            denominator=data.denominator,
            photo_count=len(data.evidence),
            note=data.note,
        )
    except ValueError as error:
        raise InvalidInput(f"{data.item_key}: {error}") from error


def _answers_for_scoring(rows: list[dict[str, Any]]) -> dict[str, scoring.Answer]:
    answers = {}
    for row in rows:
        stored = row["value"] or {}
        answers[row["item_key"]] = scoring.Answer(
            value=stored.get("value"),
            numerator=stored.get("numerator"),
            denominator=stored.get("denominator"),
            photo_count=len(row["evidence"] or []),
            note=row["note"],
        )
    return answers


async def add_finding(
    data: FindingIn, *, principal: Principal, received_at: datetime
) -> dict[str, Any]:
    async with db.write_transaction():
        row = await _team_row(data.inspection_id, principal)
        _require_status(row, EDITABLE, "add a finding")
        if await Finding.exists().where(Finding.id == data.finding_id):
            raise Conflict(f"A finding with id {data.finding_id} already exists.")
        await Finding.insert(
            Finding(
                id=data.finding_id,
                inspection_id=data.inspection_id,
                unit_id=row["unit_id"],
                source="manual",
                category=data.category.value,
                severity=data.severity.value,
                description=data.description,
                evidence=data.evidence,
                staff_name=data.staff_name,
                legal_basis=[],
                created_by=principal.user_id,
                created_at=received_at,
            )
        )
        await _touch(data.inspection_id, received_at)
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="finding.recorded",
            object_type="inspection",
            object_id=data.inspection_id,
            summary={"finding_id": str(data.finding_id), "severity": data.severity.value},
        )
    return {"finding_id": str(data.finding_id)}


# --- pre-filled values: the dossier ledger and the sealed sample's checks -----------------------
#
# Both are worked out by the dossiers package, registered in the app factory
# (:func:`register_prefill_sources`): this package imports none of it (the dossiers package calls
# this one for the sample's checks and findings). A ledger value is the checklist's
# ``PrefillValueOut``; what it needs of a sample value is described here.


class SampleFigure(Protocol):
    """A count or share the sealed sample's checks give an item, with the n of "n of m
    checked"."""

    @property
    def value(self) -> int | None: ...
    @property
    def numerator(self) -> int | None: ...
    @property
    def denominator(self) -> int | None: ...
    @property
    def checked(self) -> int: ...
    @property
    def sampled(self) -> int: ...


class LedgerSource(Protocol):
    def __call__(
        self, *, unit_id: UUID, visit_date: date, measures: dict[str, str]
    ) -> Awaitable[Mapping[str, PrefillValueOut] | None]: ...


class SampleSource(Protocol):
    def __call__(
        self, *, inspection_id: UUID, measures: dict[str, str]
    ) -> Awaitable[Mapping[str, SampleFigure]]: ...


LedgerPrefill = Mapping[str, PrefillValueOut] | None
SamplePrefill = Mapping[str, SampleFigure]
_ledger_source: list[LedgerSource] = []
_sample_source: list[SampleSource] = []


def register_prefill_sources(*, ledger: LedgerSource, sample: SampleSource) -> None:
    _ledger_source[:] = [ledger]
    _sample_source[:] = [sample]


def prefill_measures(template: ChecklistTemplate, source: PrefillSource) -> dict[str, str]:
    """Item key → measure, for the template's items pre-filled from ``source``."""
    return {
        item.key: item.prefill.measure
        for _section, item in template.items()
        if isinstance(item, ScoredItem)
        and item.prefill is not None
        and item.prefill.source is source
    }


async def ledger_prefill(
    template: ChecklistTemplate, *, unit_id: UUID, visit_date: date
) -> LedgerPrefill:
    """What the unit's dossier ledger says for the template's pre-filled items, for the period
    before the visit (None: no ledger for that period). The caller has checked who is asking."""
    if not _ledger_source:
        return None
    return await _ledger_source[0](
        unit_id=unit_id,
        visit_date=visit_date,
        measures=prefill_measures(template, PrefillSource.DOSSIER_LEDGER),
    )


async def sample_prefill(template: ChecklistTemplate, *, inspection_id: UUID) -> SamplePrefill:
    """What the inspection's recorded checks of its sealed dossier sample say for the
    template's items pre-filled from ``dossier_sample`` (an item they cannot answer yet is
    absent). The caller has checked who is asking."""
    if not _sample_source:
        return {}
    return await _sample_source[0](
        inspection_id=inspection_id,
        measures=prefill_measures(template, PrefillSource.DOSSIER_SAMPLE),
    )


async def ledger_prefill_for(inspection_id: UUID) -> LedgerPrefill:
    """:func:`ledger_prefill` for an inspection, worked out before a submit's transaction (it
    reads every dossier of the unit); unscoped, so only pass the result on to :func:`submit`,
    which checks the principal."""
    row = (
        await Inspection.select(
            Inspection.unit_id, Inspection.visit_date, Inspection.checklist_version_id
        )
        .where(Inspection.id == inspection_id)
        .first()
    )
    if row is None:
        return None
    template = await checklist_service.load_version_template(row["checklist_version_id"])
    return await ledger_prefill(template, unit_id=row["unit_id"], visit_date=row["visit_date"])


def _ledger_value_text(value: dict[str, Any] | AnswerLedgerOut) -> str:
    fields = value if isinstance(value, dict) else value.model_dump()
    if fields.get("value") is not None:
        return str(fields["value"])
    return f"{fields.get('numerator')}/{fields.get('denominator')}"


def _judge_against_ledger(
    answer_rows: list[dict[str, Any]],
    result: scoring.ScoreResult,
    prefill: LedgerPrefill,
    sample: SamplePrefill | None = None,
) -> tuple[dict[str, AnswerLedgerOut], list[str]]:
    """Each answer to a pre-filled item against its source's value recomputed now (the dossier
    ledger's, or the sealed sample's stored checks'): taken (the phone said it took that
    source's value and it is equal), matches (equal, typed by hand) or an override, which needs
    a note. Hidden and unanswered items are not judged. Returns the judgements and, for each
    override without a note, what to tell the inspector."""
    outcomes = {item.key: item.outcome for item in result.items}
    judged: dict[str, AnswerLedgerOut] = {}
    unexplained = []
    for row in answer_rows:
        key = row["item_key"]
        if outcomes.get(key) in (scoring.Outcome.HIDDEN, scoring.Outcome.UNANSWERED):
            continue
        stored = row["value"] or {}
        ledger = (prefill or {}).get(key)
        from_sample = (sample or {}).get(key)
        # What the source says, to store with the answer (the status is filled in below).
        if ledger is not None:
            said = AnswerLedgerOut(
                status=LedgerStatus.matches,
                source=AnswerSource.dossier_ledger,
                value=ledger.value,
                numerator=ledger.numerator,
                denominator=ledger.denominator,
                period_from=ledger.source.period_from,
                period_to=ledger.source.period_to,
                dossiers=ledger.source.dossiers,
                as_of=ledger.source.as_of,
            )
            words = "the ledger says"
        elif from_sample is not None:
            said = AnswerLedgerOut(
                status=LedgerStatus.matches,
                source=AnswerSource.dossier_sample,
                value=from_sample.value,
                numerator=from_sample.numerator,
                denominator=from_sample.denominator,
                checked=from_sample.checked,
                sampled=from_sample.sampled,
            )
            words = (
                f"the sample's checks say ({from_sample.checked} of {from_sample.sampled} "
                "dossiers checked)"
            )
        else:
            continue
        if said.value is not None:
            equal = stored.get("value") == said.value
        else:
            equal = (stored.get("numerator"), stored.get("denominator")) == (
                said.numerator,
                said.denominator,
            )
        if equal:
            # A claim for another source is a value typed by hand that happens to match.
            taken = row["source"] == said.source.value
            status = LedgerStatus.taken if taken else LedgerStatus.matches
        else:
            status = LedgerStatus.override
            if not (row["note"] or "").strip():
                unexplained.append(
                    f"{key} ({words} {_ledger_value_text(said)}, "
                    f"the answer is {_ledger_value_text(stored)})"
                )
        judged[key] = said.model_copy(update={"status": status})
    return judged, unexplained


class _NotGiven:
    pass


NOT_GIVEN = _NotGiven()


async def submit(
    data: SubmitIn,
    *,
    principal: Principal,
    received_at: datetime,
    ledger: LedgerPrefill | _NotGiven = NOT_GIVEN,
) -> dict[str, Any]:
    """Score, judge the answers to pre-filled items against the dossier ledger or the sealed
    sample's stored checks, turn failures into findings. ``ledger`` is :func:`ledger_prefill_for` worked out before the caller's
    transaction; when not given it is worked out here (the demo, tests)."""
    async with db.write_transaction():
        row = await _team_row(data.inspection_id, principal)
        _require_status(row, EDITABLE, "submit")
        template = await checklist_service.load_version_template(row["checklist_version_id"])
        if isinstance(ledger, _NotGiven):
            ledger = await ledger_prefill(
                template, unit_id=row["unit_id"], visit_date=row["visit_date"]
            )
        answer_rows = (
            await Answer.select()
            .where(Answer.inspection_id == data.inspection_id)
            .output(load_json=True)
        )
        # The sample's checks are read in the transaction: the batch's own checks count.
        sample = await sample_prefill(template, inspection_id=data.inspection_id)
        manual = (
            await Finding.select(Finding.evidence)
            .where(Finding.inspection_id == data.inspection_id)
            .output(load_json=True)
        )
        contributed = {
            sha for source in _submit_evidence for sha in await source(data.inspection_id)
        }
        referenced = sorted(
            {sha for answer in answer_rows for sha in answer["evidence"] or []}
            | {sha for finding in manual for sha in finding["evidence"] or []}
            | contributed
        )
        missing_evidence = await evidence_service.missing(referenced)
        if missing_evidence:
            raise Conflict(
                f"Cannot submit: {len(missing_evidence)} evidence file(s) have not arrived yet: "
                f"{', '.join(missing_evidence)}. Upload them (PUT /mobile/v1/evidence/{{sha256}}), "
                "then send a new submit op (with a new op_id: a rejected op stays rejected).",
                extra={"missing_evidence": missing_evidence},
            )
        visit_day = aware(row["started_at"] or received_at).date()
        answers = _answers_for_scoring(answer_rows)
        result = scoring.score(template, answers, inspected_on=visit_day)
        blocking = []
        if result.missing_required:
            blocking.append("unanswered required items: " + ", ".join(result.missing_required))
        if result.evidence_violations:
            blocking.append(
                "evidence rules not met: "
                + ", ".join(
                    f"{v.item_key} ({v.rule}: needs {v.needed}, has {v.got})"
                    for v in result.evidence_violations
                )
            )
        judged, unexplained = _judge_against_ledger(answer_rows, result, ledger, sample)
        if unexplained:
            blocking.append(
                "answers that differ from the dossier ledger or the dossier sample's checks "
                "need a note saying why: " + ", ".join(unexplained)
            )
        if blocking:
            raise Conflict(
                "Cannot submit: " + "; ".join(blocking) + ".",
                extra={
                    "missing_required": result.missing_required,
                    "evidence_violations": [v.model_dump() for v in result.evidence_violations],
                    "ledger_overrides_without_note": unexplained,
                },
            )
        for item_key, judgement in judged.items():
            await Answer.update({Answer.ledger: judgement.model_dump(mode="json")}).where(
                Answer.inspection_id == data.inspection_id, Answer.item_key == item_key
            )
        for finding in result.findings:
            answer = next((a for a in answer_rows if a["item_key"] == finding.item_key), None)
            description = finding_wording.description(
                template.item(finding.item_key), answers.get(finding.item_key)
            )
            await Finding.insert(
                Finding(
                    id=uuid4(),
                    inspection_id=data.inspection_id,
                    unit_id=row["unit_id"],
                    source="checklist",
                    item_key=finding.item_key,
                    section_key=finding.section_key,
                    category=finding.category.value,
                    severity=finding.severity.value,
                    description=description.vi,
                    description_en=description.en,
                    default_action=finding.default_action.model_dump()
                    if finding.default_action
                    else None,
                    due_days=finding.due_days,
                    legal_basis=finding.legal_basis,
                    evidence=(answer or {}).get("evidence") or [],
                    created_by=principal.user_id,
                    created_at=received_at,
                )
            )
        drafts = [draft for source in _submit_findings for draft in await source(row)]
        await db.insert_rows(
            Finding,
            [
                {
                    "id": uuid4(),
                    "inspection_id": data.inspection_id,
                    "unit_id": row["unit_id"],
                    "source": draft.source,
                    "item_key": None,
                    "section_key": None,
                    "category": draft.category,
                    "severity": draft.severity,
                    "description": draft.description,
                    "description_en": draft.description_en,
                    "default_action": draft.default_action,
                    "due_days": None,
                    "legal_basis": [],
                    "evidence": draft.evidence,
                    "staff_name": None,
                    "created_by": principal.user_id,
                    "created_at": received_at,
                }
                for draft in drafts
            ],
        )
        await _record_score(
            data.inspection_id,
            result,
            received_at,
            status=InspectionStatus.submitted.value,
            submitted_at=received_at,
        )
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="inspection.submitted",
            object_type="inspection",
            object_id=data.inspection_id,
            summary={
                "total": result.total,
                "band": result.band,
                "findings": len(result.findings) + len(drafts),
            },
        )
        all_findings = (
            await Finding.select()
            .where(Finding.inspection_id == data.inspection_id)
            .output(load_json=True)
        )
        await events.publish(
            InspectionSubmitted(
                inspection=row,
                findings=all_findings,
                due_days_policy=template.action_due_days.model_dump(),
                principal=principal,
                now=received_at,
            )
        )
    return {
        "status": "submitted",
        "total": result.total,
        "band": result.band,
        "findings": len(result.findings) + len(drafts),
    }


async def sign(data: SignIn, *, principal: Principal, received_at: datetime) -> dict[str, Any]:

    if data.refused:
        if not data.refusal_reason or not data.witness_name:
            raise InvalidInput("A refusal to sign needs refusal_reason and witness_name.")
        if data.signer_role.value == "team_head":
            raise InvalidInput("The team head signs; only the unit representative may refuse.")
    elif data.signature_sha256 is None:
        raise InvalidInput("signature_sha256 is required unless refused is true.")
    async with db.write_transaction():
        row = await _team_row(data.inspection_id, principal)
        _require_status(row, (InspectionStatus.submitted.value,), "sign")
        if data.signature_sha256 and await evidence_service.missing([data.signature_sha256]):
            raise Conflict(
                f"The signature image {data.signature_sha256} has not been uploaded yet; upload "
                "it first (PUT /mobile/v1/evidence/{sha256})."
            )
        if await Signature.exists().where(
            Signature.inspection_id == data.inspection_id,
            Signature.signer_role == data.signer_role.value,
        ):
            raise Conflict(f"The {data.signer_role.value} has already signed this inspection.")
        await Signature.insert(
            Signature(
                id=uuid4(),
                inspection_id=data.inspection_id,
                signer_role=data.signer_role.value,
                signer_name=data.signer_name,
                image_sha256=data.signature_sha256,
                refused=data.refused,
                refusal_reason=data.refusal_reason,
                witness_name=data.witness_name,
                signed_at=received_at,
                device_time=data.device_time,
                recorded_by=principal.user_id,
            )
        )
        roles = {
            signature["signer_role"]
            for signature in await Signature.select(Signature.signer_role).where(
                Signature.inspection_id == data.inspection_id
            )
        }
        complete = roles == {"team_head", "unit_representative"}
        changes: dict[str, Any] = {}
        if complete:
            changes = {"status": InspectionStatus.signed.value, "signed_at": received_at}
        await _touch(data.inspection_id, received_at, **changes)
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="inspection.signed" if complete else "inspection.signature_added",
            object_type="inspection",
            object_id=data.inspection_id,
            summary={"signer_role": data.signer_role.value, "refused": data.refused},
        )
        if complete:
            await events.publish(
                InspectionSigned(inspection=row, principal=principal, now=received_at)
            )
    return {"status": InspectionStatus.signed.value if complete else row["status"]}


async def add_addendum(
    *, inspection_id: UUID, data: AddendumIn, principal: Principal
) -> AddendumOut:
    now = datetime.now(UTC)
    async with db.write_transaction():
        row = await _visible_row(inspection_id, principal)
        if principal.role == Role.inspector:
            await _team_row(inspection_id, principal)
        elif principal.role not in (Role.leader, Role.admin):
            raise NotFound(f"No inspection {inspection_id} visible to you.")
        elif not principal.is_strictly_above(row["unit_path"]):
            # An addendum corrects the official record of an inspection: the inspected unit's
            # own leaders and admins must not amend the record of their own inspection.
            raise PermissionDenied(
                "Nobody of the inspected unit amends the record of its own inspection: the team "
                "or a leader above the unit must add the addendum."
            )
        _require_status(
            row,
            (InspectionStatus.signed.value, InspectionStatus.closed.value),
            "add an addendum (addenda correct a signed record; before signing, edit it)",
        )
        addendum_id = uuid4()
        await Addendum.insert(
            Addendum(
                id=addendum_id,
                inspection_id=inspection_id,
                author_id=principal.user_id,
                text=data.text,
                evidence=data.evidence,
                created_at=now,
            )
        )
        await _touch(inspection_id, now)
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="inspection.addendum",
            object_type="inspection",
            object_id=inspection_id,
            summary={"addendum_id": str(addendum_id)},
        )
    return AddendumOut(
        id=addendum_id,
        author_id=principal.user_id,
        text=data.text,
        evidence=data.evidence,
        created_at=now,
    )


async def team_inspection_for_change(
    inspection_id: UUID, principal: Principal, *, doing: str
) -> dict[str, Any]:
    """For another package's field-work op: the inspection, locked, if the principal is on its
    team and may see it now (else not found, worded as for any op) and it is in progress (else a
    conflict saying its status). Call inside a write transaction."""
    row = await _team_row(inspection_id, principal)
    _require_status(row, EDITABLE, doing)
    return row


async def touch(inspection_id: UUID, now: datetime) -> None:
    """Mark the inspection changed, so the phones' `/changes` bring it back."""
    await _touch(inspection_id, now)


def is_clock_skewed(device_clock_offset: timedelta) -> bool:
    return abs(device_clock_offset.total_seconds()) > CLOCK_SKEW_LIMIT.total_seconds()


async def unit_history_reason(unit_id: UUID) -> str | None:
    count = await Inspection.count().where(Inspection.unit_id == unit_id)
    return f"{count} inspection(s)" if count else None


async def mark_closed(inspection_id: UUID, *, now: datetime) -> bool:
    """Close a signed inspection (all its corrective actions are verified). Runs in the caller's
    transaction; returns whether it changed anything."""
    row = await Inspection.select(Inspection.status).where(Inspection.id == inspection_id).first()
    if row is None or row["status"] != InspectionStatus.signed.value:
        return False
    await _touch(inspection_id, now, status=InspectionStatus.closed.value, closed_at=now)
    await audit_service.record(
        actor=audit_service.SYSTEM,
        action="inspection.closed",
        object_type="inspection",
        object_id=inspection_id,
        summary={"reason": "all corrective actions verified"},
    )
    return True


@dataclass(frozen=True)
class InspectionFacts:
    """What other packages need to know of an inspection whose scope they checked their own way."""

    id: UUID
    unit_id: UUID
    unit_path: str
    plan_id: UUID | None
    status: str
    checklist_version_id: UUID


async def inspection_facts(inspection_id: UUID) -> InspectionFacts | None:
    """Unscoped facts other services need after checking scope their own way."""
    return await db.select_one(InspectionFacts, Inspection, Inspection.id == inspection_id)


async def is_member(inspection_id: UUID, user_id: UUID) -> bool:
    return bool(
        await InspectionMember.exists().where(
            InspectionMember.inspection_id == inspection_id, InspectionMember.user_id == user_id
        )
    )


async def inspections_of_member(user_id: UUID) -> list[UUID]:
    rows = await InspectionMember.select(InspectionMember.inspection_id).where(
        InspectionMember.user_id == user_id
    )
    return [row["inspection_id"] for row in rows]


async def link_follow_up(follow_up_id: UUID, original_id: UUID) -> None:
    await Inspection.update({Inspection.follow_up_of: original_id}).where(
        Inspection.id == follow_up_id
    )


@dataclass(frozen=True)
class FindingBrief:
    """What a finding says and shows (its description in both languages, its evidence hashes)."""

    description: str
    description_en: str | None
    evidence: list[str]


async def finding_brief(finding_id: UUID) -> FindingBrief | None:
    """Unscoped: what a finding says and shows, for a corrective action whose scope was checked."""
    return await db.select_one(FindingBrief, Finding, Finding.id == finding_id)


async def findings_with_evidence(sha256: str) -> list[UUID]:
    """Unscoped ids of the findings that show this evidence file."""
    rows = await Finding.select(Finding.id).where(db.json_text_mentions("evidence", sha256))
    return [row["id"] for row in rows]


async def evidence_visible(sha256: str, principal: Principal) -> bool:
    """Whether an inspection the principal may see (the secrecy rule of ``_visible_query``)
    references this evidence file: in an answer, a finding, a signature or an addendum."""
    mentions = db.json_text_mentions("evidence", sha256)
    referencing: set[UUID] = set()
    for table in (Answer, Finding, Addendum):
        rows = await table.select(table.inspection_id).where(mentions)
        referencing.update(row["inspection_id"] for row in rows)
    signed = await Signature.select(Signature.inspection_id).where(Signature.image_sha256 == sha256)
    referencing.update(row["inspection_id"] for row in signed)
    if not referencing:
        return False
    return bool(await visible_ids(principal, among=list(referencing)))


async def visible_clauses(principal: Principal, *, now: datetime | None = None) -> list[Any]:
    """The secrecy-aware where-clauses on `Inspection` for this principal: what reports and
    exports must filter by, so they can never count an inspection its unit may not know of."""
    return await _visible_query(principal, now=now or datetime.now(UTC))


async def rewrite_unit_paths(old_prefix: str, new_prefix: str) -> None:
    await db.rewrite_prefix("inspection", "unit_path", old_prefix, new_prefix)
