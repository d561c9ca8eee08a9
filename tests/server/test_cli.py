"""`spotcheck demo` and `spotcheck users create`, as a user would run them, against the test
database (called in this process: see the `spotcheck` fixture)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.core.audit.tables import AuditEvent
from server.demo.ledgers import DEMO_LEDGERS, LEDGER_IMPORTER, last_full_quarter
from server.dossiers.generator import generate_ledger
from server.dossiers.tables import DossierSample
from server.inspections.tables import Finding
from server.units.tables import Unit
from server.users.tables import AppUser
from tests.conftest import Spotcheck, World

Client = AsyncTestClient[Litestar]

DEMO_PLACES = ["Phương Định", "Việt Hùng", "Trung Đông", "Trực Mỹ", "Cát Thành"]
ROLES = {"admin", "leader", "inspector", "unit_head"}
LOGIN_LINE = re.compile(r"^\s+(?P<username>\S+)\s+(?P<password>\S+)\s+(?P<role>\S+)\s*$")


def printed_logins(stdout: str) -> list[dict[str, str]]:
    _, _, listing = stdout.partition("Demo logins")
    return [match.groupdict() for line in listing.splitlines() if (match := LOGIN_LINE.match(line))]


async def test_demo_loads_once_and_its_logins_work(
    client: Client, clean_database: None, spotcheck: Spotcheck
) -> None:
    first = spotcheck("demo")
    assert first.returncode == 0, first.stdout + first.stderr
    created = int(re.search(r"(\d+) new users", first.stdout).group(1))  # type: ignore[union-attr]
    logins = printed_logins(first.stdout)
    assert created == len(logins) > 0
    assert {login["role"] for login in logins} == ROLES
    units = await Unit.count()
    events = await AuditEvent.count()

    second = spotcheck("demo")

    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 new users" in second.stdout
    assert printed_logins(second.stdout) == logins
    assert await AppUser.count() == len(logins)
    assert await Unit.count() == units
    assert await AuditEvent.count() == events  # a re-run adds nothing, not even log noise
    await the_demo_ledgers_are_there_with_their_planted_cases_flagged(client)
    await the_demo_plans_seal_dossier_samples_and_a_visit_found_a_mismatch(client)

    names = " | ".join(row["name_vi"] for row in await Unit.select(Unit.name_vi))
    for place in DEMO_PLACES:
        assert place in names

    one_per_role = {login["role"]: login for login in logins}
    for login in one_per_role.values():
        response = await client.post(
            "/api/v1/auth/login",
            json={
                "username": login["username"],
                "password": login["password"],
                "device_name": "cli",
            },
        )
        assert response.status_code == 200, (login, response.text)
        assert response.json()["user"]["role"] == login["role"]


async def test_users_create_reads_the_password_from_stdin(
    client: Client, world: World, spotcheck: Spotcheck
) -> None:
    password = "mat-khau-that-dai-2026"
    args = ["users", "create", "CanBo.C1", "--full-name", "Nguyễn Thị Cán Bộ"]
    args += [
        "--role",
        "unit_head",
        "--unit",
        "C1",
        "--email",
        "canbo@example.vn",
        "--password-stdin",
    ]

    result = spotcheck(*args, stdin=password + "\n")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "created" in result.stdout
    assert password not in result.stdout + result.stderr
    login = await client.post(
        "/api/v1/auth/login",
        json={"username": "canbo.c1", "password": password, "device_name": "pytest"},
    )
    assert login.status_code == 200, login.text
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["home_unit_code"] == "C1"
    assert me.json()["full_name"] == "Nguyễn Thị Cán Bộ"
    assert await AuditEvent.exists().where(
        AuditEvent.action == "user.created", AuditEvent.actor_label == "cli"
    )

    duplicate = spotcheck(*args, stdin="another-long-password\n")

    assert duplicate.returncode == 1
    assert "is taken" in duplicate.stderr
    assert await AppUser.count().where(AppUser.username == "canbo.c1") == 1


@pytest.mark.parametrize(
    ("unit", "password", "message"),
    [
        ("C1", "short", "at least 10 characters"),
        ("NO-SUCH-UNIT", "a-long-enough-password", "no unit with code 'NO-SUCH-UNIT'"),
    ],
    ids=["short-password", "unknown-unit"],
)
async def test_users_create_refuses_bad_input(
    client: Client, world: World, spotcheck: Spotcheck, unit: str, password: str, message: str
) -> None:
    users_before = await AppUser.count()

    result = spotcheck(
        "users", "create", "someone", "--full-name", "Someone", "--role", "inspector",
        "--unit", unit, "--password-stdin",
        stdin=password + "\n",
    )  # fmt: skip

    assert result.returncode == 2
    assert message in result.stderr
    assert await AppUser.count() == users_before


async def the_demo_ledgers_are_there_with_their_planted_cases_flagged(client: Client) -> None:
    """Both communes' generated quarter is stored, and every planted case is flagged, the fee
    cases too (against the shipped fee catalogue), each by the rules it was planted for."""
    period = last_full_quarter(date.today())
    login = await client.post(
        "/api/v1/auth/login",
        json={"username": LEDGER_IMPORTER, "password": "leader-demo-2026", "device_name": "cli"},
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for unit_code, seed, count in DEMO_LEDGERS:
        unit = await Unit.select(Unit.id).where(Unit.code == unit_code).first()
        assert unit is not None
        base = f"/api/v1/units/{unit['id']}/dossier-ledgers"
        (ledger_import,) = (await client.get(base, headers=headers)).json()
        assert ledger_import["row_count"] == count
        assert ledger_import["period_end"] == period[1].isoformat()
        flagged = await client.get(f"{base}/flagged", headers=headers, params={"limit": 500})
        codes = {row["dossier_code"] for row in flagged.json()}
        assert int(flagged.headers["X-Total-Count"]) == len(codes)  # one page holds them all
        ledger = generate_ledger(
            seed, unit_code=unit_code, period_start=period[0], period_end=period[1], count=count
        )
        planted = set(ledger.planted)
        kinds = {ledger.planted_kinds[code] for code in planted}
        assert {
            "late_no_apology_returned",
            "no_result_file",
            "resolved_before_received",
            "fee_differs",
            "fee_not_due",
        } <= kinds
        assert planted <= codes
        rules_of = {
            row["dossier_code"]: {f["rule"] for f in row["flags"]} for row in flagged.json()
        }
        for code, kind in ledger.planted_kinds.items():
            if kind in {"fee_differs", "fee_not_due"}:
                assert kind in rules_of[code]


async def the_demo_plans_seal_dossier_samples_and_a_visit_found_a_mismatch(client: Client) -> None:
    """kiemtra1's open visit to Phương Định comes with ten sampled dossiers; a carried-out visit
    to Việt Hùng checked some, and one's paper did not match the system."""
    login = await client.post(
        "/api/v1/auth/login",
        json={"username": "kiemtra1", "password": "inspector-demo-2026", "device_name": "cli"},
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    boot = (await client.get("/mobile/v1/bootstrap", headers=headers)).json()
    (phuong_dinh,) = [a for a in boot["assignments"] if a["unit"]["code"] == "TN-PD"]
    assert len(phuong_dinh["dossier_sample"]) == 10
    viet_hung = await Unit.select(Unit.id).where(Unit.code == "TN-VH").first()
    assert viet_hung is not None
    assert await DossierSample.exists().where(DossierSample.unit_id == viet_hung["id"])
    assert await Finding.exists().where(
        Finding.unit_id == viet_hung["id"], Finding.source == "dossier_sample"
    )
