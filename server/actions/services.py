"""Corrective actions: created on submit, moved by the right people, closing the inspection when
all are verified, and announcing every move that someone must act on through the outbox (in the
same transaction as the move)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from server.actions.rules import ActionStatus, Mover, MoveRefused, find_move
from server.actions.schemas import (
    ActionDetailOut,
    ActionEventOut,
    ActionOut,
    CommentIn,
    OfflineTransitionIn,
    ReassignIn,
    TransitionIn,
)
from server.actions.tables import ActionEvent, CorrectiveAction
from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.core.pagination import Page, paged
from server.core.scopes import Principal, Role
from server.core.timeutil import aware
from server.evidence import services as evidence_service
from server.inspections import services as inspection_service
from server.inspections.events import InspectionSigned, InspectionStarted, InspectionSubmitted
from server.notifications import services as notification_service
from server.notifications.messages import local_date, local_time
from server.notifications.services import Recipient
from server.plans.tables import Plan
from server.units.tables import Unit
from server.users.tables import AppUser

DEFAULT_DUE_DAYS = {"critical": 7, "major": 15, "minor": 30}


def action_link(action_id: UUID) -> str:
    """Where a message about an action sends its reader: the action's screen in the app."""
    return notification_service.link_to(f"/app/actions/{action_id}")


def inspection_link(inspection_id: UUID) -> str:
    return notification_service.link_to(f"/app/inspections/{inspection_id}")


# --- Hooks from the inspection lifecycle (inside its transaction) --------------------------------


async def on_inspection_started(event: InspectionStarted) -> None:
    inspection, now = event.inspection, event.now
    heads = await unit_heads_of(inspection["unit_id"])
    await notification_service.enqueue(
        event_type="inspection.started",
        event_key=f"inspection.started:{inspection['id']}",
        # The unit's own targets too: its heads may have none. One row per target (deduped).
        recipients=[
            Recipient(kind="unit", id=inspection["unit_id"]),
            *(Recipient(kind="user", id=head) for head in heads),
        ],
        values={
            **await _unit_names(inspection["unit_id"]),
            "time": local_time(now, await _unit_zone(inspection["unit_id"])),
        },
        link=inspection_link(inspection["id"]),
        now=now,
        payload={"inspection_id": str(inspection["id"])},
    )


async def on_inspection_submitted(event: InspectionSubmitted) -> None:
    inspection, findings, due_days_policy = event.inspection, event.findings, event.due_days_policy
    principal, now = event.principal, event.now
    unit = (
        await Unit.select(Unit.path, Unit.name_vi).where(Unit.id == inspection["unit_id"]).first()
    )
    assert unit is not None
    for finding in findings:
        days = finding["due_days"] or due_days_policy.get(
            finding["severity"], DEFAULT_DUE_DAYS[finding["severity"]]
        )
        action = finding["default_action"] or {}
        title_vi = action.get("vi") or f"Khắc phục: {finding['description']}"
        title_en = action.get("en") or f"Fix: {finding['description_en'] or finding['description']}"
        action_id = uuid4()
        due_at = now + timedelta(days=days)
        await CorrectiveAction.insert(
            CorrectiveAction(
                id=action_id,
                finding_id=finding["id"],
                inspection_id=inspection["id"],
                inspected_unit_id=inspection["unit_id"],
                inspected_unit_path=unit["path"],
                responsible_unit_id=inspection["unit_id"],
                responsible_unit_path=unit["path"],
                severity=finding["severity"],
                category=finding["category"],
                title_vi=title_vi,
                title_en=title_en,
                status=ActionStatus.open.value,
                due_at=due_at,
                evidence=[],
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        await _history(
            action_id, "created", None, ActionStatus.open, principal.label, principal.user_id, now
        )
        await _announce_assigned(
            action_id,
            inspection["unit_id"],
            title_vi,
            title_en,
            finding["severity"],
            due_at,
            now,
        )


async def on_inspection_signed(event: InspectionSigned) -> None:
    inspection, now = event.inspection, event.now
    recipients = [Recipient(kind="unit", id=inspection["unit_id"])]
    leader = await plan_leader(inspection.get("plan_id"))
    if leader:
        recipients.append(Recipient(kind="user", id=leader))
    await notification_service.enqueue(
        event_type="inspection.minutes_ready",
        event_key=f"inspection.minutes_ready:{inspection['id']}",
        recipients=recipients,
        values=await _unit_names(inspection["unit_id"]),
        link=inspection_link(inspection["id"]),
        now=now,
        payload={"inspection_id": str(inspection["id"])},
    )
    pending = await CorrectiveAction.count().where(
        CorrectiveAction.inspection_id == inspection["id"],
        CorrectiveAction.status != ActionStatus.verified.value,
    )
    if pending == 0:
        await inspection_service.mark_closed(inspection["id"], now=now)


async def _announce_assigned(
    action_id: UUID,
    unit_id: UUID,
    title_vi: str,
    title_en: str,
    severity: str,
    due_at: datetime,
    now: datetime,
    *,
    generation: int = 1,
) -> None:
    await notification_service.enqueue(
        event_type="action.assigned",
        event_key=f"action.assigned:{action_id}:{unit_id}:{generation}",
        recipients=[Recipient(kind="unit", id=unit_id)],
        values={
            "title": title_vi,
            "title_en": title_en,
            **await _unit_names(unit_id),
            "severity": severity,
            "due": local_date(due_at, await _unit_zone(unit_id)),
        },
        link=action_link(action_id),
        now=now,
        payload={"action_id": str(action_id), "title_en": title_en},
    )


async def _unit_names(unit_id: UUID) -> dict[str, str]:
    """Template values naming a unit; English recipients get ``unit_en`` (see messages.render)."""
    unit = await Unit.select(Unit.name_vi, Unit.name_en).where(Unit.id == unit_id).first()
    return {"unit": unit["name_vi"], "unit_en": unit["name_en"]} if unit else {"unit": ""}


async def _unit_zone(unit_id: UUID) -> str:
    unit = await Unit.select(Unit.time_zone).where(Unit.id == unit_id).first()
    return str(unit["time_zone"]) if unit else "Asia/Ho_Chi_Minh"


async def unit_heads_of(unit_id: UUID) -> list[UUID]:
    rows = await AppUser.select(AppUser.id).where(
        AppUser.home_unit_id == unit_id,
        AppUser.role == Role.unit_head.value,
        AppUser.active == True,
    )
    return [row["id"] for row in rows]


async def plan_leader(plan_id: UUID | None) -> UUID | None:
    if plan_id is None:
        return None
    row = await Plan.select(Plan.created_by).where(Plan.id == plan_id).first()
    return row["created_by"] if row else None


async def _history(
    action_id: UUID,
    kind: str,
    from_status: ActionStatus | None,
    to_status: ActionStatus | None,
    actor_label: str,
    actor_id: UUID | None,
    at: datetime,
    *,
    comment: str | None = None,
    evidence: list[str] | None = None,
) -> None:
    await ActionEvent.insert(
        ActionEvent(
            id=uuid4(),
            action_id=action_id,
            kind=kind,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            actor_id=actor_id,
            actor_label=actor_label,
            comment=comment,
            evidence=evidence or [],
            at=at,
        )
    )


# --- Reads ---------------------------------------------------------------------------------------


async def visible_clauses(principal: Principal) -> list[Any]:
    if principal.role in (Role.admin, Role.leader, Role.unit_head):
        home = f"{principal.home_unit_path}%"
        return [
            CorrectiveAction.responsible_unit_path.like(home)
            | CorrectiveAction.inspected_unit_path.like(home)
        ]
    inspections = await inspection_service.inspections_of_member(principal.user_id)
    if not inspections:
        return [CorrectiveAction.id.is_null()]
    return [CorrectiveAction.inspection_id.is_in(inspections)]


def _out(row: dict[str, Any], now: datetime, *, follow_up_visible: bool = False) -> ActionOut:
    due = aware(row["due_at"])
    values = {key: row[key] for key in ActionOut.model_fields if key in row and key != "overdue"}
    if not follow_up_visible:
        values["follow_up_inspection_id"] = None
    return ActionOut(**values, overdue=row["status"] != ActionStatus.verified.value and due < now)


async def _visible_follow_ups(rows: list[dict[str, Any]], principal: Principal) -> set[UUID]:
    """A follow-up visit is unannounced too: its id is shown only to those who may see it."""
    ids = [row["follow_up_inspection_id"] for row in rows if row["follow_up_inspection_id"]]
    if not ids:
        return set()
    return set(await inspection_service.visible_ids(principal, among=ids))


async def list_actions(
    *,
    principal: Principal,
    unit_id: UUID | None = None,
    status: ActionStatus | None = None,
    overdue: bool | None = None,
    inspection_id: UUID | None = None,
    now: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Page[ActionOut]:
    """Soonest due first (then by id, so pages never overlap); ``limit=None`` for all rows."""
    now = now or datetime.now(UTC)
    clauses = await visible_clauses(principal)
    if unit_id is not None:
        clauses.append(CorrectiveAction.responsible_unit_id == unit_id)
    if status is not None:
        clauses.append(CorrectiveAction.status == status.value)
    if inspection_id is not None:
        clauses.append(CorrectiveAction.inspection_id == inspection_id)
    if overdue is True:
        clauses += [
            CorrectiveAction.due_at < now,
            CorrectiveAction.status != ActionStatus.verified.value,
        ]
    elif overdue is False:
        clauses.append(
            (CorrectiveAction.due_at >= now)
            | (CorrectiveAction.status == ActionStatus.verified.value)
        )
    total = await CorrectiveAction.count().where(*clauses)
    query = (
        CorrectiveAction.select()
        .where(*clauses)
        .order_by(CorrectiveAction.due_at, CorrectiveAction.id)
    )
    rows = await paged(query, limit=limit, offset=offset).output(load_json=True)
    follow_ups = await _visible_follow_ups(rows, principal)
    items = [
        _out(row, now, follow_up_visible=row["follow_up_inspection_id"] in follow_ups)
        for row in rows
    ]
    return Page(items=items, total=total)


async def _visible_row(action_id: UUID, principal: Principal) -> dict[str, Any]:
    row = (
        await CorrectiveAction.select()
        .where(CorrectiveAction.id == action_id, *await visible_clauses(principal))
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(f"No corrective action {action_id} visible to you.")
    return row


async def get_action(*, action_id: UUID, principal: Principal) -> ActionDetailOut:
    row = await _visible_row(action_id, principal)
    history = (
        await ActionEvent.select()
        .where(ActionEvent.action_id == action_id)
        .order_by(ActionEvent.at)
        .output(load_json=True)
    )
    follow_ups = await _visible_follow_ups([row], principal)
    # The finding is read unscoped: whoever may see the action may see what it is to fix, also
    # when it was handed to a unit that cannot see the inspection itself.
    finding = await inspection_service.finding_brief(row["finding_id"])
    units = {
        unit["id"]: unit
        for unit in await Unit.select(Unit.id, Unit.name_vi, Unit.name_en).where(
            Unit.id.is_in([row["inspected_unit_id"], row["responsible_unit_id"]])
        )
    }
    inspected = units.get(row["inspected_unit_id"], {})
    responsible = units.get(row["responsible_unit_id"], {})
    return ActionDetailOut(
        **_out(
            row, datetime.now(UTC), follow_up_visible=row["follow_up_inspection_id"] in follow_ups
        ).model_dump(),
        history=[ActionEventOut(**event) for event in history],
        finding_description=(finding.description if finding else None) or row["title_vi"],
        finding_description_en=finding.description_en if finding else None,
        finding_evidence=finding.evidence if finding else [],
        inspected_unit_name_vi=inspected.get("name_vi", ""),
        inspected_unit_name_en=inspected.get("name_en", ""),
        responsible_unit_name_vi=responsible.get("name_vi", ""),
        responsible_unit_name_en=responsible.get("name_en", ""),
    )


async def evidence_visible(sha256: str, principal: Principal) -> bool:
    """Whether an action the principal may see (or its history) carries this evidence file, or
    the finding it fixes does (the "before" photos its detail shows)."""
    mentions = db.json_text_mentions
    clauses = await visible_clauses(principal)
    if await CorrectiveAction.exists().where(*clauses, mentions("evidence", sha256)):
        return True
    event_actions = await ActionEvent.select(ActionEvent.action_id).where(
        mentions("evidence", sha256)
    )
    ids = list({row["action_id"] for row in event_actions})
    if ids and await CorrectiveAction.exists().where(*clauses, CorrectiveAction.id.is_in(ids)):
        return True
    findings = await inspection_service.findings_with_evidence(sha256)
    return bool(findings) and bool(
        await CorrectiveAction.exists().where(*clauses, CorrectiveAction.finding_id.is_in(findings))
    )


# --- Moves ---------------------------------------------------------------------------------------


async def _mover(row: dict[str, Any], principal: Principal) -> Mover:
    """Who the principal is to this action. Whoever would verify but works in the responsible
    unit (or below it) is `own_unit`: nobody verifies their own unit's fix. A unit head never
    verifies."""
    responsible_path = row["responsible_unit_path"]
    if principal.role == Role.unit_head:
        if principal.home_unit_id == row["responsible_unit_id"]:
            return Mover.responsible_head
        return Mover.other
    if principal.role == Role.inspector:
        if not await inspection_service.is_member(row["inspection_id"], principal.user_id):
            return Mover.other
        if principal.works_at_or_below(responsible_path):
            return Mover.own_unit
        return Mover.verifier
    if principal.role in (Role.leader, Role.admin):
        if principal.is_strictly_above(responsible_path):
            return Mover.verifier
        if principal.works_at_or_below(responsible_path):
            return Mover.own_unit
    return Mover.other


async def transition(
    *, action_id: UUID, data: TransitionIn, principal: Principal, now: datetime | None = None
) -> ActionDetailOut:
    now = now or datetime.now(UTC)

    async with db.write_transaction():
        await _visible_row(action_id, principal)
        # Locked, then read again: of two people moving the action at once, the second sees the
        # first one's move and is refused, instead of both writing history for one state.
        await db.lock_row("corrective_action", action_id)
        row = await _visible_row(action_id, principal)
        current = ActionStatus(row["status"])
        if data.expected_status is not None and data.expected_status != current:
            raise Conflict(
                f"The action has moved meanwhile: it is {current.value} now, not "
                f"{data.expected_status.value}. Reload it and decide again.",
                extra={"current_status": current.value, "version": row["version"]},
            )
        try:
            move = find_move(current, data.to, await _mover(row, principal))
        except MoveRefused as error:
            raise PermissionDenied(str(error)) from error
        if move.needs_report_and_evidence and (not data.report or not data.evidence):
            raise InvalidInput(
                "Submitting a fix needs a report (what was done) and at least one evidence file."
            )
        if move.needs_comment and not data.comment:
            raise InvalidInput("Returning a fix needs a comment saying what is still wrong.")
        missing = await evidence_service.missing(list(data.evidence))
        if missing:
            raise Conflict(
                f"Evidence not uploaded yet: {', '.join(missing)}. Upload it first.",
                extra={"missing_evidence": missing},
            )
        changes: dict[Any, Any] = {
            "status": data.to.value,
            "version": row["version"] + 1,
            "updated_at": now,
        }
        if data.to == ActionStatus.submitted:
            changes.update(report=data.report, evidence=data.evidence)
        if data.to == ActionStatus.verified:
            changes["verified_at"] = now
        await CorrectiveAction.update(changes).where(
            CorrectiveAction.id == action_id, CorrectiveAction.version == row["version"]
        )
        await _history(
            action_id,
            "transition",
            current,
            data.to,
            principal.label,
            principal.user_id,
            now,
            comment=data.comment or data.report,
            evidence=list(data.evidence),
        )
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="action.transition",
            object_type="corrective_action",
            object_id=action_id,
            summary={"from": current.value, "to": data.to.value},
        )
        await _announce_transition(row, data, now)
        if data.to == ActionStatus.verified:
            pending = await CorrectiveAction.count().where(
                CorrectiveAction.inspection_id == row["inspection_id"],
                CorrectiveAction.status != ActionStatus.verified.value,
            )
            if pending == 0:
                await inspection_service.mark_closed(row["inspection_id"], now=now)
    return await get_action(action_id=action_id, principal=principal)


async def _announce_transition(row: dict[str, Any], data: TransitionIn, now: datetime) -> None:
    if data.to not in (ActionStatus.returned, ActionStatus.verified):
        return
    await notification_service.enqueue(
        event_type=f"action.{data.to.value}",
        event_key=f"action.{data.to.value}:{row['id']}:v{row['version'] + 1}",
        recipients=[Recipient(kind="unit", id=row["responsible_unit_id"])],
        values={
            "title": row["title_vi"],
            "title_en": row["title_en"],
            **await _unit_names(row["responsible_unit_id"]),
            "comment": data.comment or "",
        },
        link=action_link(row["id"]),
        now=now,
        payload={"action_id": str(row["id"])},
    )


async def offline_transition(
    payload: OfflineTransitionIn,
    principal: Principal,
    now: datetime,
    op_id: UUID,
    device_clock_offset: timedelta,
) -> dict[str, Any]:
    """The `action_transition` sync op. The phone must say which state it saw; if the action
    moved meanwhile the op is rejected with the current state, never applied on top of it."""
    detail = await transition(
        action_id=payload.action_id, data=payload, principal=principal, now=now
    )
    return {"action_id": str(detail.id), "status": detail.status.value, "version": detail.version}


async def comment(*, action_id: UUID, data: CommentIn, principal: Principal) -> ActionDetailOut:
    now = datetime.now(UTC)
    async with db.write_transaction():
        row = await _visible_row(action_id, principal)
        await _history(
            action_id,
            "comment",
            None,
            None,
            principal.label,
            principal.user_id,
            now,
            comment=data.text,
        )
        await CorrectiveAction.update({CorrectiveAction.updated_at: now}).where(
            CorrectiveAction.id == row["id"]
        )
    return await get_action(action_id=action_id, principal=principal)


async def reassign(*, action_id: UUID, data: ReassignIn, principal: Principal) -> ActionDetailOut:
    """A leader above the responsible unit hands the action to another unit (e.g. the
    specialised office) in their part of the tree."""
    now = datetime.now(UTC)
    async with db.write_transaction():
        await _visible_row(action_id, principal)
        await db.lock_row("corrective_action", action_id)
        row = await _visible_row(action_id, principal)
        _require_above_responsible_unit(row, principal)
        if row["status"] == ActionStatus.verified.value:
            raise Conflict("A verified action is finished; it cannot be handed over.")
        unit = (
            await Unit.select(Unit.id, Unit.path, Unit.name_vi, Unit.active)
            .where(
                Unit.id == data.responsible_unit_id,
                Unit.path.like(f"{principal.home_unit_path}%"),
            )
            .first()
        )
        if unit is None or not unit["active"]:
            raise InvalidInput(
                f"Unit {data.responsible_unit_id} is not an active unit in your part of the tree."
            )
        generation = row["version"] + 1
        await CorrectiveAction.update(
            {
                CorrectiveAction.responsible_unit_id: unit["id"],
                CorrectiveAction.responsible_unit_path: unit["path"],
                CorrectiveAction.version: generation,
                CorrectiveAction.updated_at: now,
            }
        ).where(CorrectiveAction.id == action_id)
        await _history(
            action_id,
            "reassigned",
            None,
            None,
            principal.label,
            principal.user_id,
            now,
            comment=data.comment or f"→ {unit['name_vi']}",
        )
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="action.reassigned",
            object_type="corrective_action",
            object_id=action_id,
            summary={"responsible_unit_id": str(unit["id"])},
        )
        await _announce_assigned(
            action_id,
            unit["id"],
            row["title_vi"],
            row["title_en"],
            row["severity"],
            aware(row["due_at"]),
            now,
            generation=generation,
        )
    return await get_action(action_id=action_id, principal=principal)


def _require_above_responsible_unit(row: dict[str, Any], principal: Principal) -> None:
    """Handing an action on is judging the responsible unit's work, like verifying it."""
    if principal.role in (Role.leader, Role.admin) and principal.is_strictly_above(
        row["responsible_unit_path"]
    ):
        return
    refusal = "Only a leader above the responsible unit may hand its action to another unit."
    if principal.role in (Role.leader, Role.admin) and principal.works_at_or_below(
        row["responsible_unit_path"]
    ):
        refusal += " You work in that unit (or below it); ask a leader above it."
    raise PermissionDenied(refusal)


async def risk_facts(unit_ids: list[UUID], *, now: datetime) -> dict[UUID, dict[str, int]]:
    """Open and overdue actions per unit, for the draw's risk weight."""
    if not unit_ids:
        return {}
    rows = await CorrectiveAction.select(
        CorrectiveAction.responsible_unit_id, CorrectiveAction.due_at
    ).where(
        CorrectiveAction.responsible_unit_id.is_in(unit_ids),
        CorrectiveAction.status != ActionStatus.verified.value,
    )
    facts: dict[UUID, dict[str, int]] = {}
    for row in rows:
        entry = facts.setdefault(
            row["responsible_unit_id"], {"open_actions": 0, "overdue_actions": 0}
        )
        entry["open_actions"] += 1
        if aware(row["due_at"]) < now:
            entry["overdue_actions"] += 1
    return facts


async def unit_history_reason(unit_id: UUID) -> str | None:
    count = await CorrectiveAction.count().where(CorrectiveAction.responsible_unit_id == unit_id)
    return f"{count} corrective action(s)" if count else None


async def link_open_actions_to_follow_up(inspection_id: UUID, follow_up_id: UUID) -> None:
    """A follow-up visit was planned for this inspection: its open actions are checked there.
    Runs inside the transaction that creates the follow-up plan."""
    await CorrectiveAction.update({CorrectiveAction.follow_up_inspection_id: follow_up_id}).where(
        CorrectiveAction.inspection_id == inspection_id,
        CorrectiveAction.status != ActionStatus.verified.value,
    )


@dataclass(frozen=True)
class ActionBrief:
    """What a document of an inspection says of one of its corrective actions."""

    id: UUID
    title_vi: str
    title_en: str
    responsible_unit_id: UUID
    due_at: datetime


async def actions_for_inspection(inspection_id: UUID) -> list[ActionBrief]:
    """Unscoped, for documents of an inspection the caller may already see; by due date."""
    return await db.select_all(
        ActionBrief,
        CorrectiveAction,
        CorrectiveAction.inspection_id == inspection_id,
        order_by=CorrectiveAction.due_at,
    )


async def rewrite_unit_paths(old_prefix: str, new_prefix: str) -> None:
    for column in ("responsible_unit_path", "inspected_unit_path"):
        await db.rewrite_prefix("corrective_action", column, old_prefix, new_prefix)
