"""Follow-up visits: a leader above the inspected unit plans an unannounced visit (a sealed plan
of its own) to check what an inspection found. The packages whose records the follow-up checks
(corrective actions) are told through a hook registered in the app factory, so plans need not
import them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from server.core import db
from server.core.errors import PermissionDenied
from server.core.scopes import Principal, Role
from server.inspections import services as inspection_service
from server.plans import services as plan_service
from server.plans.schemas import (
    AssignmentVisibility,
    FollowUpIn,
    PlanIn,
    PlanOut,
    TargetIn,
    TeamIn,
)
from server.units.tables import Unit

# (inspection id, follow-up inspection id), inside the transaction that creates the plan.
FollowUpHook = Callable[[UUID, UUID], Awaitable[None]]
_follow_up_hooks: list[FollowUpHook] = []


def on_follow_up_scheduled(hook: FollowUpHook) -> None:
    if hook not in _follow_up_hooks:
        _follow_up_hooks.append(hook)


async def schedule_follow_up(
    *, inspection_id: UUID, data: FollowUpIn, principal: Principal
) -> PlanOut:
    """A leader schedules an unannounced follow-up visit (a sealed plan of its own) to check the
    open actions of an inspection; those actions are linked to it."""
    original = await inspection_service.get_inspection(
        inspection_id=inspection_id, principal=principal
    )
    unit = await Unit.select(Unit.path).where(Unit.id == original.unit.id).first()
    assert unit is not None
    if principal.role not in (Role.leader, Role.admin) or not principal.is_strictly_above(
        unit["path"]
    ):
        refusal = "Only a leader above the inspected unit may schedule its follow-up inspection."
        if principal.role in (Role.leader, Role.admin):
            refusal += " You work in that unit (or below it), so its visits are not yours to plan."
        raise PermissionDenied(refusal)
    plan_in = PlanIn(
        title=f"Kiểm tra lại việc khắc phục tại {original.unit.name_vi}",
        checklist_version_id=original.checklist_version_id,
        scope_unit_id=original.unit.id,
        window_start=data.window_start,
        window_end=data.window_end,
        assignment_visibility=AssignmentVisibility.on_visit_day,
        teams=[TeamIn(head_id=data.team_head_id, member_ids=data.member_ids)],
        targets=[TargetIn(unit_id=original.unit.id)],
    )
    async with db.write_transaction():
        plan = await plan_service.create_plan(data=plan_in, principal=principal)
        follow_up_id = plan.targets[0].inspection_id
        await inspection_service.link_follow_up(follow_up_id, inspection_id)
        for hook in _follow_up_hooks:
            await hook(inspection_id, follow_up_id)
    return plan
