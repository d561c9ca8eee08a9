"""Unit codes are restricted to a safe alphabet (they end up in file names and headers)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.core.audit.tables import AuditEvent
from server.units.schemas import UnitIn
from server.units.tables import Unit
from tests.conftest import World, problem_detail


def new_unit(world: World, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name_vi": "Bộ phận một cửa mới",
        "name_en": "New one-stop shop",
        "kind": "service_center",
        "parent_id": str(world.units["C1"]),
    }


@pytest.mark.parametrize(
    "code", ["TN-VH", "C1-SC", "P-DEPT", "NB", "NT-NTH", "A", "X.1_B-2", "9" * 40]
)
def test_demo_and_ordinary_codes_are_accepted(code: str) -> None:
    unit = UnitIn(code=code, name_vi="Xã", name_en="Commune", kind="commune")  # type: ignore[arg-type]
    assert unit.code == code


def test_surrounding_spaces_are_trimmed() -> None:
    unit = UnitIn(code="  TN-PD ", name_vi="Xã", name_en="Commune", kind="commune")  # type: ignore[arg-type]
    assert unit.code == "TN-PD"


HOSTILE_CODES = [
    'X"; filename=evil.exe',
    "A\r\nSet-Cookie: a=b",
    "TN/PD",
    "TN\\PD",
    "tn-pd",  # lower case is refused, not silently changed
    "-TN",
    ".hidden",
    "TN PD",
    "XÃ-PĐ",
    "A" * 41,
]


async def test_a_code_outside_the_safe_alphabet_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, world: World
) -> None:
    # One world for every code: building a world per code would cost a second each.
    admin = await world.login(client, "admin")
    before = (await Unit.count(), await AuditEvent.count())

    for code in HOSTILE_CODES:
        response = await client.post("/api/v1/units", json=new_unit(world, code), headers=admin)

        assert response.status_code == 422, (code, response.text)
        detail = problem_detail(response)
        assert "code" in detail
        assert "upper-case letters A-Z, digits, dots, underscores and hyphens only" in detail
    assert (await Unit.count(), await AuditEvent.count()) == before


async def test_renaming_a_code_is_held_to_the_same_rule(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = await world.login(client, "admin")

    refused = await client.patch(
        f"/api/v1/units/{world.units['C2']}", json={"code": 'C2"x'}, headers=admin
    )
    accepted = await client.patch(
        f"/api/v1/units/{world.units['C2']}", json={"code": "C2-NEW"}, headers=admin
    )

    assert refused.status_code == 422, refused.text
    assert "upper-case letters" in problem_detail(refused)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["code"] == "C2-NEW"


async def test_the_rule_is_published_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    code = schema["components"]["schemas"]["UnitIn"]["properties"]["code"]

    assert code["pattern"] == "^[A-Z0-9][A-Z0-9._-]{0,39}$"
    assert code["maxLength"] == 40
