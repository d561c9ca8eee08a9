"""Sealed plans: creation (listed or drawn targets), secrecy-aware reads, reveal and verification.

The plan document (targets, window, teams, the draw's inputs) is hashed with a secret nonce into a
commitment that goes to the audit log at once. After the window the nonce is revealed and anyone
can recompute both the draw and the hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Protocol
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from checklists import services as checklist_service
from server.core import db
from server.core.audit import services as audit_service
from server.core.audit.tables import AuditEvent
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.scopes import Principal, Role, is_at_or_below, require_role
from server.core.timeutil import aware
from server.dossiers import samples as sample_service
from server.inspections import services as inspection_service
from server.notifications import services as notification_service
from server.notifications.services import Recipient
from server.plans import draw
from server.plans.schemas import (
    DrawCandidateOut,
    DrawLeftOutOut,
    DrawPreviewIn,
    DrawPreviewOut,
    LeftOutReason,
    PlanIn,
    PlanOut,
    PlanTargetOut,
    RevealOut,
    RiskOut,
    TeamIn,
    VerifyOut,
    WeightTermsOut,
)
from server.plans.tables import Plan
from server.units import services as unit_service
from server.units.tables import Unit
from server.users.tables import AppUser

PLAN_DOCUMENT_VERSION = 1


class RiskFactSource(Protocol):
    """Counts another package keeps per unit (e.g. open and overdue corrective actions) that
    weigh in the draw, by the names of ``draw.RiskInputs`` fields."""

    async def __call__(
        self, unit_ids: list[UUID], *, now: datetime
    ) -> dict[UUID, dict[str, int]]: ...


# Registered in the app factory, so plans need not import the packages that keep the facts.
_risk_fact_sources: list[RiskFactSource] = []


def register_risk_facts(source: RiskFactSource) -> None:
    if source not in _risk_fact_sources:
        _risk_fact_sources.append(source)


async def create_plan(*, data: PlanIn, principal: Principal) -> PlanOut:
    require_role(principal, Role.leader, Role.admin)
    scope_unit = await unit_service.get_unit(unit_id=data.scope_unit_id, principal=principal)
    scope_facts = await unit_service.get_unit_unscoped(scope_unit.id)
    assert scope_facts is not None
    if not await checklist_service.version_exists(data.checklist_version_id):
        raise InvalidInput(f"No published checklist version {data.checklist_version_id}.")
    teams = await _check_teams(data.teams)
    plan_id = uuid4()
    nonce = draw.new_nonce()
    zone = ZoneInfo(scope_facts.time_zone)
    first_day = data.window_start.astimezone(zone).date()
    last_day = data.window_end.astimezone(zone).date()

    draw_section: dict[str, Any] | None = None
    if data.targets is not None:
        targets = await _listed_targets(data, scope_facts.path, first_day, last_day)
    else:
        assert data.draw is not None
        pool = await _draw_pool(scope_facts.path, data.draw.candidate_kinds, teams, principal)
        candidates = pool.candidates
        shortfall = _draw_shortfall(data.draw.k, pool, data.draw.candidate_kinds)
        if shortfall:
            raise InvalidInput(shortfall)
        result = draw.draw_units(candidates, data.draw.k, nonce, str(plan_id))
        targets = [(UUID(unit_id), first_day) for unit_id in result.selected_unit_ids]
        draw_section = {
            "algorithm": result.algorithm,
            "k": data.draw.k,
            "plan_salt": str(plan_id),
            "candidate_kinds": sorted(data.draw.candidate_kinds),
            "candidates": [candidate.model_dump(mode="json") for candidate in candidates],
        }
    await _refuse_team_homed_in_targets(teams, targets)
    await _refuse_creator_homed_in_targets(principal, [unit_id for unit_id, _ in targets])
    samples = None
    if data.dossier_sample is not None:
        # Drawn with the plan's own nonce, before the transaction (the rules over a quarter's
        # ledger take a moment); the pools are stored, so later imports cannot change them.
        samples = await sample_service.draw_for_plan(
            plan_id=plan_id,
            nonce=nonce,
            params=data.dossier_sample,
            unit_ids=[unit_id for unit_id, _ in targets],
        )

    now = datetime.now(UTC)
    target_entries: list[dict[str, Any]] = [
        {
            "unit_id": str(unit_id),
            "visit_date": visit_date.isoformat(),
            "team": index % len(teams),
        }
        for index, (unit_id, visit_date) in enumerate(targets)
    ]
    document = {
        "document_version": PLAN_DOCUMENT_VERSION,
        "plan_id": str(plan_id),
        "title": data.title,
        "checklist_version_id": str(data.checklist_version_id),
        "scope_unit_id": str(data.scope_unit_id),
        "window": {"start": _iso(data.window_start), "end": _iso(data.window_end)},
        "assignment_visibility": data.assignment_visibility.value,
        "teams": [
            {"head_id": str(team[0]), "member_ids": [str(member) for member in team[1:]]}
            for team in teams
        ],
        "selection": "listed" if draw_section is None else "drawn",
        "targets": target_entries,
        "draw": draw_section,
        "created_by": str(principal.user_id),
        "created_at": _iso(now),
    }
    if samples is not None:
        document["dossier_sample"] = samples.document_section
    commitment = draw.commitment(document, nonce)

    async with db.write_transaction():
        await Plan.insert(
            Plan(
                id=plan_id,
                title=data.title,
                created_by=principal.user_id,
                scope_unit_id=data.scope_unit_id,
                scope_unit_path=scope_facts.path,
                checklist_version_id=data.checklist_version_id,
                window_start=data.window_start,
                window_end=data.window_end,
                selection=document["selection"],
                draw_k=data.draw.k if data.draw else None,
                assignment_visibility=data.assignment_visibility.value,
                document=document,
                commitment=commitment,
                nonce=nonce,
                created_at=now,
            )
        )
        inspection_ids: dict[UUID, UUID] = {}
        for entry in target_entries:
            team = teams[entry["team"]]
            visit_day = date.fromisoformat(entry["visit_date"])
            inspection_ids[UUID(entry["unit_id"])] = await inspection_service.create_planned(
                plan_id=plan_id,
                unit_id=UUID(entry["unit_id"]),
                checklist_version_id=data.checklist_version_id,
                visit_date=visit_day,
                window_start=data.window_start,
                window_end=data.window_end,
                team_head_id=team[0],
                member_ids=list(team[1:]),
                visible_to_team_from=(
                    now
                    if data.assignment_visibility.value == "at_creation"
                    else datetime.combine(visit_day, time.min, zone).astimezone(UTC)
                ),
                now=now,
            )
        if samples is not None:
            await sample_service.store_for_plan(
                samples, plan_id=plan_id, inspection_ids=inspection_ids, now=now
            )
        # Only the plan id and the commitment: the audit log must not leak the targets.
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="plan.created",
            object_type="plan",
            object_id=plan_id,
            summary={"commitment": commitment, "selection": document["selection"]},
        )
        await notification_service.enqueue(
            event_type="plan.committed",
            event_key=f"plan.committed:{plan_id}",
            recipients=[Recipient(kind="oversight")],
            values={"plan": str(plan_id), "commitment": commitment},
            link=None,
            now=now,
            payload={"plan_id": str(plan_id), "commitment": commitment},
        )
    return await get_plan(plan_id=plan_id, principal=principal)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _check_teams(team_inputs: list[TeamIn]) -> list[list[UUID]]:
    teams: list[list[UUID]] = []
    seen: set[UUID] = set()
    for index, team in enumerate(team_inputs):
        members = [team.head_id, *[m for m in team.member_ids if m != team.head_id]]
        for member in members:
            if member in seen:
                raise InvalidInput(f"teams[{index}]: user {member} is in more than one team.")
            seen.add(member)
        teams.append(members)
    rows = await AppUser.select(AppUser.id, AppUser.role, AppUser.active).where(
        AppUser.id.is_in(list(seen))
    )
    found = {row["id"]: row for row in rows}
    for user_id in seen:
        row = found.get(user_id)
        if row is None or not row["active"] or row["role"] not in ("inspector", "leader"):
            raise InvalidInput(
                f"User {user_id} cannot be on an inspection team: teams are active inspectors "
                "or leaders."
            )
    return teams


async def _listed_targets(
    data: PlanIn, scope_path: str, first_day: date, last_day: date
) -> list[tuple[UUID, date]]:
    assert data.targets is not None
    ids = [target.unit_id for target in data.targets]
    if len(set(ids)) != len(ids):
        raise InvalidInput("targets lists a unit more than once.")
    rows = await Unit.select(Unit.id, Unit.active).where(
        Unit.id.is_in(ids), Unit.path.like(f"{scope_path}%")
    )
    found = {row["id"]: row for row in rows}
    result = []
    for index, target in enumerate(data.targets):
        row = found.get(target.unit_id)
        if row is None or not row["active"]:
            raise InvalidInput(
                f"targets[{index}]: unit {target.unit_id} is not an active unit inside the plan's "
                "scope."
            )
        visit_date = target.visit_date or first_day
        if not first_day <= visit_date <= last_day:
            raise InvalidInput(
                f"targets[{index}]: visit_date {visit_date} is outside the window "
                f"{first_day}..{last_day}."
            )
        result.append((target.unit_id, visit_date))
    return result


@dataclass(frozen=True)
class LeftOut:
    unit: dict[str, Any]
    reasons: list[LeftOutReason]
    user_ids: list[UUID]


@dataclass(frozen=True)
class DrawPool:
    """The units a draw chooses from (with their risk inputs), and the units of the candidate
    kinds it leaves out, with the reasons."""

    candidates: list[draw.RiskInputs]
    units: dict[UUID, dict[str, Any]]
    left_out: list[LeftOut]

    @property
    def left_out_for_people(self) -> int:
        return sum(1 for entry in self.left_out if LeftOutReason.inactive not in entry.reasons)


async def _draw_pool(
    scope_path: str, kinds: list[str], teams: list[list[UUID]], creator: Principal
) -> DrawPool:
    """The units that may be drawn, and those left out because they are inactive or the planning
    leader or a team member works in them (or below them). Leaving those out before the draw,
    rather than refusing the plan after it, matters: a refusal would let a leader redraw with a
    fresh, unlogged nonce until a unit is spared, and the sealed draw would no longer be the
    first one. The preview and the real draw both come through here."""
    if not kinds:
        raise InvalidInput("draw.candidate_kinds must name at least one unit kind.")
    rows = await Unit.select(
        Unit.id, Unit.path, Unit.code, Unit.name_vi, Unit.name_en, Unit.kind, Unit.active
    ).where(Unit.path.like(f"{scope_path}%"), Unit.kind.is_in(kinds))
    homes = {**(await _member_home_paths(teams)), creator.user_id: creator.home_unit_path}
    unit_ids: list[UUID] = []
    left_out: list[LeftOut] = []
    for row in rows:
        workers = [user_id for user_id, home in homes.items() if is_at_or_below(home, row["path"])]
        reasons = []
        if not row["active"]:
            reasons.append(LeftOutReason.inactive)
        if creator.user_id in workers:
            reasons.append(LeftOutReason.planner_works_there)
        if any(user_id != creator.user_id for user_id in workers):
            reasons.append(LeftOutReason.team_member_works_there)
        if reasons:
            left_out.append(LeftOut(unit=row, reasons=reasons, user_ids=workers))
        else:
            unit_ids.append(row["id"])
    now = datetime.now(UTC)
    risk = await inspection_service.risk_facts(unit_ids, now=now)
    for source in _risk_fact_sources:
        for unit_id, counts in (await source(unit_ids, now=now)).items():
            risk.setdefault(unit_id, {}).update(counts)
    candidates = [
        draw.RiskInputs(unit_id=str(unit_id), **risk.get(unit_id, {})) for unit_id in unit_ids
    ]
    return DrawPool(
        candidates=candidates, units={row["id"]: row for row in rows}, left_out=left_out
    )


def _draw_shortfall(k: int, pool: DrawPool, kinds: list[str]) -> str | None:
    if k <= len(pool.candidates):
        return None
    left_out = pool.left_out_for_people
    return (
        f"Cannot draw {k} units: the scope has only {len(pool.candidates)} active "
        f"candidate unit(s) of kinds {', '.join(kinds)}"
        + (f" ({left_out} left out: you or a team member work there)." if left_out else ".")
    )


def _risk_out(inputs: draw.RiskInputs) -> RiskOut:
    terms = draw.risk_weight_terms(inputs)
    return RiskOut(
        **inputs.model_dump(exclude={"unit_id"}),
        terms=WeightTermsOut(**terms.model_dump(exclude={"weight"})),
    )


async def preview_draw(*, data: DrawPreviewIn, principal: Principal) -> DrawPreviewOut:
    """What a draw with these inputs would choose from, and with which weights, computed by the
    functions the real draw uses; nothing is sealed, drawn or written."""
    require_role(principal, Role.leader, Role.admin)
    scope_unit = await unit_service.get_unit(unit_id=data.scope_unit_id, principal=principal)
    scope_facts = await unit_service.get_unit_unscoped(scope_unit.id)
    assert scope_facts is not None
    teams = await _check_teams(data.teams)
    now = datetime.now(UTC)
    pool = await _draw_pool(scope_facts.path, data.draw.candidate_kinds, teams, principal)
    weights = {candidate.unit_id: draw.risk_weight(candidate) for candidate in pool.candidates}
    total_weight = sum(weights.values())
    candidates = []
    for candidate in pool.candidates:
        unit = pool.units[UUID(candidate.unit_id)]
        candidates.append(
            DrawCandidateOut(
                unit_id=unit["id"],
                code=unit["code"],
                name_vi=unit["name_vi"],
                name_en=unit["name_en"],
                kind=unit["kind"],
                weight=weights[candidate.unit_id],
                chance_first=round(weights[candidate.unit_id] / total_weight, 4),
                risk=_risk_out(candidate),
            )
        )
    candidates.sort(key=lambda entry: (-entry.weight, entry.code))
    problem = _draw_shortfall(data.draw.k, pool, data.draw.candidate_kinds)
    return DrawPreviewOut(
        k=data.draw.k,
        candidate_kinds=sorted(data.draw.candidate_kinds),
        candidate_count=len(candidates),
        can_draw=problem is None,
        problem=problem,
        computed_at=now,
        candidates=candidates,
        left_out=[
            DrawLeftOutOut(
                unit_id=entry.unit["id"],
                code=entry.unit["code"],
                name_vi=entry.unit["name_vi"],
                name_en=entry.unit["name_en"],
                kind=entry.unit["kind"],
                reasons=entry.reasons,
                user_ids=entry.user_ids,
            )
            for entry in sorted(pool.left_out, key=lambda entry: entry.unit["path"])
        ],
    )


async def _member_home_paths(teams: list[list[UUID]]) -> dict[UUID, str]:
    members = [member for team in teams for member in team]
    rows = await AppUser.select(
        AppUser.id, AppUser.home_unit_id.join_on(Unit.id).path.as_alias("home_path")
    ).where(AppUser.id.is_in(members))
    return {row["id"]: row["home_path"] for row in rows if row["home_path"]}


async def _refuse_team_homed_in_targets(
    teams: list[list[UUID]], targets: list[tuple[UUID, date]]
) -> None:
    """Nobody inspects their own unit (or a unit above them): it would also break secrecy."""
    home_paths = await _member_home_paths(teams)
    target_paths = {
        row["id"]: row["path"]
        for row in await Unit.select(Unit.id, Unit.path).where(
            Unit.id.is_in([unit_id for unit_id, _ in targets])
        )
    }
    for user_id, home_path in home_paths.items():
        for unit_id, path in target_paths.items():
            if is_at_or_below(home_path, path):
                raise InvalidInput(
                    f"User {user_id} works in target unit {unit_id} (or below it) and cannot "
                    "inspect it."
                )


async def _refuse_creator_homed_in_targets(principal: Principal, unit_ids: list[UUID]) -> None:
    """A leader cannot plan a visit to their own unit (or a unit above them): they would know
    of it, and the plan would be hidden from them afterwards by the secrecy rule."""
    rows = await Unit.select(Unit.id, Unit.path).where(Unit.id.is_in(unit_ids))
    for row in rows:
        if principal.works_at_or_below(row["path"]):
            raise InvalidInput(
                f"You work in unit {row['id']} (or below it), so you cannot plan its inspection; "
                "ask a leader above it."
            )


# --- Reads ------------------------------------------------------------------------------------


async def _visible_plan_row(plan_id: UUID, principal: Principal) -> dict[str, Any]:
    if principal.role not in (Role.leader, Role.admin):
        raise NotFound(f"No plan {plan_id}.")
    row = (
        await Plan.select()
        .where(Plan.id == plan_id, Plan.scope_unit_path.like(f"{principal.home_unit_path}%"))
        .first()
        .output(load_json=True)
    )
    if row is None or await _principal_is_target(row, principal):
        raise NotFound(f"No plan {plan_id}.")
    return row


async def _principal_is_target(row: dict[str, Any], principal: Principal) -> bool:
    target_paths = await inspection_service.plan_target_paths(row["id"])
    return any(principal.works_at_or_below(path) for path in target_paths)


async def get_plan(*, plan_id: UUID, principal: Principal) -> PlanOut:
    row = await _visible_plan_row(plan_id, principal)
    return await _to_out(row)


async def _to_out(row: dict[str, Any]) -> PlanOut:
    inspections = await inspection_service.plan_inspections(row["id"])
    # A drawn plan's weights come from the inputs sealed in its document, never from today's
    # facts: they are the numbers the draw used.
    sealed = _sealed_inputs(row["document"])
    targets = []
    for item in inspections:
        inputs = sealed.get(str(item.unit_id))
        targets.append(
            PlanTargetOut(
                unit_id=item.unit_id,
                inspection_id=item.inspection_id,
                visit_date=item.visit_date,
                status=item.status,
                weight=draw.risk_weight(inputs) if inputs else None,
                risk=_risk_out(inputs) if inputs else None,
            )
        )
    section = (row["document"] or {}).get("dossier_sample")
    return PlanOut(
        **{key: value for key, value in row.items() if key not in ("nonce",)},
        nonce=row["nonce"] if row["revealed_at"] else None,
        targets=targets,
        # Secret like the targets: only who may see the plan gets here (_visible_plan_row).
        dossier_samples=(
            await sample_service.plan_samples(row["id"], section)
            if isinstance(section, dict)
            else None
        ),
    )


def _sealed_inputs(document: dict[str, Any] | None) -> dict[str, draw.RiskInputs]:
    """The draw inputs sealed in a plan document, by unit id (none for a listed plan). A document
    that no longer parses (tampered with in the database) shows no weights; verify says why."""
    section = (document or {}).get("draw") or {}
    try:
        return {
            candidate.unit_id: candidate
            for candidate in (draw.RiskInputs(**entry) for entry in section.get("candidates", []))
        }
    except (ValidationError, TypeError):
        return {}


async def list_plans(*, principal: Principal) -> list[PlanOut]:
    if principal.role not in (Role.leader, Role.admin):
        return []
    rows = (
        await Plan.select()
        .where(Plan.scope_unit_path.like(f"{principal.home_unit_path}%"))
        .order_by(Plan.created_at, ascending=False)
        .output(load_json=True)
    )
    visible = [row for row in rows if not await _principal_is_target(row, principal)]
    return [await _to_out(row) for row in visible]


# --- Reveal and verify ------------------------------------------------------------------------


async def reveal(*, plan_id: UUID, principal: Principal, now: datetime | None = None) -> RevealOut:
    now = now or datetime.now(UTC)
    async with db.write_transaction():
        row = await _visible_plan_row(plan_id, principal)
        window_end = aware(row["window_end"])
        # Only once no visit of the plan can start any more (inspections refuse to start after
        # the window plus a grace period), or revealing would announce what is still to come.
        revealable_from = window_end + inspection_service.START_GRACE
        if now < revealable_from:
            raise Conflict(
                f"The plan's window ends at {window_end.isoformat()}; the nonce can be revealed "
                f"from {revealable_from.isoformat()} on, when no visit of it can start any more."
            )
        if row["revealed_at"] is None:
            await Plan.update({Plan.revealed_at: now}).where(Plan.id == plan_id)
            await audit_service.record(
                actor=audit_service.actor_of(principal),
                action="plan.revealed",
                object_type="plan",
                object_id=plan_id,
                summary={"nonce": row["nonce"]},
            )
            row["revealed_at"] = now
    return RevealOut(
        plan_id=plan_id,
        nonce=row["nonce"],
        commitment=row["commitment"],
        revealed_at=aware(row["revealed_at"]),
    )


async def verify(*, plan_id: UUID, principal: Principal) -> VerifyOut:
    """Recompute the commitment and the draw. Once revealed, any logged-in user may check."""
    row = await Plan.select().where(Plan.id == plan_id).first().output(load_json=True)
    if row is None or (row["revealed_at"] is None and not await _can_see(row, principal)):
        raise NotFound(f"No plan {plan_id}.")
    published = await _published_commitment(plan_id)
    if row["revealed_at"] is None:
        return VerifyOut(
            plan_id=plan_id,
            status="not_revealed",
            commitment_published=published,
            commitment_recomputed=None,
            hash_matches=None,
            draw_matches=None,
            inspections_match=None,
            recomputed_selection=None,
            nonce=None,
            document=None,
            explanation="The nonce is still secret; verification is possible after reveal.",
        )
    document = row["document"]
    nonce = row["nonce"]
    expected = published or row["commitment"]
    recomputed = draw.commitment(document, nonce)
    hash_matches = recomputed == expected and row["commitment"] == expected
    draw_matches: bool | None = None
    selection: list[str] | None = None
    listed_targets = [target["unit_id"] for target in document.get("targets", [])]
    if document.get("draw"):
        section = document["draw"]
        candidates = [draw.RiskInputs(**candidate) for candidate in section["candidates"]]
        result = draw.verify(
            document,
            nonce,
            expected,
            candidates,
            section["k"],
            section["plan_salt"],
            listed_targets,
        )
        draw_matches = result.draw_matches
        selection = list(result.recomputed_selection or [])
    actual_targets = sorted(
        str(item.unit_id) for item in await inspection_service.plan_inspections(plan_id)
    )
    inspections_match = actual_targets == sorted(listed_targets)
    samples = await sample_service.verify_plan(
        plan_id=plan_id, section=document.get("dossier_sample"), nonce=nonce
    )
    samples_match = (
        None
        if samples is None
        else all(sample.pool_matches and sample.sample_matches for sample in samples)
    )
    ok = (
        hash_matches
        and draw_matches is not False
        and inspections_match
        and samples_match is not False
    )
    problems = []
    if not hash_matches:
        problems.append("the plan document or its commitment differs from what was published")
    if draw_matches is False:
        problems.append("recomputing the draw gives other units")
    if not inspections_match:
        problems.append("the plan's inspections are not the units the plan names")
    if samples_match is False:
        problems.append("recomputing a unit's dossier sample does not give the sealed one")
    return VerifyOut(
        plan_id=plan_id,
        status="match" if ok else "mismatch",
        commitment_published=published,
        commitment_recomputed=recomputed,
        hash_matches=hash_matches,
        draw_matches=draw_matches,
        inspections_match=inspections_match,
        recomputed_selection=selection,
        nonce=nonce,
        document=document,
        explanation="Everything matches." if ok else "Mismatch: " + "; ".join(problems) + ".",
        dossier_samples_match=samples_match,
        dossier_samples=samples,
    )


async def _can_see(row: dict[str, Any], principal: Principal) -> bool:
    try:
        await _visible_plan_row(row["id"], principal)
    except NotFound:
        return False
    return True


async def _published_commitment(plan_id: UUID) -> str | None:
    event = (
        await AuditEvent.select(AuditEvent.summary)
        .where(AuditEvent.object_id == str(plan_id), AuditEvent.action == "plan.created")
        .first()
        .output(load_json=True)
    )
    return event["summary"].get("commitment") if event else None


@dataclass(frozen=True)
class PlanBrief:
    """A plan's title and issuing unit (its scope), for documents whose scope was checked."""

    id: UUID
    title: str
    scope_unit_id: UUID
    created_by: UUID


async def brief(plan_id: UUID | None) -> PlanBrief | None:
    """Unscoped title and issuing unit of a plan, for documents whose scope was checked already."""
    if plan_id is None:
        return None
    return await db.select_one(PlanBrief, Plan, Plan.id == plan_id)


async def rewrite_unit_paths(old_prefix: str, new_prefix: str) -> None:
    await db.rewrite_prefix("inspection_plan", "scope_unit_path", old_prefix, new_prefix)
