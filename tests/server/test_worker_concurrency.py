"""Issue 13, item 4: the worker delivers concurrently. Several deliveries really are in flight at
once (and no more than SPOTCHECK_WORKER_CONCURRENCY), each message still goes out once with its
event key, a failing target backs off without holding up the others, and targets are parsed once
per URL while the egress guard still checks every send. Real worker, real Apprise, a real local
HTTP receiver (tests/server/peers.py); the kill tests are in test_worker_processes.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import apprise
import pytest
import requests
from piccolo.querystring import QueryString

from server.core import db
from server.core.settings import Settings
from server.notifications import egress, keepalive
from server.notifications import services as notification_service
from server.notifications import targets as notify_targets
from server.notifications.services import Recipient
from server.notifications.tables import DeliveryAttempt, OutboxMessage
from server.notifications.worker import (
    FINISH_STATEMENT_POSTGRES,
    AppriseSender,
    Outcome,
    TargetCache,
    Worker,
    _claim_statement,
)
from tests.conftest import World
from tests.server.peers import (
    HttpPeer,
    drain,
    outbox_rows,
    running_http,
    set_unit_targets,
    wait_for_rows,
)


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    with running_http() as peer:
        yield peer


async def queue(
    unit_id: UUID, prefix: str, count: int, *, now: datetime | None = None
) -> list[str]:
    """`count` events for a unit (one row per target of the unit), as producers queue them."""
    keys = [f"action.verified:{prefix}-{index:02d}:v1" for index in range(count)]
    async with db.write_transaction():
        for key in keys:
            await notification_service.enqueue(
                event_type="action.verified",
                event_key=key,
                recipients=[Recipient(kind="unit", id=unit_id)],
                values={"title": "Niêm yết đủ TTHC", "unit": "Đơn vị C1", "comment": ""},
                link=notification_service.link_to(f"/app/actions/{key}"),
                now=now or datetime.now(UTC),
            )
    return keys


async def run_until(worker: Worker, condition: Any, *where: Any, within: float, what: str) -> None:
    """Run the worker as `spotcheck worker` does until the rows meet `condition`, then stop it."""
    stop = asyncio.Event()

    async def watch() -> None:
        try:
            await wait_for_rows(condition, *where, within=within, what=what)
        finally:
            stop.set()

    await asyncio.gather(worker.run_forever(poll_seconds=0.05, stop=stop), watch())


def all_sent(rows: list[dict[str, Any]]) -> bool:
    return bool(rows) and all(row["status"] == "sent" for row in rows)


async def assert_sent_once(rows: list[dict[str, Any]]) -> None:
    assert {(row["status"], row["attempts"], row["reclaimed_after_lease"]) for row in rows} == {
        ("sent", 1, 0)
    }
    attempts = await DeliveryAttempt.select(
        DeliveryAttempt.message_id, DeliveryAttempt.outcome
    ).where(DeliveryAttempt.message_id.is_in([row["id"] for row in rows]))
    assert sorted(str(a["message_id"]) for a in attempts) == sorted(str(r["id"]) for r in rows)
    assert {attempt["outcome"] for attempt in attempts} == {"sent"}


# --- In flight at once -----------------------------------------------------------------------------


async def test_several_deliveries_are_in_flight_at_once_and_no_more_than_the_concurrency(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    """The receiver holds the first requests until four are in flight at once: a worker that sent
    one message after another would leave the first waiting out the gate's timeout."""
    await set_unit_targets(client, world, "C1", [http_peer.url("/gate")])
    keys = await queue(world.units["C1"], "gate", 12)
    http_peer.mode, http_peer.gate_size, http_peer.gate_timeout_seconds = "gate", 4, 10.0
    worker = Worker(settings, name="overlap", concurrency=4, backoff_base_seconds=0.01)
    await run_until(
        worker,
        all_sent,
        OutboxMessage.event_key.like("action.verified:gate-%"),
        within=60,
        what="every gated row sent",
    )
    assert http_peer.gate_timeouts == 0  # the gate opened on four requests in flight together
    assert http_peer.max_in_flight == 4  # … and never more than the worker's concurrency
    received = Counter(hit.body["event_key"] for hit in http_peer.received())
    assert received == Counter(keys)  # each once
    await assert_sent_once(
        await outbox_rows(OutboxMessage.event_key.like("action.verified:gate-%"))
    )


async def test_each_message_goes_out_once_with_its_own_event_key_and_link(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    # Two targets on one unit, one on another: 3 × 20 rows, 8 in flight at once.
    await set_unit_targets(client, world, "C1", [http_peer.url("/c1-a"), http_peer.url("/c1-b")])
    await set_unit_targets(client, world, "C2", [http_peer.url("/c2")])
    keys = await queue(world.units["C1"], "many-c1", 20) + await queue(
        world.units["C2"], "many-c2", 20
    )
    http_peer.mode, http_peer.slow_seconds = "slow", 0.02
    worker = Worker(settings, name="many", concurrency=8, backoff_base_seconds=0.01)
    await run_until(
        worker,
        all_sent,
        OutboxMessage.event_key.like("action.verified:many-%"),
        within=60,
        what="every row sent",
    )
    hits = http_peer.received()
    by_target = Counter((hit.path, hit.body["event_key"]) for hit in hits)
    expected = [("/c1-a", key) for key in keys[:20]] + [("/c1-b", key) for key in keys[:20]]
    expected += [("/c2", key) for key in keys[20:]]
    assert by_target == Counter(expected)
    base = "http://testserver.local"
    for hit in hits:  # every request carries its own key and link, however many were in flight
        assert hit.headers["x-spotcheck-event-key"] == hit.body["event_key"]
        assert hit.body["url"] == f"{base}/app/actions/{hit.body['event_key']}"
        assert hit.body["event_key"] in hit.body["message"]
    assert 1 < http_peer.max_in_flight <= 8
    await assert_sent_once(
        await outbox_rows(OutboxMessage.event_key.like("action.verified:many-%"))
    )


async def test_a_failing_target_backs_off_without_holding_up_the_others(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    """C2's receiver holds its request and answers 500 only once C1's twenty are sent; its message
    is the oldest, so it is claimed first. C1's twenty go out through the other slots meanwhile (a
    worker that waited on C2's answer first would never send them: the hold would time out), and
    C2's row waits out its backoff."""
    await set_unit_targets(client, world, "C1", [http_peer.url("/ok")])
    await set_unit_targets(client, world, "C2", [http_peer.url("/failing")])
    earlier = datetime.now(UTC) - timedelta(seconds=5)
    (failing_key,) = await queue(world.units["C2"], "failing", 1, now=earlier)
    keys = await queue(world.units["C1"], "others", 20)
    http_peer.path_modes["/failing"] = "held-fail"
    worker = Worker(settings, name="backing-off", concurrency=4)  # the real 30 s backoff base

    def settled(rows: list[dict[str, Any]]) -> bool:
        statuses = {row["event_key"]: row["status"] for row in rows}
        failing_status = statuses.pop(failing_key, None)
        return failing_status == "failed" and set(statuses.values()) == {"sent"}

    async def release_once_the_others_are_sent() -> None:
        await wait_for_rows(
            all_sent,
            OutboxMessage.event_key.like("action.verified:others-%"),
            within=60,
            what="the others sent while the failing target holds its request",
        )
        http_peer.release.set()

    await asyncio.gather(
        run_until(
            worker,
            settled,
            OutboxMessage.event_key.is_in([failing_key, *keys]),
            within=60,
            what="the others sent and the failing row failed",
        ),
        release_once_the_others_are_sent(),
    )
    assert http_peer.hold_timeouts == 0  # answered on release, not after the hold's timeout
    (failing,) = await outbox_rows(OutboxMessage.event_key == failing_key)
    others = await outbox_rows(OutboxMessage.event_key.like("action.verified:others-%"))
    (failed_attempt,) = await DeliveryAttempt.select().where(
        DeliveryAttempt.message_id == failing["id"]
    )
    assert (failing["status"], failing["attempts"], failed_attempt["outcome"]) == (
        "failed",
        1,
        "failed",
    )
    assert "error=500" in failing["last_error"]
    # Every other message was sent while the failing one was still waiting for its answer.
    assert max(row["sent_at"] for row in others) < failed_attempt["at"]
    await assert_sent_once(others)
    # Backed off: 30 s ±20 % after the attempt, and not tried again meanwhile.
    backoff = (failing["next_attempt_at"] - failed_attempt["at"]).total_seconds()
    assert 0.8 * 30 <= backoff <= 1.2 * 30
    paths = Counter(hit.path for hit in http_peer.received())
    assert paths == {"/failing": 1, "/ok": 20}
    assert sorted(hit.body["event_key"] for hit in http_peer.received() if hit.path == "/ok") == (
        sorted(keys)
    )


async def test_sends_run_on_the_workers_own_threads_no_more_than_its_concurrency(
    client, world: World, settings: Settings
) -> None:
    """Kept webhook Sessions live in their delivery thread: the sends of a worker run on a few
    threads of its own, reused from one message to the next, never on the event loop's."""
    await set_unit_targets(client, world, "C1", ["json://hooks.example.vn/threads"])
    keys = await queue(world.units["C1"], "threads", 24)
    loop_thread = threading.current_thread()
    threads: Counter[threading.Thread] = Counter()

    def sender(url: str, subject: str, body: str, event_key: str, link: str | None) -> Any:
        threads[threading.current_thread()] += 1
        time.sleep(0.005)  # long enough for several to be in flight at once
        return True, None

    worker = Worker(settings, name="threads", concurrency=3, sender=sender)
    assert await drain(worker) == len(keys)
    assert sum(threads.values()) == len(keys)
    assert loop_thread not in threads
    assert 1 < len(threads) <= 3
    second = Worker(settings, name="threads-2", concurrency=2, sender=sender)
    await queue(world.units["C1"], "threads-again", 8)
    threads.clear()
    assert await drain(second) == 8
    assert len(threads) <= 2


async def test_a_stopped_worker_leaves_no_delivery_thread_behind(
    client, world: World, settings: Settings
) -> None:
    await set_unit_targets(client, world, "C1", ["json://hooks.example.vn/stopped"])
    keys = await queue(world.units["C1"], "stopped", 6)
    threads: set[threading.Thread] = set()
    sent: list[str] = []
    loop = asyncio.get_running_loop()
    all_sent = asyncio.Event()

    def sender(url: str, subject: str, body: str, event_key: str, link: str | None) -> Any:
        threads.add(threading.current_thread())
        sent.append(event_key)
        if len(sent) == len(keys):
            loop.call_soon_threadsafe(all_sent.set)
        return True, None

    worker = Worker(settings, name="stopped", concurrency=3, sender=sender)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(poll_seconds=0.05, stop=stop))
    await asyncio.wait_for(all_sent.wait(), timeout=30)
    stop.set()
    await asyncio.wait_for(running, timeout=30)

    assert threads
    for thread in threads:  # an idle thread of a pool shut down ends at once
        await asyncio.to_thread(thread.join, 5)
    assert not [thread.name for thread in threads if thread.is_alive()]


async def test_a_slot_is_free_again_once_its_send_returns_not_once_its_outcome_is_written(
    client, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the group commit is held, a worker with two slots goes on claiming and sending: every
    message is sent before the first outcome is written; all are written once the commit goes on,
    and a stop lets the held outcomes be written before the worker returns."""
    await set_unit_targets(client, world, "C1", ["json://hooks.example.vn/slots"])
    keys = await queue(world.units["C1"], "slots", 8)
    sends: list[str] = []
    loop = asyncio.get_running_loop()
    all_sent = asyncio.Event()

    def sender(url: str, subject: str, body: str, event_key: str, link: str | None) -> Any:
        sends.append(event_key)
        if len(sends) == len(keys):
            loop.call_soon_threadsafe(all_sent.set)
        return True, None

    worker = Worker(settings, name="slots", concurrency=2, sender=sender)
    held = asyncio.Event()
    finish = worker._finish

    async def held_finish(outcomes: list[Outcome]) -> None:
        await held.wait()
        await finish(outcomes)

    monkeypatch.setattr(worker, "_finish", held_finish)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(poll_seconds=0.05, stop=stop))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_sent.wait(), timeout=10)
    assert sorted(sends) == sorted(keys)  # all sent while no outcome could be written
    rows = await outbox_rows(OutboxMessage.event_key.like("action.verified:slots-%"))
    assert {row["status"] for row in rows} == {"sending"}
    stop.set()
    held.set()
    await asyncio.wait_for(running, timeout=20)
    await assert_sent_once(
        await outbox_rows(OutboxMessage.event_key.like("action.verified:slots-%"))
    )


# --- Targets parsed once, guarded on every send ----------------------------------------------------


def url_with_event_key(url: str, event_key: str, link: str) -> str:
    """How the event key and link used to be written into a webhook's URL for Apprise to parse."""
    separator = "&" if "?" in url else "?"
    key = quote(event_key, safe="")
    return (
        f"{url}{separator}+X-Spotcheck-Event-Key={key}&:event_key={key}&:url={quote(link, safe='')}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "json://user:pass@hooks.example.vn:8080/a/b?+X-Token=abc&:extra=1&method=PUT",
        "jsons://hooks.example.vn/x",
        "form://hooks.example.vn/f?:message=msg&+X-A=b",
        "forms://user@hooks.example.vn",
        "xml://hooks.example.vn/x?:title=t",
        "xmls://hooks.example.vn/x",
    ],
)
def test_a_webhook_built_from_its_cached_target_is_the_one_its_full_url_gives(url: str) -> None:
    sender = AppriseSender()
    key, link = "action.verified:a+b c/é:v1", "http://x.example/app/actions/1?y=2&z"
    cached = sender.targets.get(url)
    assert cached is not None
    built = cached.plugin_for(key, link)
    parsed = apprise.Apprise.instantiate(url_with_event_key(url, key, link), asset=sender.asset)
    parsed.redirects = False
    assert built.url(privacy=False) == parsed.url(privacy=False)
    assert built.headers == parsed.headers
    assert built.payload_extras == parsed.payload_extras
    assert getattr(built, "payload_map", None) == getattr(parsed, "payload_map", None)
    assert built.redirects is False


def test_the_target_cache_keeps_the_most_recently_used_targets() -> None:
    cache = TargetCache(apprise.AppriseAsset(), size=2)
    a, b, c = (f"json://hooks.example.vn/{name}" for name in "abc")
    for url in (a, b, a, a, c):  # c pushes out b, the least recently used
        assert cache.get(url) is not None
    assert (len(cache), cache.parsed) == (2, 3)
    cache.get(a)
    assert cache.parsed == 3
    cache.get(b)
    assert (len(cache), cache.parsed) == (2, 4)
    assert cache.get("json://") is None  # not a target Apprise can use: remembered as such
    assert cache.get("json://") is None and cache.parsed == 5


async def test_each_target_is_parsed_once_however_many_messages_it_gets(
    client, world: World, settings: Settings, http_peer: HttpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_unit_targets(client, world, "C1", [http_peer.url("/a"), http_peer.url("/b")])
    await set_unit_targets(client, world, "C2", [http_peer.url("/c", secret="s3cret")])
    keys = await queue(world.units["C1"], "cached-c1", 10) + await queue(
        world.units["C2"], "cached-c2", 10
    )
    instantiated: list[Any] = []
    real_instantiate = apprise.Apprise.instantiate

    def counting(url: Any, *args: Any, **kwargs: Any) -> Any:
        instantiated.append(url)
        return real_instantiate(url, *args, **kwargs)

    monkeypatch.setattr(apprise.Apprise, "instantiate", staticmethod(counting))
    worker = Worker(settings, name="caching", concurrency=8, backoff_base_seconds=0.01)
    assert isinstance(worker.sender, AppriseSender)
    assert await drain(worker) == 30
    assert len(instantiated) == 3  # one per target URL, not one per message
    assert worker.sender.targets.parsed == 3
    assert Counter((hit.path, hit.body["event_key"]) for hit in http_peer.received()) == Counter(
        [("/a", key) for key in keys[:10]]
        + [("/b", key) for key in keys[:10]]
        + [("/c", key) for key in keys[10:]]
    )
    assert {hit.headers.get("x-token") for hit in http_peer.received() if hit.path == "/c"} == {
        "s3cret"
    }
    # More messages to the same targets (queueing masks each target: not counted): still parsed
    # once each.
    await queue(world.units["C1"], "cached-again", 5)
    instantiated.clear()
    assert await drain(worker) == 10
    assert (len(instantiated), worker.sender.targets.parsed) == (0, 3)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_cached_target_is_checked_by_the_egress_guard_on_every_send(
    client,
    world: World,
    settings: Settings,
    http_peer: HttpPeer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the cache keeps is a URL's parsed form, never a decision about where it may connect:
    a name that resolves inside after its target was cached is refused when it is sent to."""
    lookups: list[tuple[str, bool]] = []  # (name, under a delivery's guard)
    dns: dict[str, str | None] = {"hooks.rebind.example": None}  # None: does not resolve (yet)
    egress.install()
    system_getaddrinfo = egress._system_getaddrinfo

    def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append((str(host), egress._policy.get() is not None))
        if host in dns:
            if dns[host] is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = dns[host]
        return system_getaddrinfo(host, port, *args, **kwargs)

    def save_time_lookup(host: str, port: int | None) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(notify_targets, "_lookup", save_time_lookup)  # accepted when saved
    named = f"json://localhost:{http_peer.port}/named"  # on the tests' allow-list
    rebinding = f"json://hooks.rebind.example:{http_peer.port}/rebound"
    await set_unit_targets(client, world, "C1", [named])
    await set_unit_targets(client, world, "C2", [rebinding])
    monkeypatch.setattr(egress, "_system_getaddrinfo", resolver)
    clock = Clock()
    worker = Worker(settings, name="guarded", concurrency=4, clock=clock)  # 30 s backoff
    assert isinstance(worker.sender, AppriseSender)

    # Five messages to an allowed, cached target: one guarded lookup for each send.
    await queue(world.units["C1"], "named", 5, now=clock.now)
    assert await drain(worker) == 5
    assert lookups.count(("localhost", True)) == 5
    assert [hit.path for hit in http_peer.received()] == ["/named"] * 5

    # The rebinding name does not resolve yet: a connection error, not a refusal. Its target is
    # cached now.
    (key,) = await queue(world.units["C2"], "rebind", 1, now=clock.now)
    assert await drain(worker) == 1
    (row,) = await outbox_rows(OutboxMessage.event_key == key)
    assert row["status"] == "failed" and not row["last_error"].startswith("refused")
    assert worker.sender.targets.parsed == 2

    # It resolves inside by the retry: the cached target is refused at send time.
    dns["hooks.rebind.example"] = "127.0.0.1"
    clock.now = row["next_attempt_at"] + timedelta(seconds=1)
    assert await drain(worker) == 1
    (row,) = await outbox_rows(OutboxMessage.event_key == key)
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert row["last_error"].startswith(
        "refused: hooks.rebind.example resolves to 127.0.0.1, a non-public address (loopback)"
    )
    assert worker.sender.targets.parsed == 2  # still the cached target, checked anew
    assert lookups.count(("hooks.rebind.example", True)) == 2
    assert all(guarded for _name, guarded in lookups)
    assert [hit.path for hit in http_peer.received()] == ["/named"] * 5  # nothing reached inside


async def test_a_webhook_keeps_its_connections_and_the_guard_checks_each_one_it_opens(
    client,
    world: World,
    settings: Settings,
    http_peer: HttpPeer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A receiver that keeps connections alive gets many messages over few connections, each
    message once with its own key; every connection was opened under a delivery's guard (one
    guarded lookup per connection the receiver accepted)."""
    lookups: list[tuple[str, bool]] = []
    egress.install()
    system_getaddrinfo = egress._system_getaddrinfo

    def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append((str(host), egress._policy.get() is not None))
        return system_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(egress, "_system_getaddrinfo", resolver)
    http_peer.keep_alive = True
    await set_unit_targets(client, world, "C1", [f"json://localhost:{http_peer.port}/kept"])
    keys = await queue(world.units["C1"], "kept", 30)
    worker = Worker(settings, name="keeping", concurrency=2)
    assert isinstance(worker.sender, AppriseSender)
    assert await drain(worker) == 30
    assert Counter(hit.body["event_key"] for hit in http_peer.received()) == Counter(keys)
    for hit in http_peer.received():
        assert hit.headers["x-spotcheck-event-key"] == hit.body["event_key"]
    await assert_sent_once(
        await outbox_rows(OutboxMessage.event_key.like("action.verified:kept-%"))
    )
    opened = http_peer.connections
    assert 1 <= opened < 30  # kept alive: far fewer connections than messages
    assert worker.sender.sessions.opened <= opened
    assert lookups.count(("localhost", True)) == opened  # each connection checked when opened
    assert all(guarded for _name, guarded in lookups)


def test_kept_sessions_are_per_thread_and_dropped_after_a_failure_or_when_idle() -> None:
    sessions = keepalive.KeptSessions(size=2, idle_seconds=3600)
    a, b, c = (f"json://hooks.example.vn/{name}" for name in "abc")
    with sessions.session(a) as first:
        pass
    with sessions.session(a) as again:
        assert again is first  # kept for the next message to the same target
    with sessions.session(a) as failed:
        sessions.drop()  # the delivery failed: its retry connects afresh
    assert failed is first
    with sessions.session(a) as after_failure:
        assert after_failure is not first
    with pytest.raises(RuntimeError), sessions.session(a) as raised:
        raise RuntimeError("the send raised")
    with sessions.session(a) as after_raise:
        assert after_raise is not raised
    with sessions.session(b), sessions.session(c):
        pass  # a, b, c: beyond the size, the least recently used (a) is closed
    with sessions.session(a) as newest:
        assert newest is not after_raise
    other_thread: list[Any] = []

    def in_another_thread() -> None:
        with sessions.session(a) as session:
            other_thread.append(session)

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()
    assert other_thread[0] is not newest  # never shared between threads
    idle = keepalive.KeptSessions(idle_seconds=0)
    with idle.session(a) as before:
        pass
    time.sleep(0.01)
    with idle.session(a) as later:
        assert later is not before  # idle too long: the server may be closing it
    assert sessions.opened == 7 and idle.opened == 2


def test_a_kept_session_sends_no_cookie_a_webhook_set() -> None:
    """Each message goes out as it did on a Session of its own: a cookie set by the receiver's
    answer is not sent back with the next one."""
    with running_http() as peer:
        peer.answer_headers["Set-Cookie"] = "tracker=1; Path=/"
        url = f"http://127.0.0.1:{peer.port}/hook"
        sessions = keepalive.KeptSessions()
        for _ in range(2):
            with sessions.session(url) as session:
                session.post(url, data=b"{}", timeout=5)
        seen = [hit.headers.get("cookie") for hit in peer.received()]
    assert sessions.opened == 1  # the same Session both times
    assert seen == [None, None]


def test_a_kept_session_finds_what_requests_finds_in_the_environment_read_once_when_made(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy variables and ~/.netrc count as they do for `requests.request` (what Apprise
    sends with when no Session is kept), read once per Session: a kept Session goes on as it
    began, the next Session made reads the environment anew."""
    with running_http() as peer:
        url = f"http://127.0.0.1:{peer.port}/hook"
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login hook password s3cret\n")
        netrc.chmod(0o600)
        for name in ("HTTP_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        # The receiver is its own proxy: a proxied request names the whole URL in its request
        # line, a direct one only its path.
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{peer.port}")
        monkeypatch.setenv("NETRC", str(netrc))
        sessions = keepalive.KeptSessions(idle_seconds=3600)

        def through_a_kept_session() -> None:
            with sessions.session(url) as session:
                session.request(method="POST", url=url, data=b"{}", timeout=5)

        requests.request("POST", url, data=b"{}", timeout=5)
        through_a_kept_session()
        monkeypatch.delenv("http_proxy")
        monkeypatch.delenv("NETRC")
        requests.request("POST", url, data=b"{}", timeout=5)
        through_a_kept_session()  # the same Session, made before the change
        with sessions.session(url):
            sessions.drop()  # as after a failed delivery: the next message gets a new Session
        through_a_kept_session()
        seen = [(hit.path, hit.headers.get("authorization")) for hit in peer.received()]
    proxied_with_netrc = (url, "Basic aG9vazpzM2NyZXQ=")  # hook:s3cret
    direct_without = ("/hook", None)
    assert seen == [
        proxied_with_netrc,  # requests.request
        proxied_with_netrc,  # a kept Session, the same
        direct_without,  # requests.request after the change
        proxied_with_netrc,  # the kept Session read the environment when it was made
        direct_without,  # a new Session reads it anew
    ]
    assert sessions.opened == 2


def test_a_kept_session_chooses_its_connection_pool_as_requests_does(tmp_path: Any) -> None:
    """A CA bundle given as a file or a directory (REQUESTS_CA_BUNDLE) leads to the same pool
    settings as a fresh adapter's, however the values alternate on one Session."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("")
    kept = keepalive.TargetSession()
    for url in ("https://hooks.example.vn/a", "http://hooks.example.vn:8080/b"):
        prepared = requests.Request("POST", url).prepare()
        for verify in (True, str(bundle), str(tmp_path), False, str(bundle)):
            assert kept.get_adapter(url).build_connection_pool_key_attributes(
                prepared, verify
            ) == requests.adapters.HTTPAdapter().build_connection_pool_key_attributes(
                prepared, verify
            )


async def test_a_group_commit_writes_all_of_it_or_nothing(client, world: World) -> None:
    """The attempts and the settled rows of a group commit are one write (one statement on
    PostgreSQL, one transaction on SQLite): when one part fails, none of it is kept."""
    message_id = uuid4()
    recorded = QueryString(
        "INSERT INTO notification_attempt (id, message_id, attempt, worker, outcome, error, at) "
        "VALUES ({}, {}, 1, 'w', 'sent', NULL, {})",
        uuid4(),
        message_id,
        datetime.now(UTC),
    )
    refused = QueryString(  # the worker's name may not be NULL
        "INSERT INTO notification_attempt (id, message_id, attempt, worker, outcome, error, at) "
        "VALUES ({}, {}, 1, NULL, 'sent', NULL, {})",
        uuid4(),
        message_id,
        datetime.now(UTC),
    )
    with pytest.raises(Exception, match=r"(?i)null"):
        await db.write_at_once(recorded, refused)
    assert not await DeliveryAttempt.exists().where(DeliveryAttempt.message_id == message_id)
    await db.write_at_once(recorded)
    assert await DeliveryAttempt.count().where(DeliveryAttempt.message_id == message_id) == 1


async def test_a_group_commit_settles_each_row_by_its_outcome_and_only_under_its_claim(
    client, world: World, settings: Settings
) -> None:
    """One group commit of five outcomes: sent (an earlier error cleared), failed (backed off),
    dead (its last attempt), and two whose rows were taken over meanwhile (by another worker, and
    by this one under a later attempt): every attempt is recorded, those two rows are left as the
    claim that holds them now has them."""
    await set_unit_targets(client, world, "C1", ["json://hooks.example.vn/finish"])
    now = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    keys = await queue(world.units["C1"], "finish", 5, now=now - timedelta(minutes=1))
    await OutboxMessage.update({OutboxMessage.last_error: "an earlier failure"}).where(
        OutboxMessage.event_key == keys[0]
    )
    worker = Worker(
        settings, name="finisher", concurrency=8, backoff_base_seconds=10, clock=lambda: now
    )
    rows = {row["event_key"]: row for row in await worker.claim()}
    assert sorted(rows) == keys
    rows[keys[2]]["max_attempts"] = 1  # this was its last attempt
    for key, leased_by in ((keys[3], "another-worker"), (keys[4], "finisher")):
        await OutboxMessage.update(
            {OutboxMessage.leased_by: leased_by, OutboxMessage.attempts: 2}
        ).where(OutboxMessage.event_key == key)
    loop = asyncio.get_running_loop()
    results = [
        (True, None),
        (False, "Webhook error=500"),
        (False, "refused: the last one"),
        (True, None),
        (False, "too late"),
    ]
    await worker._finish(
        [
            Outcome(rows[key], delivered, error, loop.create_future())
            for key, (delivered, error) in zip(keys, results, strict=True)
        ]
    )
    after = {
        row["event_key"]: row for row in await outbox_rows(OutboxMessage.event_key.is_in(keys))
    }
    lease = rows[keys[0]]["lease_until"]

    def state(key: str) -> tuple[Any, ...]:
        row = after[key]
        return (row["status"], row["attempts"], row["leased_by"], row["last_error"], row["sent_at"])

    assert state(keys[0]) == ("sent", 1, "finisher", None, now)
    assert state(keys[1]) == ("failed", 1, "finisher", "Webhook error=500", None)
    assert state(keys[2]) == ("dead", 1, "finisher", "refused: the last one", None)
    assert state(keys[3]) == ("sending", 2, "another-worker", None, None)
    assert state(keys[4]) == ("sending", 2, "finisher", None, None)
    for key in keys[:3]:
        assert (after[key]["lease_until"], after[key]["updated_at"]) == (None, now)
    for key in keys[3:]:
        assert (after[key]["lease_until"], after[key]["updated_at"]) == (lease, now)
    backoff = (after[keys[1]]["next_attempt_at"] - now).total_seconds()
    assert 0.8 * 10 <= backoff <= 1.2 * 10
    for key in (keys[0], keys[2], *keys[3:]):  # untouched where not failed
        assert after[key]["next_attempt_at"] == now - timedelta(minutes=1)
    attempts = await DeliveryAttempt.select().where(
        DeliveryAttempt.message_id.is_in([row["id"] for row in rows.values()])
    )
    by_message = {attempt["message_id"]: attempt for attempt in attempts}
    assert len(attempts) == 5
    for key, (delivered, error) in zip(keys, results, strict=True):
        attempt = by_message[rows[key]["id"]]
        assert (attempt["attempt"], attempt["worker"], attempt["outcome"], attempt["error"]) == (
            1,
            "finisher",
            "sent" if delivered else "failed",
            error,
        )
        assert attempt["at"] == now


def _outbox_row(
    event_key: str,
    status: str,
    due: datetime,
    *,
    target: str,
    created_at: datetime,
    lease_until: datetime | None = None,
) -> OutboxMessage:
    """A message to `target` written straight into the outbox in `status`, due at `due` (tried
    once unless pending; leased to "earlier" while `lease_until` is given)."""
    return OutboxMessage(
        id=uuid4(),
        event_key=event_key,
        event_type="action.verified",
        recipient_kind="oversight",
        target_url=target,
        target_masked=target,
        target_sha256="0" * 64,
        language="vi",
        subject="s",
        body="b",
        status=status,
        attempts=0 if status == "pending" else 1,
        next_attempt_at=due,
        lease_until=lease_until,
        leased_by="earlier" if lease_until else None,
        created_at=created_at,
        updated_at=created_at,
    )


async def _outbox_burst(pending: int, sent: int, now: datetime, prefix: str = "burst") -> None:
    """`pending` rows due at `now` and `sent` rows due earlier, inserted 500 at a time."""
    for count, status, due in ((sent, "sent", now - timedelta(hours=1)), (pending, "pending", now)):
        for start in range(0, count, 500):
            await OutboxMessage.insert(
                *[
                    _outbox_row(
                        f"{prefix}-{status}-{index}",
                        status,
                        due,
                        target="json://hooks.example.vn/burst",
                        created_at=due,
                    )
                    for index in range(start, min(count, start + 500))
                ]
            )


class _RolledBack(Exception):
    pass


async def _plan_rolled_back(statement: QueryString) -> dict[str, Any]:
    """What EXPLAIN ANALYZE says of a statement run in a transaction that is rolled back."""
    try:
        async with db.write_transaction():
            (row,) = await db.engine().run_querystring(statement)
            raise _RolledBack(row["QUERY PLAN"])
    except _RolledBack as rolled_back:
        (found,) = rolled_back.args
    return dict((json.loads(found) if isinstance(found, str) else found)[0]["Plan"])


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.postgres_only
async def test_a_claim_walks_the_rows_still_to_send_in_due_order_and_stops_at_its_batch(
    client, world: World, settings: Settings
) -> None:
    """With 2,000 rows to send behind 2,000 sent ones, a claim of four reads the due index from its
    start and stops after four: no sort of every row still to send, no walk past the sent ones.
    (With statistics that know of the burst, as here; with none, PostgreSQL may still read and
    sort every row to send, as the status index had it do.)"""
    now = datetime.now(UTC)
    await _outbox_burst(2000, 2000, now)
    worker = Worker(settings, name="walker", concurrency=4)
    statement = QueryString(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + _claim_statement(db.skip_locked_clause()),
        now,
        now,
        4,
        now + worker.lease,
        worker.name,
        now,
    )
    await db.engine().run_ddl("ANALYZE notification_outbox")
    plan = await _plan_rolled_back(statement)

    scans = [
        node
        for node in _plan_nodes(plan)
        if node.get("Relation Name") == "notification_outbox" and "Scan" in node["Node Type"]
    ]
    choice = [node for node in scans if node.get("Index Name") != "notification_outbox_pkey"]
    assert [(node["Node Type"], node.get("Index Name")) for node in choice] == [
        ("Index Scan", "notification_outbox_due")
    ]
    assert choice[0]["Actual Rows"] == 4
    assert not [node for node in _plan_nodes(plan) if node["Node Type"] == "Sort"]


@pytest.mark.postgres_only
async def test_a_group_commit_finds_its_rows_by_their_key(
    client, world: World, settings: Settings
) -> None:
    """A group commit on PostgreSQL reads the outbox by primary key only: after a burst of 2,000
    rows leased and sent (each leaving a dead 'sending' version behind until vacuum), settling
    four rows reads four, not the status index's entries for every row ever leased."""
    now = datetime.now(UTC)
    await _outbox_burst(2000, 0, now)
    worker = Worker(settings, name="settler", concurrency=16, clock=lambda: now)
    while claimed := await worker.claim():  # leased and settled as a run of the worker does
        await worker._finish(
            [
                Outcome(row, True, None, asyncio.get_running_loop().create_future())
                for row in claimed
            ]
        )
    await _outbox_burst(4, 0, now + timedelta(seconds=1), prefix="after")
    later = now + timedelta(seconds=2)
    worker.clock = lambda: later
    rows = await worker.claim()
    assert len(rows) == 4
    statement = QueryString(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + FINISH_STATEMENT_POSTGRES,
        [uuid4() for _ in rows],
        [row["id"] for row in rows],
        [row["attempts"] for row in rows],
        ["sent"] * 4,
        [None] * 4,
        [None] * 4,
        worker.name,
        later,
        later,
        later,
        worker.name,
    )
    plan = await _plan_rolled_back(statement)
    scans = [
        (node["Node Type"], node.get("Index Name"), node["Actual Rows"])
        for node in _plan_nodes(plan)
        if node.get("Relation Name") == "notification_outbox" and "Scan" in node["Node Type"]
    ]
    assert scans == [("Index Scan", "notification_outbox_pkey", 1)]


async def test_a_claim_takes_due_rows_and_expired_leases_and_leaves_the_rest(
    client, world: World, settings: Settings
) -> None:
    """Due pending and failed rows, and rows whose lease ran out, in the order they fell due; not a
    row backing off, leased to a worker still within its lease, sent or dead."""
    now = datetime.now(UTC)
    cases = {
        "pending-due": ("pending", now - timedelta(seconds=30), None),
        "failed-due": ("failed", now - timedelta(seconds=20), None),
        "lease-expired": ("sending", now - timedelta(seconds=200), now - timedelta(seconds=1)),
        "pending-later": ("pending", now + timedelta(seconds=5), None),
        "failed-backing-off": ("failed", now + timedelta(seconds=30), None),
        "lease-running": ("sending", now - timedelta(seconds=10), now + timedelta(seconds=100)),
        "sent": ("sent", now - timedelta(seconds=40), None),
        "dead": ("dead", now - timedelta(seconds=40), None),
    }
    await OutboxMessage.insert(
        *[
            _outbox_row(
                key,
                status,
                due,
                target="json://hooks.example.vn/claim",
                created_at=now,
                lease_until=lease,
            )
            for key, (status, due, lease) in cases.items()
        ]
    )
    worker = Worker(settings, name="chooser", concurrency=8, clock=lambda: now)
    claimed = await worker.claim()
    assert [row["event_key"] for row in claimed] == ["lease-expired", "pending-due", "failed-due"]
    assert [row["reclaimed_after_lease"] for row in claimed] == [1, 0, 0]
    assert {row["leased_by"] for row in claimed} == {"chooser"}
    assert await worker.claim() == []
