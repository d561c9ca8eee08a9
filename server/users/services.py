"""Users: scoped listing, creation and changes by admins, and the lookups auth needs."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from piccolo.columns import Column
from piccolo.columns.combination import Combinable

from server.core import db, passwords
from server.core.audit import services as audit_service
from server.core.errors import Conflict, InvalidInput, NotFound
from server.core.pagination import Page, paged
from server.core.scopes import Principal, Role, require_role
from server.notifications.targets import mask_target, unmask_targets, validate_targets
from server.units import services as unit_service
from server.units.tables import Unit
from server.users.schemas import MeOut, TeamCandidateOut, UserIn, UserOut, UserPatch
from server.users.tables import AppUser

ROLE_SCOPE_SENTENCES = {
    Role.admin: "Administers units, users and checklists in your part of the unit tree.",
    Role.leader: "Plans inspections and reads results for your unit and every unit below it.",
    Role.inspector: "Sees and carries out the inspections assigned to you.",
    Role.unit_head: "Sees inspections of your unit once they have started, and fixes what they find.",
}


def to_out(row: dict[str, Any]) -> UserOut:
    targets = row.get("notification_targets") or []
    if isinstance(targets, str):  # read without load_json
        targets = json.loads(targets)
    return UserOut.model_validate(
        {**row, "notification_targets": [mask_target(url) for url in targets]}
    )


# Run inside the transaction that deactivates a user or changes their password: the sessions
# package (auth) ends that user's logins. Registered once in the app factory.
CredentialChangeHook = Callable[..., Awaitable[None]]
_credential_change_hooks: list[CredentialChangeHook] = []


def on_credentials_changed(hook: CredentialChangeHook) -> None:
    if hook not in _credential_change_hooks:
        _credential_change_hooks.append(hook)


async def _visible_user_filter(principal: Principal) -> Any:
    if principal.role == Role.inspector:
        return AppUser.id == principal.user_id
    unit_ids = [
        row["id"] for row in await Unit.select(Unit.id).where(unit_service.scope_filter(principal))
    ]
    return AppUser.home_unit_id.is_in(unit_ids or [principal.home_unit_id])


async def list_users(
    *,
    principal: Principal,
    role: Role | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Page[UserOut]:
    """By username (unique, so pages never overlap); ``limit=None`` for all."""
    clauses = [await _visible_user_filter(principal)]
    if role is not None:
        clauses.append(AppUser.role == role.value)
    total = await AppUser.count().where(*clauses)
    query = AppUser.select().where(*clauses).order_by(AppUser.username)
    rows = await paged(query, limit=limit, offset=offset)
    return Page(items=[to_out(row) for row in rows], total=total)


async def team_candidates(*, principal: Principal) -> list[TeamCandidateOut]:
    """Active inspectors and leaders anywhere in the tree: inspection teams often come from a
    provincial office outside the planning leader's subtree (the plan itself checks who may be
    on it). Only names and home units, nothing a leader could not read on a team roster."""
    require_role(principal, Role.leader, Role.admin)
    rows = (
        await AppUser.select(
            AppUser.id, AppUser.username, AppUser.full_name, AppUser.role, AppUser.home_unit_id
        )
        .where(
            AppUser.active == True,
            AppUser.role.is_in([Role.inspector.value, Role.leader.value]),
        )
        .order_by(AppUser.full_name)
    )
    unit_ids = list({row["home_unit_id"] for row in rows})
    units = {
        unit["id"]: unit
        for unit in await Unit.select(Unit.id, Unit.code, Unit.name_vi, Unit.name_en).where(
            Unit.id.is_in(unit_ids or [uuid4()])
        )
    }
    return [
        TeamCandidateOut(
            id=row["id"],
            username=row["username"],
            full_name=row["full_name"],
            role=row["role"],
            home_unit_id=row["home_unit_id"],
            home_unit_code=units[row["home_unit_id"]]["code"],
            home_unit_name_vi=units[row["home_unit_id"]]["name_vi"],
            home_unit_name_en=units[row["home_unit_id"]]["name_en"],
        )
        for row in rows
    ]


async def _get_row(user_id: UUID, principal: Principal) -> dict[str, Any]:
    row = (
        await AppUser.select()
        .where(AppUser.id == user_id, await _visible_user_filter(principal))
        .first()
    )
    if row is None:
        raise NotFound(f"No user {user_id} in your part of the unit tree.")
    return row


async def get_user(*, user_id: UUID, principal: Principal) -> UserOut:
    return to_out(await _get_row(user_id, principal))


async def create_user(*, data: UserIn, principal: Principal) -> UserOut:
    require_role(principal, Role.admin)
    # Scope first, so an admin cannot tell whether a unit outside their tree exists.
    await unit_service.get_unit(unit_id=data.home_unit_id, principal=principal)
    targets = await validate_targets(data.notification_targets, field="notification_targets")
    password_hash = await passwords.hash_password(data.password)
    user_id = uuid4()
    now = datetime.now(UTC)
    async with db.write_transaction():
        if await AppUser.exists().where(AppUser.username == data.username):
            raise Conflict(f"The username {data.username!r} is taken.")
        await AppUser.insert(
            AppUser(
                id=user_id,
                username=data.username,
                full_name=data.full_name,
                email=data.email,
                role=data.role.value,
                home_unit_id=data.home_unit_id,
                password_hash=password_hash,
                language=data.language.value,
                active=True,
                notification_targets=targets,
                created_at=now,
                updated_at=now,
            )
        )
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="user.created",
            object_type="user",
            object_id=user_id,
            summary={
                "username": data.username,
                "role": data.role.value,
                "home_unit_id": str(data.home_unit_id),
            },
        )
    return await get_user(user_id=user_id, principal=principal)


async def update_user(*, user_id: UUID, data: UserPatch, principal: Principal) -> UserOut:
    require_role(principal, Role.admin)
    changes: dict[Any, Any] = data.model_dump(exclude_unset=True)
    for required in ("full_name", "role", "home_unit_id", "language", "active", "password"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be null.")
    current = await _get_row(user_id, principal)
    if "notification_targets" in changes:
        stored = current.get("notification_targets") or []
        if isinstance(stored, str):
            stored = json.loads(stored)
        changes["notification_targets"] = await validate_targets(
            unmask_targets(changes["notification_targets"] or [], stored),
            field="notification_targets",
        )
    if "home_unit_id" in changes:
        await unit_service.get_unit(unit_id=changes["home_unit_id"], principal=principal)
    if "password" in changes:
        changes["password_hash"] = await passwords.hash_password(changes.pop("password"))
    for enum_field in ("role", "language"):
        if enum_field in changes:
            changes[enum_field] = changes[enum_field].value
    async with db.write_transaction():
        changes["updated_at"] = datetime.now(UTC)
        await AppUser.update(changes).where(AppUser.id == user_id)
        if changes.get("active") is False or "password_hash" in changes:
            for end_sessions in _credential_change_hooks:
                await end_sessions(user_id, reason="account changed")
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="user.updated",
            object_type="user",
            object_id=user_id,
            summary={
                key: (
                    "(changed)" if key in ("password_hash", "notification_targets") else str(value)
                )
                for key, value in changes.items()
                if key != "updated_at"
            },
        )
    return await get_user(user_id=user_id, principal=principal)


async def me(principal: Principal) -> MeOut:
    row = await AppUser.select().where(AppUser.id == principal.user_id).first()
    unit = await unit_service.get_unit_unscoped(principal.home_unit_id)
    if row is None or unit is None:
        raise NotFound("Your account no longer exists.")
    return MeOut(
        **to_out(row).model_dump(),
        home_unit_code=unit.code,
        home_unit_name_vi=unit.name_vi,
        home_unit_name_en=unit.name_en,
        permissions_summary=ROLE_SCOPE_SENTENCES[Role(row["role"])],
    )


@dataclass(frozen=True)
class LoginCandidate:
    """An active account as login needs it: what to check the password against, what to put in
    the tokens, and the public profile the login answer carries."""

    id: UUID
    username: str
    password_hash: str
    role: str
    home_unit_id: UUID
    profile: UserOut


async def find_active_by_username(username: str) -> LoginCandidate | None:
    row = (
        await AppUser.select()
        .where(AppUser.username == username.strip().lower(), AppUser.active == True)
        .first()
    )
    if row is None:
        return None
    return LoginCandidate(
        id=row["id"],
        username=row["username"],
        password_hash=row["password_hash"],
        role=row["role"],
        home_unit_id=row["home_unit_id"],
        profile=to_out(row),
    )


@functools.cache
def _home_unit_path() -> Column:
    """The user's home unit's path, joined: built once, as Piccolo copies the columns on every
    ``join_on`` and :func:`load_principal` runs for every request. Queries only read it."""
    return AppUser.home_unit_id.join_on(Unit.id).path.as_alias("home_unit_path")


async def load_principal(
    user_id: UUID, family_id: UUID | None, *, also: Combinable | None = None
) -> Principal | None:
    """The active user as a principal, or None; `also` is one more condition on the user's row
    (the caller's check of the session, in the same statement)."""
    where: list[Combinable] = [AppUser.id == user_id, AppUser.active == True]
    if also is not None:
        where.append(also)
    row = (
        await AppUser.select(
            AppUser.id,
            AppUser.username,
            AppUser.role,
            AppUser.home_unit_id,
            AppUser.language,
            _home_unit_path(),
        )
        .where(*where)
        .first()
    )
    return _principal(row, family_id)


def principal_statement(also: str) -> str:
    """:func:`load_principal`'s statement written for PostgreSQL, for a caller that runs it on
    every request with ``db.fetch_postgres`` (the user's id is ``$1``): the same columns, the home
    unit joined the same way, and `also` (SQL about the user's row ``u``, its values from ``$2``
    on) as one more condition. Names come from the tables' definitions."""
    return (
        "SELECT u.id, u.username, u.role, u.home_unit_id, u.language, "  # noqa: S608
        "home.path AS home_unit_path "
        f'FROM "{AppUser._meta.tablename}" u '
        f'LEFT JOIN "{Unit._meta.tablename}" home ON home.id = u.home_unit_id '
        f"WHERE u.id = $1 AND u.active = true AND ({also}) LIMIT 1"
    )


async def load_principal_by_statement(
    statement: str, user_id: UUID, family_id: UUID | None, *values: Any
) -> Principal | None:
    """:func:`load_principal` by a statement from :func:`principal_statement` (PostgreSQL)."""
    rows = await db.fetch_postgres(statement, user_id, *values)
    return _principal(rows[0] if rows else None, family_id)


def _principal(row: Any, family_id: UUID | None) -> Principal | None:
    if row is None or row["home_unit_path"] is None:
        return None
    return Principal(
        user_id=row["id"],
        username=row["username"],
        role=Role(row["role"]),
        home_unit_id=row["home_unit_id"],
        home_unit_path=row["home_unit_path"],
        session_family_id=family_id,
        language=row["language"],
    )


async def unit_history_reason(unit_id: UUID) -> str | None:
    count = await AppUser.count().where(AppUser.home_unit_id == unit_id)
    return f"{count} user(s)" if count else None


async def ensure_user(
    *,
    username: str,
    full_name: str,
    role: Role,
    home_unit_id: UUID,
    password: str,
    email: str | None = None,
    actor: audit_service.Actor,
) -> tuple[UUID, bool]:
    """Create a user unless the username exists (demo loader, `spotcheck users create`).

    Returns (id, created). Runs unscoped: only trusted command-line paths call it.
    """
    existing = await AppUser.select(AppUser.id).where(AppUser.username == username).first()
    if existing:
        return existing["id"], False
    password_hash = await passwords.hash_password(password)
    user_id = uuid4()
    now = datetime.now(UTC)
    async with db.write_transaction():
        if await AppUser.exists().where(AppUser.username == username):
            raise Conflict(f"The username {username!r} is taken.")
        await AppUser.insert(
            AppUser(
                id=user_id,
                username=username,
                full_name=full_name,
                email=email,
                role=role.value,
                home_unit_id=home_unit_id,
                password_hash=password_hash,
                language="vi",
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
        await audit_service.record(
            actor=actor,
            action="user.created",
            object_type="user",
            object_id=user_id,
            summary={"username": username, "role": role.value, "home_unit_id": str(home_unit_id)},
        )
    return user_id, True


async def full_names(user_ids: list[UUID]) -> dict[UUID, str]:
    if not user_ids:
        return {}
    rows = await AppUser.select(AppUser.id, AppUser.full_name).where(AppUser.id.is_in(user_ids))
    return {row["id"]: row["full_name"] for row in rows}
