"""The authorization matrix: every route whose path names an object, asked by every role from
every place around the object's unit, answers as this table says.

The objects (a unit, a user, a plan, its signed inspection with a submitted corrective action, a
notification, an evidence file, the minutes) all belong to commune C1 of the test world:

    province P ─┬─ P-DEPT (the inspection's team works here)
                ├─ D1 ─┬─ C1 (the object's unit) ── C1-SC
                │      └─ C2
                └─ D2 ──── C3

and for each role there is one user homed at each relation to C1: `own` (C1), `child` (C1-SC),
`sibling` (C2), `parent` (D1) and `other` (C3, another branch); besides, the inspection's own team
inspector and an anonymous caller. The routes come from the app itself, so a new route with a path
parameter fails `test_every_route_naming_an_object_is_in_the_matrix` until it gets an entry.

State-changing routes are asked something that is refused after the authorization checks (a
transition missing its comment, a hand-over to a unit that does not exist, a plan too early to
reveal, …) or that is idempotent (a PATCH with the current value, the same evidence bytes), so
one world built once serves every cell; only comments and addenda append a row when allowed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from litestar import Litestar

from server.inspections.tables import Inspection
from server.notifications.tables import OutboxMessage
from tests.conftest import World, build_world, empty_all_tables
from tests.helpers import photo_bytes, publish_shipped_checklist, run_to_signed, upload_evidence
from tests.server.dossiers.test_ledger_import import csv_bytes, small_ledger


def ledger_csv() -> bytes:
    return csv_bytes(small_ledger(20))


RELATIONS = ("own", "child", "sibling", "parent", "other")
RELATION_UNITS = {"own": "C1", "child": "C1-SC", "sibling": "C2", "parent": "D1", "other": "C3"}
ROLES = ("admin", "leader", "unit_head", "inspector")

OK, CREATED = 200, 201
UNAUTHENTICATED, DENIED, HIDDEN, CONFLICT, INVALID = 401, 403, 404, 409, 422

# An expected answer: a status, or a status and a phrase its problem detail must contain.
Outcome = int | tuple[int, str]


@dataclass(frozen=True)
class Objects:
    unit_id: UUID
    user_id: UUID
    user_full_name: str
    checklist_version_id: UUID
    plan_id: UUID
    inspection_id: UUID
    action_id: UUID
    message_id: UUID
    evidence: bytes
    evidence_sha256: str
    minutes_sha256: str


@dataclass(frozen=True)
class Call:
    url: str
    json: Any = None
    content: bytes | None = None
    files: dict[str, Any] | None = None  # a multipart form's files, with `data` its fields
    data: dict[str, str] | None = None


@dataclass(frozen=True)
class Entry:
    """How to ask the route about the C1 object, and what each caller must get back.

    `by_role` gives one outcome per relation, in the order of RELATIONS (own, child, sibling,
    parent, other)."""

    call: Callable[[Objects], Call]
    by_role: dict[str, tuple[Outcome, Outcome, Outcome, Outcome, Outcome]]
    team: Outcome
    anonymous: Outcome = UNAUTHENTICATED


SCOPED_READ = (OK, HIDDEN, HIDDEN, OK, HIDDEN)  # C1 and the units above it see C1's objects
NOWHERE = (HIDDEN,) * 5
EVERYWHERE = (OK,) * 5
ROLE_REFUSED = (DENIED,) * 5  # the role may never do this, whatever the object

TABLE: dict[tuple[str, str], Entry] = {
    # --- Units (admin writes; scoped reads) ---
    ("GET", "/api/v1/units/{unit_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/units/{o.unit_id}"),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": (OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # their home unit only
        },
        team=HIDDEN,
    ),
    ("PATCH", "/api/v1/units/{unit_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/units/{o.unit_id}", json={"name_en": "Unit C1"}),
        by_role={
            "admin": SCOPED_READ,
            "leader": ROLE_REFUSED,
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    ("DELETE", "/api/v1/units/{unit_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/units/{o.unit_id}"),
        by_role={
            "admin": (
                (CONFLICT, "unit you work in"),
                HIDDEN,
                HIDDEN,
                (CONFLICT, "has history"),
                HIDDEN,
            ),
            "leader": ROLE_REFUSED,
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    ("POST", "/api/v1/units/{unit_id:uuid}/notification-test"): Entry(
        call=lambda o: Call(f"/api/v1/units/{o.unit_id}/notification-test"),
        by_role={
            "admin": ((INVALID, "no notification target"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "leader": ROLE_REFUSED,
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    # --- Dossier ledgers (admin or a leader above imports; scoped reads, not inspectors) ---
    ("POST", "/api/v1/units/{unit_id:uuid}/dossier-ledgers"): Entry(
        # An unknown layout is refused after the authorization checks (in the user's language: the
        # test world speaks Vietnamese); nothing is written.
        call=lambda o: Call(
            f"/api/v1/units/{o.unit_id}/dossier-ledgers",
            files={"file": ("ledger.csv", b"a,b\n", "text/csv")},
            data={"layout": "no-such-layout"},
        ),
        by_role={
            "admin": ((INVALID, "Không có mẫu cột"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "leader": ((DENIED, "below their own"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    **{
        ("GET", f"/api/v1/units/{{unit_id:uuid}}/dossier-ledgers{tail}"): Entry(
            call=lambda o, tail=tail: Call(f"/api/v1/units/{o.unit_id}/dossier-ledgers{tail}"),
            by_role={
                "admin": SCOPED_READ,
                "leader": SCOPED_READ,
                "unit_head": SCOPED_READ,
                "inspector": ROLE_REFUSED,
            },
            team=DENIED,
        )
        for tail in ("", "/flagged", "/indicators")
    },
    # --- Users (the object: the unit head of C1) ---
    ("GET", "/api/v1/users/{user_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/users/{o.user_id}"),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": NOWHERE,  # an inspector sees only themselves
        },
        team=HIDDEN,
    ),
    ("PATCH", "/api/v1/users/{user_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/users/{o.user_id}", json={"full_name": o.user_full_name}),
        by_role={
            "admin": SCOPED_READ,
            "leader": ROLE_REFUSED,
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    # --- Checklist versions are shared by the whole tree ---
    ("GET", "/api/v1/checklists/versions/{version_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/checklists/versions/{o.checklist_version_id}"),
        by_role={role: EVERYWHERE for role in ROLES},
        team=OK,
    ),
    # --- Plans (scope D1, target C1, sealed): only leaders and admins of the scope, never the
    # target's own people ---
    ("GET", "/api/v1/plans/{plan_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/plans/{o.plan_id}"),
        by_role={
            "admin": (HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN),
            "leader": (HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN),
            "unit_head": NOWHERE,
            "inspector": NOWHERE,
        },
        team=HIDDEN,
    ),
    ("POST", "/api/v1/plans/{plan_id:uuid}/reveal"): Entry(
        call=lambda o: Call(f"/api/v1/plans/{o.plan_id}/reveal"),
        by_role={
            "admin": (HIDDEN, HIDDEN, HIDDEN, (CONFLICT, "can be revealed"), HIDDEN),
            "leader": (HIDDEN, HIDDEN, HIDDEN, (CONFLICT, "can be revealed"), HIDDEN),
            "unit_head": NOWHERE,
            "inspector": NOWHERE,
        },
        team=HIDDEN,
    ),
    ("GET", "/api/v1/plans/{plan_id:uuid}/verify"): Entry(
        call=lambda o: Call(f"/api/v1/plans/{o.plan_id}/verify"),
        by_role={
            "admin": (HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN),
            "leader": (HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN),
            "unit_head": NOWHERE,
            "inspector": NOWHERE,
        },
        team=HIDDEN,
    ),
    # --- The signed inspection of C1 ---
    ("GET", "/api/v1/inspections/{inspection_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/inspections/{o.inspection_id}"),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": NOWHERE,
        },
        team=OK,
    ),
    ("GET", "/api/v1/inspections/{inspection_id:uuid}/minutes.pdf"): Entry(
        call=lambda o: Call(f"/api/v1/inspections/{o.inspection_id}/minutes.pdf"),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": NOWHERE,
        },
        team=OK,
    ),
    ("POST", "/api/v1/inspections/{inspection_id:uuid}/addenda"): Entry(
        call=lambda o: Call(
            f"/api/v1/inspections/{o.inspection_id}/addenda", json={"text": "Bổ sung biên bản"}
        ),
        by_role={
            "admin": (DENIED, HIDDEN, HIDDEN, CREATED, HIDDEN),
            "leader": (DENIED, HIDDEN, HIDDEN, CREATED, HIDDEN),
            "unit_head": NOWHERE,
            "inspector": NOWHERE,
        },
        team=CREATED,
    ),
    ("POST", "/api/v1/inspections/{inspection_id:uuid}/follow-ups"): Entry(
        # The team head does not exist: refused (422) once the caller has passed every check.
        call=lambda o: Call(
            f"/api/v1/inspections/{o.inspection_id}/follow-ups",
            json={
                "window_start": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
                "window_end": (datetime.now(UTC) + timedelta(days=25)).isoformat(),
                "team_head_id": str(uuid4()),
            },
        ),
        by_role={
            "admin": ((DENIED, "leader above"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "leader": ((DENIED, "leader above"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "unit_head": (DENIED, HIDDEN, HIDDEN, DENIED, HIDDEN),
            "inspector": NOWHERE,
        },
        team=DENIED,
    ),
    # --- The corrective action of C1 (submitted, awaiting review) ---
    ("GET", "/api/v1/actions/{action_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/actions/{o.action_id}"),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": NOWHERE,
        },
        team=OK,
    ),
    ("POST", "/api/v1/actions/{action_id:uuid}/comments"): Entry(
        call=lambda o: Call(f"/api/v1/actions/{o.action_id}/comments", json={"text": "Ghi chú"}),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": NOWHERE,
        },
        team=OK,
    ),
    ("POST", "/api/v1/actions/{action_id:uuid}/transitions"): Entry(
        # Returning without a comment: 422 for whoever may return it, refused before otherwise.
        call=lambda o: Call(f"/api/v1/actions/{o.action_id}/transitions", json={"to": "returned"}),
        by_role={
            "admin": ((DENIED, "leader above the unit"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "leader": ((DENIED, "leader above the unit"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "unit_head": (DENIED, HIDDEN, HIDDEN, DENIED, HIDDEN),
            "inspector": NOWHERE,
        },
        team=INVALID,
    ),
    ("PATCH", "/api/v1/actions/{action_id:uuid}/responsible-unit"): Entry(
        # Handing it to a unit that does not exist: 422 once the caller has passed every check.
        call=lambda o: Call(
            f"/api/v1/actions/{o.action_id}/responsible-unit",
            json={"responsible_unit_id": str(uuid4())},
        ),
        by_role={
            "admin": ((DENIED, "leader above"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "leader": ((DENIED, "leader above"), HIDDEN, HIDDEN, INVALID, HIDDEN),
            "unit_head": (DENIED, HIDDEN, HIDDEN, DENIED, HIDDEN),
            "inspector": NOWHERE,
        },
        team=DENIED,
    ),
    # --- Notifications (admin, their part of the tree; the message: action.assigned to C1) ---
    ("GET", "/api/v1/notifications/{message_id:uuid}"): Entry(
        call=lambda o: Call(f"/api/v1/notifications/{o.message_id}"),
        by_role={
            "admin": SCOPED_READ,
            "leader": ROLE_REFUSED,
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    ("POST", "/api/v1/notifications/{message_id:uuid}/requeue"): Entry(
        # The message is pending, not failed: 409 once the caller may see it.
        call=lambda o: Call(f"/api/v1/notifications/{o.message_id}/requeue"),
        by_role={
            "admin": (CONFLICT, HIDDEN, HIDDEN, CONFLICT, HIDDEN),
            "leader": ROLE_REFUSED,
            "unit_head": ROLE_REFUSED,
            "inspector": ROLE_REFUSED,
        },
        team=DENIED,
    ),
    # --- Evidence (the photo of the submitted fix) ---
    ("PUT", "/mobile/v1/evidence/{sha256:str}"): Entry(
        # Content-addressed and idempotent: sending the same bytes again stores nothing.
        call=lambda o: Call(f"/mobile/v1/evidence/{o.evidence_sha256}", content=o.evidence),
        by_role={role: EVERYWHERE for role in ROLES},
        team=OK,
    ),
    ("GET", "/api/v1/evidence/{sha256:str}"): Entry(
        call=lambda o: Call(f"/api/v1/evidence/{o.evidence_sha256}"),
        by_role={
            "admin": SCOPED_READ,
            "leader": SCOPED_READ,
            "unit_head": SCOPED_READ,
            "inspector": NOWHERE,
        },
        team=OK,
    ),
    # --- Public verification of the minutes ---
    ("GET", "/verify/{sha256:str}"): Entry(
        call=lambda o: Call(f"/verify/{o.minutes_sha256}"),
        by_role={role: EVERYWHERE for role in ROLES},
        team=OK,
        anonymous=OK,
    ),
}

# Routes with a path parameter that names no object, and why they need no row in the matrix.
NOT_AN_OBJECT = {
    ("GET", "/app/{path:path}"): "the phone app's static files, public",
    ("GET", "/schema/{path:str}"): "the OpenAPI documents and viewers, public",
    ("GET", "/api/v1/exports/{name:str}"): "a file name (inspections.csv, …); the rows are "
    "scoped by the caller and the unit in the query, tested in tests/reports/test_exports.py",
}


def routes_with_path_parameters(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if not getattr(route, "path_parameters", None):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path))
    return found


def test_every_route_naming_an_object_is_in_the_matrix(app: Litestar) -> None:
    routes = routes_with_path_parameters(app)
    listed = set(TABLE) | set(NOT_AN_OBJECT)
    missing = sorted(routes - listed)
    assert not missing, (
        "Routes with a path parameter missing from the authorization matrix (add an entry to "
        f"TABLE in {__file__}, or to NOT_AN_OBJECT with the reason): "
        + ", ".join(f"{method} {path}" for method, path in missing)
    )
    stale = sorted(listed - routes)
    assert not stale, "Matrix entries for routes the app no longer has: " + ", ".join(
        f"{method} {path}" for method, path in stale
    )


def callers(entry: Entry) -> list[tuple[str, str, Outcome]]:
    """Every caller of a route with what it must get back: each role from each relation, the
    inspection's team inspector, and an anonymous caller."""
    return [
        *(
            (role, relation, entry.by_role[role][index])
            for role in ROLES
            for index, relation in enumerate(RELATIONS)
        ),
        ("inspector", "team", entry.team),
        ("anonymous", "-", entry.anonymous),
    ]


@dataclass(frozen=True)
class Matrix:
    objects: Objects
    headers: dict[tuple[str, str], dict[str, str]]  # (role, relation) → Authorization


@pytest.fixture(scope="module")
async def matrix(client: httpx.AsyncClient) -> Matrix:
    """The world and its objects, built once for the module; every cell only reads them (or
    makes a refused or idempotent request)."""
    await empty_all_tables()
    world: World = await build_world()
    usernames = {}
    for role in ROLES:
        for relation, unit in RELATION_UNITS.items():
            usernames[role, relation] = f"m_{role}_{relation}"
            await world.add_user(usernames[role, relation], role, unit)
    version_id, _ = await publish_shipped_checklist()
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    head = await world.login(client, "head_c1")
    listing = await client.get(f"/api/v1/actions?inspection_id={inspection_id}", headers=head)
    (action,) = listing.json()
    evidence = photo_bytes((10, 200, 10))
    sha256 = await upload_evidence(client, head, evidence)
    for step, extra in (
        ("acknowledged", {}),
        ("in_progress", {}),
        ("submitted", {"report": "Đã khắc phục", "evidence": [sha256]}),
    ):
        moved = await client.post(
            f"/api/v1/actions/{action['id']}/transitions", json={"to": step, **extra}, headers=head
        )
        assert moved.status_code == 200, moved.text
    minutes = await client.get(
        f"/api/v1/inspections/{inspection_id}/minutes.pdf",
        headers=await world.login(client, "leader_d1"),
    )
    assert minutes.status_code == 200, minutes.text
    plan = await Inspection.select(Inspection.plan_id).where(Inspection.id == inspection_id).first()
    message = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(
            OutboxMessage.event_type == "action.assigned",
            OutboxMessage.recipient_kind == "unit",
            OutboxMessage.recipient_id == world.units["C1"],
        )
        .first()
    )
    assert plan is not None and message is not None
    ledger = await client.post(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers",
        headers=await world.login(client, "leader_d1"),
        files={"file": ("ledger.csv", ledger_csv(), "text/csv")},
        data={"layout": "one-stop-export"},
    )
    assert ledger.status_code == 200, ledger.text
    objects = Objects(
        unit_id=world.units["C1"],
        user_id=world.users["head_c1"],
        user_full_name="User head_c1",
        checklist_version_id=version_id,
        plan_id=plan["plan_id"],
        inspection_id=UUID(inspection_id),
        action_id=UUID(action["id"]),
        message_id=message["id"],
        evidence=evidence,
        evidence_sha256=sha256,
        minutes_sha256=hashlib.sha256(minutes.content).hexdigest(),
    )
    headers = {key: await world.login(client, name) for key, name in usernames.items()}
    headers["inspector", "team"] = await world.login(client, "inspector")
    headers["anonymous", "-"] = {}
    return Matrix(objects=objects, headers=headers)


def wrong_answer(response: httpx.Response, expected: Outcome, where: str) -> str | None:
    """What is wrong with `response` when `expected` was due, or None when it is right."""
    status, phrase = expected if isinstance(expected, tuple) else (expected, None)
    if response.status_code != status:
        return f"{where}: {response.status_code}, not {status}: {response.text[:300]}"
    if status >= 400:
        if not response.headers["content-type"].startswith("application/problem+json"):
            return f"{where}: {status} as {response.headers['content-type']}, not a problem"
        if not response.json()["detail"]:
            return f"{where}: {status} without a detail"
    if phrase and phrase not in response.json()["detail"]:
        return f"{where}: the detail does not say {phrase!r}: {response.json()['detail']}"
    return None


# One test per route rather than per cell: the cells of a route run in the order they always did,
# every one is checked, and every wrong one is listed; a test per cell spent as much in pytest's
# own bookkeeping for its ~600 items as in the requests themselves.
@pytest.mark.parametrize(("method", "path"), list(TABLE), ids=[f"{m} {p}" for m, p in TABLE])
async def test_route_answers_each_role_and_place_as_the_matrix_says(
    client: httpx.AsyncClient, matrix: Matrix, method: str, path: str
) -> None:
    entry = TABLE[method, path]
    wrong = []
    for role, relation, expected in callers(entry):
        call = entry.call(matrix.objects)
        response = await client.request(
            method,
            call.url,
            json=call.json,
            content=call.content,
            files=call.files,
            data=call.data,
            headers=matrix.headers[role, relation],
        )
        found = wrong_answer(
            response, expected, f"{method} {call.url} as {role} homed at {relation}"
        )
        if found:
            wrong.append(found)
    assert not wrong, f"{len(wrong)} of {len(callers(entry))} cells answer wrong:\n" + "\n".join(
        wrong
    )
