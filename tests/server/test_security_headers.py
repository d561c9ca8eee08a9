"""Every response carries the security headers; the web app gets a strict CSP of its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mobile_api.app_files import APP_CSP
from server.core import security_headers
from server.core.settings import Settings
from tests.conftest import ROOT, World

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_always(response: httpx.Response) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.headers)


def directives(policy: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/v1/units", 401),
        ("GET", "/api/v1/no-such-thing", 404),
        ("DELETE", "/api/v1/auth/login", 405),
    ],
)
async def test_api_answers_and_errors_carry_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    assert_always(response)
    assert response.headers["content-security-policy"] == security_headers.DATA_CSP
    assert directives(security_headers.DATA_CSP) == {"frame-ancestors": "'none'"}


async def test_an_authenticated_json_answer_carries_them_too(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "admin")

    response = await client.get("/api/v1/units", headers=headers)

    assert response.status_code == 200
    assert_always(response)
    assert response.headers["content-security-policy"] == security_headers.DATA_CSP


@pytest.fixture
def built_app(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Spotcheck</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    monkeypatch.setattr(settings, "app_dir", tmp_path)
    return tmp_path


@pytest.mark.parametrize("path", ["/app/", "/app/actions/123", "/app/assets/index-abc123.js"])
async def test_the_web_app_gets_its_own_strict_policy(
    client: httpx.AsyncClient, built_app: Path, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert_always(response)
    assert response.headers["content-security-policy"] == APP_CSP
    policy = directives(APP_CSP)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' blob: data:"  # photos before upload
    assert policy["connect-src"] == "'self'"
    assert policy["worker-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


def test_the_app_page_has_no_inline_script_or_style_the_policy_would_block() -> None:
    source = (ROOT / "mobile_app" / "index.html").read_text(encoding="utf-8")

    assert " style=" not in source
    assert "<style" not in source
    for line in source.splitlines():
        if "<script" in line:
            assert " src=" in line, line


async def test_the_api_docs_may_load_their_scripts_but_not_be_framed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/schema/openapi.json")

    assert_always(response)
    policy = directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy and "default-src" not in policy


def test_a_pdf_may_not_be_framed_and_other_html_may_run_nothing() -> None:
    pdf = security_headers.content_security_policy("/api/v1/minutes/x.pdf", "application/pdf")
    html = security_headers.content_security_policy("/verify/abc", "text/html; charset=utf-8")

    assert directives(pdf) == {"frame-ancestors": "'none'"}
    assert directives(html)["default-src"] == "'none'"
    assert directives(html)["frame-ancestors"] == "'none'"
