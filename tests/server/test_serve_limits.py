"""`spotcheck serve` runs uvicorn with bounded connections, keep-alive, request heads and shutdown."""

from __future__ import annotations

import pytest
import uvicorn

from server import cli
from server.core.settings import Settings


def serve_config(settings: Settings, *argv: str) -> uvicorn.Config:
    args = cli._parser().parse_args(["serve", *argv])
    return uvicorn.Config(**cli.uvicorn_options(args, settings))


def test_serve_limits_concurrency_and_keep_alive_from_the_settings() -> None:
    settings = Settings(environment="test", http_limit_concurrency=37, http_keep_alive_seconds=9)

    config = serve_config(settings, "--port", "8123")

    assert config.limit_concurrency == 37
    assert config.timeout_keep_alive == 9
    assert config.port == 8123


def test_serve_bounds_request_heads_and_shutdown_and_hides_its_name() -> None:
    config = serve_config(Settings(environment="test"))

    assert config.h11_max_incomplete_event_size == cli.MAX_REQUEST_HEAD_BYTES
    assert config.timeout_graceful_shutdown == cli.GRACEFUL_SHUTDOWN_SECONDS
    assert config.server_header is False
    # The app reads X-Forwarded-For itself, only from SPOTCHECK_TRUSTED_PROXIES.
    assert config.proxy_headers is False


def test_the_serve_command_hands_these_options_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setenv("SPOTCHECK_ENVIRONMENT", "test")
    monkeypatch.setenv("SPOTCHECK_HTTP_LIMIT_CONCURRENCY", "41")
    monkeypatch.setattr(uvicorn, "run", lambda **options: seen.update(options))

    assert cli.main(["serve", "--workers", "2"]) == 0

    assert seen["limit_concurrency"] == 41
    assert seen["workers"] == 2
    assert seen["timeout_graceful_shutdown"] == cli.GRACEFUL_SHUTDOWN_SECONDS
