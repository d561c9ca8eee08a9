"""`spotcheck serve` runs uvicorn with bounded connections, keep-alive, request heads and shutdown."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from server import cli
from server.core.http_protocol import NoDelayH11Protocol
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


# --- Nagle's algorithm ------------------------------------------------------------------------------


async def accepted_socket_delays(protocol: type[asyncio.Protocol], config: uvicorn.Config) -> int:
    """TCP_NODELAY on the server's side of one connection, accepted the way uvicorn's workers
    accept it: from a socket uvicorn bound itself (`Config.bind_socket`, protocol number 0)."""
    listener = config.bind_socket()
    seen: list[int] = []

    class Probe(protocol):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Probe(config=config, server_state=ServerState(), app_state={}), sock=listener
    )
    async with server:
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
    return seen[0]


async def test_every_connection_sends_small_writes_at_once_also_with_several_workers() -> None:
    """With --workers, uvicorn's own listening socket leaves Nagle's algorithm on in the
    connections asyncio accepts from it; a response's body then waited 40 ms for the client's
    delayed acknowledgement of its head, on every request."""
    served = serve_config(Settings(environment="test"), "--workers", "2")
    assert served.http is NoDelayH11Protocol

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("no request is made")

    probe = uvicorn.Config(app=app, host="127.0.0.1", port=0, workers=2)
    probe.load()
    assert await accepted_socket_delays(H11Protocol, probe) == 0  # what uvicorn alone does
    assert await accepted_socket_delays(NoDelayH11Protocol, probe) == 1
