"""Every error is RFC 9457 problem+json that says what went wrong, and nothing internal leaks."""

from __future__ import annotations

import logging

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.core.settings import Settings
from server.units import services as unit_service
from server.units.tables import Unit
from tests.conftest import World, problem_detail

Client = AsyncTestClient[Litestar]


async def test_validation_errors_name_every_bad_field(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "admin", "device_name": "", "remember": True}
    )

    assert response.status_code == 422
    detail = problem_detail(response)
    body = response.json()
    assert body["status"] == 422
    assert body["instance"] == "/api/v1/auth/login"
    names = {param["name"] for param in body["invalid_params"]}
    assert names == {"password", "device_name", "remember"}
    for name in names:
        assert name in detail
    assert all(param["reason"] for param in body["invalid_params"])


async def test_malformed_json_is_a_problem(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"username": "admin", "password": ',
        headers={"content-type": "application/json"},
    )

    assert response.status_code in (400, 422)
    problem_detail(response)
    assert "Traceback" not in response.text


async def test_a_body_over_the_limit_is_refused(client: Client, settings: Settings) -> None:
    padding = "a" * (settings.request_max_body_bytes + 1)

    response = await client.post(
        "/api/v1/auth/login",
        json={"username": "admin", "password": padding, "device_name": "pytest"},
    )

    assert response.status_code == 413
    assert "larger than this endpoint accepts" in problem_detail(response)
    assert response.json()["status"] == 413


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/api/v1/units/not-a-uuid", "/no/such/page"]
)
async def test_unknown_routes_are_404_problems(client: Client, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    problem_detail(response)
    assert response.json()["instance"] == path


async def test_wrong_method_is_a_405_problem(client: Client) -> None:
    response = await client.delete("/api/v1/auth/login")

    assert response.status_code == 405
    problem_detail(response)


async def test_an_unexpected_error_is_a_generic_500(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    headers = await world.login(client, "admin")

    async def explode(**kwargs: object) -> None:
        raise RuntimeError("boom secret")

    monkeypatch.setattr(unit_service, "list_units", explode)
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/v1/units", headers=headers)

    assert response.status_code == 500
    detail = problem_detail(response)
    assert "could not complete this request" in detail
    assert "Traceback" not in response.text
    assert "boom secret" not in response.text
    assert "RuntimeError" not in response.text
    # The operator still gets the cause in the log.
    assert "boom secret" in caplog.text


async def test_a_failed_write_leaves_nothing_behind(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await world.login(client, "admin")
    before = await Unit.count()

    async def explode(**kwargs: object) -> None:
        raise RuntimeError("audit store down")

    # The unit row is inserted first, then the audit event fails inside the same transaction.
    monkeypatch.setattr(unit_service.audit_service, "record", explode)
    response = await client.post(
        "/api/v1/units",
        json={
            "code": "HALF",
            "name_vi": "Nửa chừng",
            "name_en": "Half written",
            "kind": "commune",
            "parent_id": str(world.units["D1"]),
        },
        headers=headers,
    )

    assert response.status_code == 500
    assert await Unit.count() == before
