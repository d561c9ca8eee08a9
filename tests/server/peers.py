"""Real peers for notification tests, all on 127.0.0.1: an SMTP server (aiosmtpd) that keeps the
mail it is given, and an HTTP receiver that records webhook calls and can be told to answer 200,
500 or slowly. Apprise talks to them exactly as it would to a real mail server or webhook."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        assert part is not None, self.message
        return str(part.get_content())


class _MailHandler:
    def __init__(self, sink: list[ReceivedMail], lock: threading.Lock) -> None:
        self.sink = sink
        self.lock = lock

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.sink.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpPeer:
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mailto(self, to: str = "unit@example.org") -> str:
        """The Apprise URL for a plain local SMTP server: no TLS (mailto, not mailtos), no login."""
        return f"mailto://{HOST}:{self.port}?from=spotcheck@example.org&to={to}"

    def received(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.messages)


@contextlib.contextmanager
def running_smtp() -> Iterator[SmtpPeer]:
    peer = SmtpPeer(port=free_port())
    controller = Controller(
        _MailHandler(peer.messages, peer.lock), hostname=HOST, port=peer.port, ready_timeout=10
    )
    controller.start()
    try:
        yield peer
    finally:
        controller.stop()


# --- HTTP webhook receiver -----------------------------------------------------------------------


@dataclass
class Hit:
    """One request as the receiver saw it (recorded as soon as the body was read)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int | None = None

    @property
    def event_key(self) -> str | None:
        return self.headers.get("x-spotcheck-event-key")


@dataclass
class HttpPeer:
    port: int
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # "ok" answers 200, "fail" 500, "slow" sleeps `slow_seconds` then answers 200, "held-fail"
    # answers 500 once the test sets `release` (or after `hold_timeout_seconds`, counted in
    # `hold_timeouts`): held for as long as the test needs, not for a guessed time. `slow_first`
    # makes only the first request slow (a worker is then killed while waiting on it).
    # `path_modes` sets the mode of the paths starting with a key.
    mode: str = "ok"
    slow_seconds: float = 3.0
    slow_first: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    hold_timeout_seconds: float = 30.0
    hold_timeouts: int = 0
    path_modes: dict[str, str] = field(default_factory=dict)
    # "gate": the first requests wait until `gate_size` of them are in flight at once (then the
    # gate stays open), or until `gate_timeout_seconds` have passed, counted in `gate_timeouts`.
    # Requests sent one after another would each wait out the timeout.
    gate_size: int = 0
    gate_timeout_seconds: float = 10.0
    gate_timeouts: int = 0
    gate_open: bool = False
    # HTTP/1.1 with keep-alive when set (each connection then serves requests until the client
    # closes it); by default HTTP/1.0, a connection per request. `connections` counts them.
    keep_alive: bool = False
    connections: int = 0
    # Requests read and not yet answered, now and at most.
    in_flight: int = 0
    max_in_flight: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)
    # Headers added to every answer (e.g. a Set-Cookie a client must not send back).
    answer_headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str = "/hook", *, secret: str | None = None) -> str:
        auth = f"spotcheck:{secret}@" if secret else ""
        query = f"?+X-Token={secret}" if secret else ""
        return f"json://{auth}{HOST}:{self.port}{path}{query}"

    def received(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)

    def event_keys(self) -> list[str]:
        return [hit.body.get("event_key", "") for hit in self.received()]

    def _record(self, hit: Hit) -> tuple[str, int]:
        with self.lock:
            self.hits.append(hit)
            mode = next(
                (mode for path, mode in self.path_modes.items() if hit.path.startswith(path)),
                self.mode,
            )
            if self.slow_first and len(self.hits) == 1:
                mode = "slow"
        return mode, len(self.hits)

    def _arrived(self) -> None:
        with self.changed:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.gate_size and self.in_flight >= self.gate_size:
                self.gate_open = True
            self.changed.notify_all()

    def _pass_gate(self) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.gate_open, self.gate_timeout_seconds):
                self.gate_timeouts += 1

    def _answered(self) -> None:
        with self.changed:
            self.in_flight -= 1
            self.changed.notify_all()


class _HookHandler(BaseHTTPRequestHandler):
    server: _HookServer
    # The answer's head and body leave in one segment: no Nagle wait on a kept connection.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        peer = self.server.peer
        if peer.keep_alive:
            self.protocol_version = "HTTP/1.1"
        with peer.lock:
            peer.connections += 1

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        hit = Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        peer = self.server.peer
        mode, _count = peer._record(hit)
        peer._arrived()
        try:
            if mode == "gate":
                peer._pass_gate()
            if mode == "slow":
                time.sleep(peer.slow_seconds)
            if mode == "held-fail" and not peer.release.wait(peer.hold_timeout_seconds):
                with peer.lock:
                    peer.hold_timeouts += 1
        finally:
            # Counted out before the answer leaves: a client cannot start its next request on
            # this answer while this one still counts as in flight.
            peer._answered()
        status = 500 if mode in ("fail", "held-fail") else 200
        hit.answered = status
        answer = b'{"ok": %s}' % (b"false" if status >= 500 else b"true")
        with contextlib.suppress(OSError):  # the caller may have been killed meanwhile
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            for name, value in peer.answer_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output quiet


class _HookServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default listen backlog is 5: two workers with several deliveries in flight
    # each, on a loaded machine where the accepting thread waits for a core, can overflow it, and
    # a delivery that fails its first attempt is what the exactly-once tests count. A real
    # receiver listens with a backlog in the hundreds.
    request_queue_size = 128

    def __init__(self, peer: HttpPeer) -> None:
        super().__init__((HOST, 0), _HookHandler)
        self.peer = peer


@contextlib.contextmanager
def running_http() -> Iterator[HttpPeer]:
    server = _HookServer(HttpPeer(port=0))
    server.peer.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server.peer
    finally:
        server.peer.release.set()  # a request still held (a failed test) is answered, not left
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Driving the outbox --------------------------------------------------------------------------


async def drain(worker: Any, *, max_rounds: int = 100) -> int:
    """Run the in-process worker until a round finds nothing due; returns how many it handled."""
    handled = 0
    for _ in range(max_rounds):
        batch = await worker.run_once()
        if not batch:
            return handled
        handled += batch
    pytest.fail(f"the worker was still busy after {max_rounds} rounds")


async def outbox_rows(*where: Any) -> list[dict[str, Any]]:
    from server.notifications.tables import OutboxMessage

    return list(
        await OutboxMessage.select()
        .where(*where)
        .order_by(OutboxMessage.created_at)
        .output(load_json=True)
    )


async def wait_for_rows(
    condition: Callable[[list[dict[str, Any]]], bool], *where: Any, within: float, what: str
) -> list[dict[str, Any]]:
    """Poll the outbox from async code until `condition(rows)` holds; fail after `within` s."""
    import anyio

    deadline = time.monotonic() + within
    while True:
        rows = await outbox_rows(*where)
        if condition(rows):
            return rows
        if time.monotonic() > deadline:
            summary = [(row["event_key"], row["status"], row["attempts"]) for row in rows]
            pytest.fail(f"timed out after {within} s waiting for {what}; outbox: {summary}")
        await anyio.sleep(0.05)


_logins: dict[Any, dict[str, str]] = {}


async def login(client: Any, world: Any, username: str) -> dict[str, str]:
    """world.login, remembered per user id (each test's world has new ids): Argon2 takes ~0.5 s."""
    key = world.users[username]
    if key not in _logins:
        _logins[key] = await world.login(client, username)
    return _logins[key]


async def patch_as_admin(client: Any, world: Any, path: str, body: dict[str, Any]) -> Any:
    admin = await login(client, world, "admin")
    response = await client.patch(path, json=body, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def set_unit_targets(
    client: Any, world: Any, code: str, targets: list[str], **other: Any
) -> Any:
    return await patch_as_admin(
        client,
        world,
        f"/api/v1/units/{world.units[code]}",
        {"notification_targets": targets, **other},
    )


async def set_user_targets(client: Any, world: Any, username: str, targets: list[str]) -> Any:
    return await patch_as_admin(
        client, world, f"/api/v1/users/{world.users[username]}", {"notification_targets": targets}
    )
