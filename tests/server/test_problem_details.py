"""Problems name their kind (`type`, `title`) the same way whoever raised them, and a body that
cannot be read is a 400 problem, never a 500."""

from __future__ import annotations

import logging
import re
import time

import httpx
import pytest

from server.core import errors
from server.units import services as unit_service
from tests.conftest import (
    ROOT,
    World,
    build_world,
    empty_all_tables,
    engine_name,
    problem_detail,
)
from tests.server.test_units import new_unit

DOCS = ROOT / "docs" / "errors.md"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    problem_detail(response)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["type"] == errors.problem_type(status)
    assert body["title"] == errors.problem_title(status)
    assert "Traceback" not in response.text
    return body


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient) -> World:
    """One world for the module, built once: every test here only reads it (logins add
    sessions, which no test here counts)."""
    await empty_all_tables()
    return await build_world()


MALFORMED_JSON = {
    "nested arrays": b"[" * 100_000,
    "nested objects": b'{"a":' * 50_000,
    "invalid UTF-8 in a string": b'{"username": "\xff\xfe", "password": "x", "device_name": "d"}',
    "truncated": b'{"username": "admin", "password": ',
    "a form instead of JSON": b"username=admin&password=secret",
    "not JSON at all": b"\x00\x01\x02",
}


@pytest.mark.parametrize("body", MALFORMED_JSON.values(), ids=MALFORMED_JSON.keys())
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/mobile/v1/sync"])
async def test_a_body_that_cannot_be_decoded_is_a_400_problem(
    client: httpx.AsyncClient, world: World, path: str, body: bytes
) -> None:
    headers = await world.login(client, "inspector") if path.startswith("/mobile") else {}

    response = await client.post(
        path, content=body, headers={**headers, "content-type": "application/json"}
    )

    assert_problem(response, 400)


async def test_a_form_sent_to_a_json_endpoint_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        data={"username": "admin", "password": "x"},
    )

    assert_problem(response, 400)


async def test_invalid_utf8_names_the_offending_byte(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"username": "ab\xff", "password": "x", "device_name": "d"}',
        headers={"content-type": "application/json"},
    )

    assert "not valid UTF-8" in assert_problem(response, 400)["detail"]  # type: ignore[operator]
    assert "0xff" in problem_detail(response)


async def test_deeply_nested_yaml_is_refused_quickly(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "admin")
    started = time.monotonic()

    flow = await client.post(
        "/api/v1/checklists/",
        content=b"[" * 50_000,
        headers={**headers, "content-type": "application/yaml"},
    )
    block = await client.post(
        "/api/v1/checklists/",
        content=b"".join(b" " * depth + b"- \n" for depth in range(900)),
        headers={**headers, "content-type": "application/yaml"},
    )

    assert time.monotonic() - started < 10
    assert flow.status_code in (400, 422), flow.text
    assert block.status_code in (400, 422), block.text
    for response in (flow, block):
        assert_problem(response, response.status_code)


async def test_a_yaml_alias_bomb_is_refused_quickly(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "admin")
    lines = ["key: bomb", "version: 1", "anchors:", "  a0: &a0 [lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 6) + "]")
    lines += ["sections: *a9", "legal_bases: *a9", "title: {vi: *a9, en: *a9}"]
    started = time.monotonic()

    response = await client.post(
        "/api/v1/checklists/",
        content="\n".join(lines).encode(),
        headers={**headers, "content-type": "application/yaml"},
    )

    assert time.monotonic() - started < 10
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v1/units/not-a-uuid", 404),
        ("DELETE", "/api/v1/auth/login", 405),
        ("GET", "/api/v1/units", 401),
    ],
)
async def test_framework_errors_carry_the_same_type_and_title_as_app_errors(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert_problem(response, status)


async def test_an_app_not_found_reads_like_the_frameworks(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "admin")

    app_404 = await client.get(
        "/api/v1/units/00000000-0000-4000-8000-000000000000", headers=headers
    )
    framework_404 = await client.get("/api/v1/no-such-thing", headers=headers)

    for response in (app_404, framework_404):
        assert_problem(response, 404)
    assert app_404.json()["title"] == framework_404.json()["title"] == "Not found"
    # The framework's own detail ("Not Found") says nothing; ours says where and what to check.
    assert "Nothing is at /api/v1/no-such-thing" in framework_404.json()["detail"]


async def test_a_wrong_method_names_the_methods_the_route_takes(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/api/v1/auth/login")

    body = assert_problem(response, 405)
    assert body["detail"].startswith("DELETE is not allowed on /api/v1/auth/login")
    assert "POST" in body["detail"]


async def test_validation_and_throttling_problems_have_their_own_types(
    client: httpx.AsyncClient,
) -> None:
    invalid = await client.post("/api/v1/auth/login", json={"username": "admin"})

    body = assert_problem(invalid, 422)
    assert body["type"] == "https://spotcheck.example/problems/validation"


async def test_an_unexpected_error_is_a_generic_500_that_does_not_claim_nothing_was_saved(
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = await world.login(client, "admin")

    async def explode(**kwargs: object) -> None:
        raise RuntimeError("boom secret")

    monkeypatch.setattr(unit_service, "list_units", explode)
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/v1/units", headers=headers)

    body = assert_problem(response, 500)
    assert body["type"] == "https://spotcheck.example/problems/internal"
    assert "could not complete this request" in str(body["detail"])
    assert "Nothing was saved" not in str(body["detail"])
    assert "boom secret" not in response.text
    assert "boom secret" in caplog.text


def test_every_problem_type_is_documented_with_its_status_and_title() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = {
        int(status): (uri, title)
        for status, uri, title in re.findall(r"^\| (\d{3}) \| `([^`]+)` \| ([^|]+?) \|", text, re.M)
    }

    assert rows == {
        status: (errors.problem_type(status), title)
        for status, (_kind, title) in errors.PROBLEM_KINDS.items()
    }


async def test_a_nul_character_in_a_text_is_refused_on_postgres_and_never_a_500(
    client: httpx.AsyncClient, world: World
) -> None:
    """PostgreSQL's text types cannot hold U+0000 (found by the schemathesis run: a login with a
    NUL in the user name was a 500). It is the client's input, so a 400 saying so, with nothing
    written; SQLite stores the character, so there the requests go on as for any other text."""
    login = await client.post(
        "/api/v1/auth/login",
        json={"username": "ad\u0000min", "password": "x", "device_name": "fuzzer"},
    )
    admin = await world.login(client, "admin")
    created = await client.post(
        "/api/v1/units", json=new_unit(world, name_vi="Một\u0000cửa"), headers=admin
    )
    if engine_name() == "postgres":
        for response in (login, created):
            assert response.status_code == 400, response.text
            assert "NUL character" in problem_detail(response)
        listed = await client.get("/api/v1/units", headers=admin)
        assert "C1-NEW" not in {unit["code"] for unit in listed.json()}
    else:
        assert login.status_code == 401, login.text
        assert created.status_code == 201, created.text
