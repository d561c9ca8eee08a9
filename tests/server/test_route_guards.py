"""Role guards on routes (server/core/guards.py): each route whose service checks a role first
states that role where it is declared, and refuses exactly as the service did.

The tables below cover every route of the app, so a new route fails
`test_every_route_is_guarded_or_says_why_not` until it is listed in one of them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from litestar import Litestar

from checklists import services as checklist_service
from reports import exports as export_service
from reports import summary_service
from reports.schemas import ExportFormat, ExportKind
from server.app import PUBLIC_PATHS
from server.core.errors import NotAuthenticated, PermissionDenied
from server.core.guards import RoleGuard, requires_role
from server.core.scopes import Principal, Role
from server.dossiers import services as dossier_service
from server.notifications import services as notification_service
from server.plans import services as plan_service
from server.units import services as unit_service
from server.users import services as user_service
from tests.conftest import World

ADMIN = (Role.admin,)
LEADER_OR_ADMIN = (Role.leader, Role.admin)

# operation id → the roles its guard lets through, in the order of the service's require_role.
GUARDED: dict[str, tuple[Role, ...]] = {
    "importDossierLedger": (Role.admin, Role.leader),
    "listDossierLedgerImports": (Role.admin, Role.leader, Role.unit_head),
    "listFlaggedDossiers": (Role.admin, Role.leader, Role.unit_head),
    "getDossierIndicators": (Role.admin, Role.leader, Role.unit_head),
    "createUnit": ADMIN,
    "updateUnit": ADMIN,
    "deleteUnit": ADMIN,
    "createUser": ADMIN,
    "updateUser": ADMIN,
    "listTeamCandidates": LEADER_OR_ADMIN,
    "publishChecklist": ADMIN,
    "createPlan": LEADER_OR_ADMIN,
    "previewDraw": LEADER_OR_ADMIN,
    "listNotifications": ADMIN,
    "getNotification": ADMIN,
    "requeueNotification": ADMIN,
    "sendNotificationTest": ADMIN,
    "getSummary": summary_service.REPORT_ROLES,
    "getSummaryPdf": summary_service.REPORT_ROLES,
    "getRanking": summary_service.REPORT_ROLES,
    "exportData": export_service.EXPORT_ROLES,
}

SCOPED = "no role rule: every role may ask, and reads only what its scope holds"
SECRET = (
    "the service answers 404 before it looks at the role, so that the object reads like a "
    "missing one; a guard would answer 403 and tell that it exists"
)
JUDGED = (
    "whoever may see the object gets a 403 that names the rule (a leader above the unit, …), not "
    "the role, and whoever may not gets 404; a guard would change both"
)

# operation id → why the route has no role guard.
UNGUARDED: dict[str, str] = {
    "health": "public",
    "version": "public",
    "login": "public",
    "refresh": "public",
    "verifyDocument": "public",
    "rootRedirect": "public",
    "appIndex": "public",
    "appFile": "public",
    "logout": "every signed-in user",
    "getMe": "every signed-in user",
    "listUnits": SCOPED,
    "getUnit": SCOPED,
    "listUsers": SCOPED,
    "getUser": SCOPED,
    "listChecklists": "checklist versions belong to no unit: every role reads them",
    "getChecklistVersion": "checklist versions belong to no unit: every role reads them",
    "listDossierLedgerLayouts": "the shipped column layouts belong to no unit: every role reads them",
    "listDossierLedgerRules": "the shipped ledger rules belong to no unit: every role reads them",
    "getDossierFeeCatalogue": "the posted-fee catalogue belongs to no unit: every role reads it",
    "listPlans": "a role without plans reads an empty list, not a refusal",
    "getPlan": SECRET,
    "revealPlan": SECRET,
    "verifyPlan": SECRET,
    "listInspections": SCOPED,
    "getInspection": SCOPED,
    "addAddendum": SECRET,
    "getMinutesPdf": SCOPED,
    "scheduleFollowUp": JUDGED,
    "listActions": SCOPED,
    "getAction": SCOPED,
    "commentAction": SCOPED,
    "transitionAction": JUDGED,
    "reassignAction": JUDGED,
    "mobileBootstrap": SCOPED,
    "mobileChanges": SCOPED,
    "mobileSync": "each op is checked by the service it calls and answered per op",
    "uploadEvidence": "every role takes photos (inspectors, unit heads showing their fixes)",
    "getEvidence": SCOPED,
}

# Passed where a service would read an argument only after its role check.
UNREAD: Any = None


def principal(role: Role) -> Principal:
    """A principal homed below the root in a unit that does not exist: every object is outside
    its scope, so a service that looked for one before the role would answer 404."""
    return Principal(
        user_id=uuid4(),
        username=f"guard_{role.value}",
        role=role,
        home_unit_id=uuid4(),
        home_unit_path=f"/{uuid4()}/{uuid4()}/",
    )


# operation id → the service call behind the route.
SERVICE_CALLS: dict[str, Callable[[Principal], Awaitable[Any]]] = {
    "importDossierLedger": lambda p: dossier_service.import_ledger(
        unit_id=uuid4(),
        path=UNREAD,
        file_name="x.csv",
        file_format="csv",
        layout="form-06",
        principal=p,
    ),
    "listDossierLedgerImports": lambda p: dossier_service.list_imports(
        unit_id=uuid4(), principal=p, limit=1, offset=0
    ),
    "listFlaggedDossiers": lambda p: dossier_service.list_flagged(
        unit_id=uuid4(),
        principal=p,
        period_start=None,
        period_end=None,
        rule=None,
        limit=1,
        offset=0,
    ),
    "getDossierIndicators": lambda p: dossier_service.period_indicators_for(
        unit_id=uuid4(), principal=p, period_start=None, period_end=None
    ),
    "createUnit": lambda p: unit_service.create_unit(data=UNREAD, principal=p),
    "updateUnit": lambda p: unit_service.update_unit(unit_id=uuid4(), data=UNREAD, principal=p),
    "deleteUnit": lambda p: unit_service.delete_unit(unit_id=uuid4(), principal=p),
    "createUser": lambda p: user_service.create_user(data=UNREAD, principal=p),
    "updateUser": lambda p: user_service.update_user(user_id=uuid4(), data=UNREAD, principal=p),
    "listTeamCandidates": lambda p: user_service.team_candidates(principal=p),
    "publishChecklist": lambda p: checklist_service.publish_text("", "x.yaml", principal=p),
    "createPlan": lambda p: plan_service.create_plan(data=UNREAD, principal=p),
    "previewDraw": lambda p: plan_service.preview_draw(data=UNREAD, principal=p),
    "listNotifications": lambda p: notification_service.list_messages(principal=p),
    "getNotification": lambda p: notification_service.get_message(message_id=uuid4(), principal=p),
    "requeueNotification": lambda p: notification_service.requeue(message_id=uuid4(), principal=p),
    "sendNotificationTest": lambda p: notification_service.send_test(unit_id=uuid4(), principal=p),
    "getSummary": lambda p: summary_service.summary(principal=p),
    "getSummaryPdf": lambda p: summary_service.summary_pdf(principal=p),
    "getRanking": lambda p: summary_service.ranking(principal=p),
    "exportData": lambda p: export_service.export(
        ExportKind.findings, ExportFormat.csv, principal=p
    ),
}


def role_guards(handler: Any) -> list[RoleGuard]:
    """The role guards on a handler, from the app down to the handler itself."""
    return [
        guard
        for layer in handler.ownership_layers
        for guard in (layer.guards or [])
        if isinstance(guard, RoleGuard)
    ]


def handlers(app: Litestar) -> list[tuple[str, Any]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if set(handler.http_methods) != {"OPTIONS"}:
                found.append((route.path, handler))
    return found


async def guard_refusal(guard: RoleGuard, role: Role) -> str | None:
    """The detail the guard refuses this role with, or None when it lets the role through."""
    connection: Any = SimpleNamespace(scope={"user": principal(role)})
    try:
        await guard(connection, UNREAD)
    except PermissionDenied as error:
        return error.detail
    return None


def test_every_route_is_guarded_or_says_why_not(app: Litestar) -> None:
    by_operation = {}
    for path, handler in handlers(app):
        guards = role_guards(handler)
        if handler.operation_id is None:  # the OpenAPI documents and viewers
            assert path.startswith("/schema"), path
            assert not handler.resolve_guards(), path
            continue
        by_operation[handler.operation_id] = (path, guards)
    assert set(GUARDED).isdisjoint(UNGUARDED)
    unlisted = sorted(set(by_operation) - set(GUARDED) - set(UNGUARDED))
    assert not unlisted, (
        f"Routes neither in GUARDED nor in UNGUARDED of {__file__}: give each its role guard "
        "(if its service checks the role first) or the reason it has none: " + ", ".join(unlisted)
    )
    stale = sorted((set(GUARDED) | set(UNGUARDED)) - set(by_operation))
    assert not stale, "Listed routes the app no longer has: " + ", ".join(stale)
    for operation_id, (path, guards) in by_operation.items():
        if operation_id in GUARDED:
            assert [guard.roles for guard in guards] == [GUARDED[operation_id]], (
                f"{operation_id} ({path}) must declare requires_role(*{GUARDED[operation_id]})"
            )
        else:
            assert not guards, f"{operation_id} ({path}): {UNGUARDED[operation_id]}"


def test_public_routes_have_no_guard(app: Litestar) -> None:
    public = [re.compile(pattern) for pattern in PUBLIC_PATHS]
    for path, handler in handlers(app):
        if any(pattern.search(path) for pattern in public):
            assert not handler.resolve_guards(), f"{path} is public but has a guard"
            assert UNGUARDED.get(handler.operation_id, "public") == "public", path


@pytest.mark.parametrize("operation_id", sorted(GUARDED))
async def test_the_guard_is_the_service_s_first_check(
    client: httpx.AsyncClient, operation_id: str
) -> None:
    """Called directly (as the CLI and the sync do), the service refuses exactly the roles the
    guard refuses, with the same words, even for an object that does not exist: the role is
    the first thing it checks. The roles it lets through go on to fail on the missing object."""
    guard = requires_role(*GUARDED[operation_id])
    for role in Role:
        expected = await guard_refusal(guard, role)
        try:
            await SERVICE_CALLS[operation_id](principal(role))
        except PermissionDenied as error:
            refusal: str | None = error.detail
        except Exception:
            refusal = None
        else:
            refusal = None
        if refusal is not None and not refusal.startswith("This needs one of the roles"):
            refusal = None  # a later rule (e.g. only an admin at the root publishes checklists)
        assert refusal == expected, f"{operation_id} as {role.value}"


async def test_a_guard_without_a_principal_fails_closed() -> None:
    connection: Any = SimpleNamespace(scope={})
    with pytest.raises(NotAuthenticated):
        await requires_role(Role.admin)(connection, UNREAD)


def test_a_guard_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        requires_role()


# (method, path, JSON body, who asks): the guarded refusal must be the service's, byte for byte.
SAME_ANSWER = [
    ("DELETE", "/api/v1/units/{C1}", None, "leader_d1"),
    ("PATCH", "/api/v1/users/{head_c1}", {"full_name": "Nguyễn Văn A"}, "leader_p"),
    ("GET", "/api/v1/users/team-candidates", None, "head_c1"),
    ("POST", "/api/v1/checklists", "key: x\n", "leader_p"),
    ("GET", "/api/v1/notifications/{missing}", None, "leader_p"),
    ("POST", "/api/v1/units/{C1}/notification-test", None, "head_c1"),
    ("GET", "/api/v1/reports/summary", None, "inspector"),
    ("GET", "/api/v1/exports/findings.csv", None, "inspector"),
]


@pytest.mark.parametrize(("method", "path", "body", "username"), SAME_ANSWER)
async def test_the_guarded_refusal_is_the_one_the_service_gave(
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    body: Any,
    username: str,
) -> None:
    url = path.format(C1=world.units["C1"], head_c1=world.users["head_c1"], missing=uuid4())
    headers = await world.login(client, username)
    options: dict[str, Any] = (
        {"content": body} if isinstance(body, str) else {"json": body} if body else {}
    )

    guarded = await client.request(method, url, headers=headers, **options)

    async def let_through(self: RoleGuard, connection: Any, handler: Any) -> None:
        return None

    monkeypatch.setattr(RoleGuard, "__call__", let_through)
    by_service = await client.request(method, url, headers=headers, **options)

    assert guarded.status_code == by_service.status_code == 403, by_service.text
    assert guarded.headers.multi_items() == by_service.headers.multi_items()
    assert guarded.content == by_service.content
    problem = guarded.json()
    assert problem["type"] == "https://spotcheck.example/problems/forbidden"
    assert problem["detail"].startswith("This needs one of the roles: ")


async def test_a_caller_without_the_role_is_refused_before_the_body_is_read(
    client: httpx.AsyncClient, world: World
) -> None:
    """The one answer the guards change: a caller without the role whose request is also
    malformed read 422 (or 400) from the parser before; now the role comes first."""
    response = await client.post(
        "/api/v1/units", json={"code": 1}, headers=await world.login(client, "inspector")
    )
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "This needs one of the roles: admin."


def concrete(path: str) -> str:
    """A URL for a route path: a fresh id for each uuid parameter, a file name for the export."""
    path = re.sub(r"\{[a-z_]+:uuid\}", lambda _: str(uuid4()), path)
    return path.replace("{name:str}", "findings.csv")


async def test_options_answers_as_before_on_guarded_paths(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Litestar answers OPTIONS itself, without a token, and runs a controller's guards on it:
    the guard must let it through, as the route did before it had one."""
    urls = sorted(
        {concrete(path) for path, handler in handlers(app) if handler.operation_id in GUARDED}
    )
    guarded = [await client.options(url) for url in urls]

    async def let_through(self: RoleGuard, connection: Any, handler: Any) -> None:
        return None

    monkeypatch.setattr(RoleGuard, "__call__", let_through)
    for url, answer in zip(urls, guarded, strict=True):
        before = await client.options(url)
        assert answer.status_code == before.status_code == 204, (url, answer.text)
        assert answer.headers.multi_items() == before.headers.multi_items(), url
