"""The web app at /app/: the shell for every path under it, hashed assets cached for good, the
shell and the service worker revalidated, nothing outside the build served, and a clear 503 when
the app was never built."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.di import Provide

from mobile_api.app_files import AppFilesController
from server.core.problems import EXCEPTION_HANDLERS
from server.core.settings import Settings
from tests.conftest import TEST_SECRET


def _app_for(app_dir: Path) -> Litestar:
    settings = Settings(environment="test", secret_key=TEST_SECRET, app_dir=app_dir)  # type: ignore[arg-type]
    return Litestar(
        route_handlers=[AppFilesController],
        dependencies={"settings": Provide(lambda: settings, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
    )


@pytest.fixture
def built_app(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>shell</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})", encoding="utf-8")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "Spotcheck"}', encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("not for the web", encoding="utf-8")
    return tmp_path


async def _get(app: Litestar, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_root_redirects_to_the_app(built_app: Path) -> None:
    response = await _get(_app_for(built_app), "/")
    assert response.status_code == 302
    assert response.headers["location"] == "/app/"


@pytest.mark.parametrize("path", ["/app/", "/app/inspections/123", "/app/inspections/1/sections/A"])
async def test_every_app_path_gets_the_shell_revalidated(built_app: Path, path: str) -> None:
    response = await _get(_app_for(built_app), path)
    assert response.status_code == 200
    assert "<title>shell</title>" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_good(built_app: Path) -> None:
    response = await _get(_app_for(built_app), "/app/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert "immutable" in response.headers["cache-control"]
    assert "javascript" in response.headers["content-type"]


async def test_service_worker_and_manifest_are_revalidated(built_app: Path) -> None:
    worker = await _get(_app_for(built_app), "/app/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["service-worker-allowed"] == "/app/"
    manifest = await _get(_app_for(built_app), "/app/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")


@pytest.mark.parametrize(
    "path", ["/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/..%2fsecret.txt"]
)
async def test_nothing_outside_the_build_is_served(built_app: Path, path: str) -> None:
    response = await _get(_app_for(built_app), path)
    assert "not for the web" not in response.text


async def test_an_app_that_was_never_built_is_a_clear_503(tmp_path: Path) -> None:
    response = await _get(_app_for(tmp_path / "missing"), "/app/")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "npm ci && npm run build" in response.json()["detail"]


async def test_the_served_app_is_public_and_not_in_the_api_schema(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert not any(path.startswith("/app") for path in schema["paths"])
    response = await client.get("/app/")
    # Without a token: the shell (when built) or the 503 that says how to build it, never 401.
    assert response.status_code in (200, 503)


def test_paths_that_climb_out_of_the_build_find_nothing(built_app: Path) -> None:
    from mobile_api.app_files import _built_file

    assert _built_file(built_app, "../secret.txt") is None
    assert _built_file(built_app, "assets/../../secret.txt") is None
    assert _built_file(built_app, "/etc/passwd") is None
    assert (
        _built_file(built_app, "assets/index-abc123.js") == built_app / "assets" / "index-abc123.js"
    )


async def test_text_files_go_out_gzipped_when_the_phone_accepts_it(built_app: Path) -> None:
    import gzip

    app = _app_for(built_app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        zipped = await client.get(
            "/app/assets/index-abc123.js", headers={"accept-encoding": "gzip"}
        )
        plain = await client.get(
            "/app/assets/index-abc123.js", headers={"accept-encoding": "identity"}
        )
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == b"console.log(1)"  # httpx decoded it
    raw = gzip.compress(b"console.log(1)", compresslevel=9, mtime=0)
    assert int(zipped.headers["content-length"]) == len(raw)
    assert "content-encoding" not in plain.headers
    assert plain.text == "console.log(1)"
