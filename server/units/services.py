"""Units: scoped reads, validated writes, moves without cycles, deactivation instead of deletion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.core.scopes import Principal, Role, require_role
from server.notifications.targets import mask_target, unmask_targets, validate_targets
from server.units.schemas import UnitIn, UnitOut, UnitPatch
from server.units.tables import Unit

# Other packages register "does this unit have history?" checks (users, inspections, …) so that
# this package needs no import of theirs.
HistoryCheck = Callable[[UUID], Awaitable[str | None]]
_history_checks: list[HistoryCheck] = []


def register_history_check(check: HistoryCheck) -> None:
    if check not in _history_checks:
        _history_checks.append(check)


# Other packages keep copies of unit paths (so their scope filters are one prefix match); when a
# unit moves, each rewrites its copies in the same transaction.
PathRewriter = Callable[[str, str], Awaitable[None]]
_path_rewriters: list[PathRewriter] = []


def register_path_rewriter(rewriter: PathRewriter) -> None:
    if rewriter not in _path_rewriters:
        _path_rewriters.append(rewriter)


def scope_filter(principal: Principal) -> Any:
    if principal.sees_subtree:
        return Unit.path.like(f"{principal.home_unit_path}%")
    return Unit.id == principal.home_unit_id


def to_out(row: dict[str, Any]) -> UnitOut:
    return UnitOut(
        **{**row, "notification_targets": [mask_target(u) for u in row["notification_targets"]]}
    )


async def list_units(
    *, principal: Principal, include_inactive: bool = False, parent_id: UUID | None = None
) -> list[UnitOut]:
    query = Unit.select().where(scope_filter(principal))
    if not include_inactive:
        query = query.where(Unit.active == True)
    if parent_id is not None:
        query = query.where(Unit.parent_id == parent_id)
    rows = await query.order_by(Unit.path).output(load_json=True)
    return [to_out(row) for row in rows]


async def _get_row(unit_id: UUID, principal: Principal) -> dict[str, Any]:
    row = (
        await Unit.select()
        .where(Unit.id == unit_id, scope_filter(principal))
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(f"No unit {unit_id} in your part of the unit tree.")
    return row


async def get_unit(*, unit_id: UUID, principal: Principal) -> UnitOut:
    return to_out(await _get_row(unit_id, principal))


@dataclass(frozen=True)
class UnitFacts:
    """What other packages need to know of a unit whose scope they checked their own way (never
    its notification targets)."""

    id: UUID
    code: str
    path: str
    name_vi: str
    name_en: str
    kind: str
    time_zone: str
    language: str
    latitude: float | None
    longitude: float | None
    active: bool
    parent_id: UUID | None


async def get_unit_unscoped(unit_id: UUID) -> UnitFacts | None:
    """Unscoped facts of a unit, for services that checked scope their own way."""
    return await db.select_one(UnitFacts, Unit, Unit.id == unit_id)


async def units_unscoped(unit_ids: list[UUID]) -> list[UnitFacts]:
    """Unscoped facts of several units (those that exist), for services that checked scope."""
    if not unit_ids:
        return []
    return await db.select_all(UnitFacts, Unit, Unit.id.is_in(unit_ids), order_by=Unit.path)


async def units_below(path: str) -> list[UnitFacts]:
    """The unit at ``path`` and every unit below it, unscoped, in path order."""
    return await db.select_all(
        UnitFacts, Unit, db.path_prefix_range(Unit.path, path), order_by=Unit.path
    )


def _check_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(
            f"time_zone {value!r} is not a known IANA time zone, e.g. Asia/Ho_Chi_Minh"
        ) from error


async def create_unit(*, data: UnitIn, principal: Principal) -> UnitOut:
    require_role(principal, Role.admin)
    _check_time_zone(data.time_zone)
    targets = await validate_targets(data.notification_targets, field="notification_targets")
    unit_id = uuid4()
    now = datetime.now(UTC)
    async with db.write_transaction():
        if data.parent_id is None:
            # A new root is only for an admin whose own home is a root, so scopes stay closed.
            if not principal.homed_at_root:
                raise InvalidInput("parent_id is required: you may only add units below your own.")
            path, depth = f"/{unit_id}/", 0
        else:
            parent = await _get_row(data.parent_id, principal)
            path, depth = f"{parent['path']}{unit_id}/", parent["depth"] + 1
        await _ensure_code_free(data.code)
        values = data.model_dump()
        values.update(
            id=unit_id,
            path=path,
            depth=depth,
            notification_targets=targets,
            created_at=now,
            updated_at=now,
            active=True,
        )
        await Unit.insert(Unit(**values))
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="unit.created",
            object_type="unit",
            object_id=unit_id,
            summary={
                "code": data.code,
                "parent_id": str(data.parent_id) if data.parent_id else None,
            },
        )
        row = await _get_row(unit_id, principal)
    return to_out(row)


# What inspectors' proof of presence is measured against.
LOCATION_FIELDS = frozenset({"latitude", "longitude", "geofence_radius_m"})


async def update_unit(*, unit_id: UUID, data: UnitPatch, principal: Principal) -> UnitOut:
    require_role(principal, Role.admin)
    changes: dict[Any, Any] = data.model_dump(exclude_unset=True)
    for required in ("code", "name_vi", "name_en", "kind", "time_zone", "language", "active"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be null.")
    if "time_zone" in changes:
        _check_time_zone(changes["time_zone"])
    stored_targets: list[str] | None = None
    if "notification_targets" in changes:
        # Validating a target may look its host up in DNS (up to seconds): do it before the
        # write transaction, which on SQLite holds the database's only write lock.
        stored_targets = (await _get_row(unit_id, principal))["notification_targets"]
        submitted = unmask_targets(changes["notification_targets"] or [], stored_targets or [])
        changes["notification_targets"] = await validate_targets(
            submitted, field="notification_targets"
        )
    async with db.write_transaction():
        row = await _get_row(unit_id, principal)
        if stored_targets is not None and row["notification_targets"] != stored_targets:
            raise Conflict(
                "The unit's notification targets were changed by someone else while you saved; "
                "reload the unit and try again."
            )
        if LOCATION_FIELDS & changes.keys() and not (
            principal.is_strictly_above(row["path"]) or principal.homed_at_root
        ):
            # Inspectors' proof of presence is measured against this location: the unit's own
            # admins must not be able to move it.
            raise PermissionDenied(
                "Only an admin above this unit may change its location or geofence."
            )
        if "code" in changes and changes["code"] != row["code"]:
            await _ensure_code_free(changes["code"])
        if "parent_id" in changes and changes["parent_id"] != row["parent_id"]:
            await _move(row, changes.pop("parent_id"), principal)
        else:
            changes.pop("parent_id", None)
        if changes:
            changes["updated_at"] = datetime.now(UTC)
            await Unit.update(changes).where(Unit.id == unit_id)
        summary = {
            key: ("(changed)" if key == "notification_targets" else _jsonable(value))
            for key, value in data.model_dump(exclude_unset=True).items()
        }
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="unit.updated",
            object_type="unit",
            object_id=unit_id,
            summary=summary,
        )
        updated = await _get_row(unit_id, principal)
    return to_out(updated)


async def _move(row: dict[str, Any], new_parent_id: UUID | None, principal: Principal) -> None:
    if new_parent_id is None:
        raise InvalidInput("A unit cannot be moved to the top of the tree; give a parent_id.")
    parent = await _get_row(new_parent_id, principal)
    old_path: str = row["path"]
    if parent["path"].startswith(old_path):
        raise Conflict(
            f"Moving unit {row['code']} under {parent['code']} would create a cycle: "
            f"{parent['code']} is {row['code']} itself or one of its descendants."
        )
    new_path = f"{parent['path']}{row['id']}/"
    depth_change = parent["depth"] + 1 - row["depth"]
    descendants = await Unit.select(Unit.id, Unit.path, Unit.depth).where(
        Unit.path.like(f"{old_path}%")
    )
    for descendant in descendants:
        await Unit.update(
            {
                Unit.path: new_path + descendant["path"][len(old_path) :],
                Unit.depth: descendant["depth"] + depth_change,
            }
        ).where(Unit.id == descendant["id"])
    await Unit.update({Unit.parent_id: new_parent_id}).where(Unit.id == row["id"])
    for rewrite in _path_rewriters:
        await rewrite(old_path, new_path)


async def delete_unit(*, unit_id: UUID, principal: Principal) -> None:
    """Delete a unit that has no history; one with history must be deactivated instead."""
    require_role(principal, Role.admin)
    async with db.write_transaction():
        row = await _get_row(unit_id, principal)
        if principal.works_at_or_below(row["path"]):
            # Refused before any history is counted: the counts could reveal a planned (secret)
            # inspection to someone who works in the unit.
            raise Conflict("You cannot delete the unit you work in, or a unit above it.")
        reasons = [reason for check in _history_checks if (reason := await check(unit_id))]
        children = await Unit.count().where(Unit.parent_id == unit_id)
        if children:
            reasons.append(f"{children} child unit(s)")
        if reasons:
            raise Conflict(
                f"Unit {row['code']} has history ({', '.join(reasons)}) and cannot be deleted; "
                'deactivate it instead with PATCH {"active": false}.',
            )
        await Unit.delete().where(Unit.id == unit_id)
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="unit.deleted",
            object_type="unit",
            object_id=unit_id,
            summary={"code": row["code"]},
        )


async def _ensure_code_free(code: str) -> None:
    if await Unit.exists().where(Unit.code == code):
        raise Conflict(f"A unit with code {code!r} already exists; codes must be unique.")


def _jsonable(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    return value


async def ensure_unit(data: UnitIn, *, parent_code: str | None, actor: audit_service.Actor) -> UUID:
    """Create a unit by code unless it exists (used by the demo loader and imports); returns its id.

    Runs unscoped: callers are trusted command-line paths, not HTTP requests.
    """
    targets = await validate_targets(data.notification_targets, field="notification_targets")
    async with db.write_transaction():
        existing = await Unit.select(Unit.id).where(Unit.code == data.code).first()
        if existing:
            return existing["id"]
        unit_id = uuid4()
        if parent_code is None:
            path, depth, parent_id = f"/{unit_id}/", 0, None
        else:
            parent = await Unit.select().where(Unit.code == parent_code).first()
            if parent is None:
                raise NotFound(f"No parent unit with code {parent_code!r}.")
            path, depth, parent_id = (
                f"{parent['path']}{unit_id}/",
                parent["depth"] + 1,
                parent["id"],
            )
        now = datetime.now(UTC)
        values = data.model_dump()
        values.update(
            id=unit_id,
            parent_id=parent_id,
            path=path,
            depth=depth,
            notification_targets=targets,
            created_at=now,
            updated_at=now,
            active=True,
        )
        await Unit.insert(Unit(**values))
        await audit_service.record(
            actor=actor,
            action="unit.created",
            object_type="unit",
            object_id=unit_id,
            summary={"code": data.code, "parent_code": parent_code},
        )
        return unit_id


async def names(unit_ids: list[UUID], *, language: str = "vi") -> dict[UUID, str]:
    if not unit_ids:
        return {}
    column = Unit.name_vi if language == "vi" else Unit.name_en
    rows = await Unit.select(Unit.id, column.as_alias("name")).where(Unit.id.is_in(unit_ids))
    return {row["id"]: row["name"] for row in rows}
