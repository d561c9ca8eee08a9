"""Issue 11, item 6: notification targets cannot reach inside. Saving refuses (422) hosts that are
private, loopback, link-local, multicast or otherwise non-public, in any spelling, and names that
resolve to them; only documented schemes are taken; the operator's allow-list admits chosen local
receivers; and the worker checks again on the lookup it connects with (DNS rebinding)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from server.core import db
from server.core.errors import InvalidInput
from server.core.settings import Settings
from server.notifications import egress
from server.notifications import services as notification_service
from server.notifications import targets as notify_targets
from server.notifications.services import Recipient
from server.notifications.tables import OutboxMessage
from server.notifications.worker import Worker
from server.units.tables import Unit
from tests.conftest import World, problem_detail
from tests.server.peers import HttpPeer, drain, login, outbox_rows, running_http, set_unit_targets

SECRET = "s3cret-hook-token"

INSIDE_TARGETS = [
    "json://2130706433/hook",  # 127.0.0.1 as one decimal number
    "json://0x7f000001/hook",  # … in hex
    "json://017700000001/hook",  # … in octal
    "json://[::ffff:127.0.0.1]/hook",  # … mapped into IPv6
    "json://[::1]/hook",
    "json://0.0.0.0/hook",
    "jsons://169.254.169.254/latest/meta-data",  # the cloud metadata service
    "form://10.1.2.3/hook",
    "xml://172.16.0.1/hook",
    "json://192.168.1.10:8080/hook",
    "json://100.64.0.1/hook",  # carrier-grade NAT
    "json://[fc00::1]/hook",
    "json://[fe80::1]/hook",
    "json://224.0.0.1/hook",  # multicast
    "json://240.0.0.1/hook",  # reserved
    "json://255.255.255.255/hook",  # broadcast
    "json://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
    "json://localhost/hook",
    "json://LocalHost./hook",
    "json://api.localhost/hook",
    "mailto://user:pass@mail.example.vn?smtp=127.0.0.1",  # the SMTP server is the host
    "mailtos://user:pass@mail.example.vn?smtp=[::1]",
    "ntfy://10.0.0.7/alerts",
    "gotifys://192.168.0.2/token",
    "matrix://user:pass@10.0.0.8/#room",
]


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    with running_http() as peer:
        yield peer


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names → addresses, for save-time lookups; unknown names do not resolve."""
    answers: dict[str, str] = {}

    def lookup(host: str, port: int | None) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [answers[host]]

    monkeypatch.setattr(notify_targets, "_lookup", lookup)
    return answers


async def refusal(urls: list[str], allowed: list[str] | None = None) -> str:
    with pytest.raises(InvalidInput) as raised:
        await notify_targets.validate_targets(
            urls, field="notification_targets", allowed_hosts=allowed or []
        )
    return str(raised.value.detail)


# --- Saving ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", INSIDE_TARGETS)
async def test_targets_inside_are_refused_in_any_spelling(url: str, fake_dns) -> None:
    detail = await refusal([url])
    assert detail.startswith("notification_targets[0]: the host ")
    assert "non-public address" in detail and "SPOTCHECK_NOTIFY_ALLOWED_HOSTS" in detail
    assert "pass" not in detail  # the URL's secrets are never echoed


async def test_names_that_resolve_inside_are_refused_and_unresolvable_names_accepted(
    fake_dns: dict[str, str],
) -> None:
    fake_dns["intranet.example.vn"] = "10.20.30.40"
    fake_dns["hooks.example.vn"] = "93.184.216.34"
    detail = await refusal(["json://hooks.example.vn/ok", "json://intranet.example.vn/hook"])
    assert detail.startswith("notification_targets[1]: intranet.example.vn resolves to 10.20.30.40")
    assert "(private)" in detail
    # A public name, and one that does not resolve now: kept (the worker checks when it sends).
    kept = ["json://hooks.example.vn/ok", "jsons://not-yet-in-dns.example.vn/hook"]
    assert await notify_targets.validate_targets(kept, field="t", allowed_hosts=[]) == kept


async def test_a_slow_lookup_does_not_hold_the_save(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()

    def hanging_lookup(host: str, port: int | None) -> list[str]:
        released.wait(10)
        return ["127.0.0.1"]

    monkeypatch.setattr(notify_targets, "_lookup", hanging_lookup)
    monkeypatch.setattr(notify_targets, "RESOLVE_TIMEOUT_SECONDS", 0.2)
    try:
        url = "json://slow-dns.example.vn/hook"
        assert await notify_targets.validate_targets([url], field="t", allowed_hosts=[]) == [url]
    finally:
        released.set()


@pytest.mark.parametrize(
    "url",
    [
        "https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
        "windows://",
        "syslog://",
        "mqtt://broker.example.vn/topic",
        "hooks.example.vn/no-scheme",
    ],
)
async def test_only_documented_schemes_are_accepted(url: str) -> None:
    detail = await refusal([url])
    assert "is not accepted for notification targets; use one of mailto, mailtos, json" in detail


async def test_services_with_their_own_public_host_need_no_host_check(fake_dns) -> None:
    urls = [
        "tgram://123456789:AAHxyz-secret/12345",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
        "ntfy://spotcheck-alerts",  # ntfy.sh
        "json://93.184.216.34/hook",  # a public address, written as one
    ]
    assert await notify_targets.validate_targets(urls, field="t", allowed_hosts=[]) == urls


async def test_the_allow_list_admits_exactly_the_hosts_and_ports_listed(fake_dns) -> None:
    async def admitted(url: str, allowed: list[str]) -> bool:
        try:
            await notify_targets.validate_targets([url], field="t", allowed_hosts=allowed)
        except InvalidInput:
            return False
        return True

    assert await admitted("json://localhost:8765/hook", ["localhost"])  # any port
    assert await admitted("json://LOCALHOST/hook", ["localhost."])  # compared normalised
    assert not await admitted("json://0x7f000001/hook", ["localhost"])  # by name, not address
    assert not await admitted("json://127.0.0.1/hook", ["localhost"])
    assert await admitted("json://127.0.0.1:8080/hook", ["127.0.0.1:8080"])
    assert not await admitted("json://127.0.0.1:8081/hook", ["127.0.0.1:8080"])
    assert await admitted("json://127.0.0.1/hook", ["127.0.0.1:80"])  # json's default port
    assert await admitted("json://[::1]:9000/hook", ["[::1]:9000"])
    assert not await admitted("json://localhost:8765/hook", ["localhost:http"])  # not "any port"
    assert await admitted("mailto://u:p@mail.example.vn?smtp=10.0.0.25", ["10.0.0.25"])


async def test_the_api_refuses_an_inside_target_and_changes_nothing(
    client, world: World, fake_dns
) -> None:
    await set_unit_targets(client, world, "C1", ["json://127.0.0.1:9/kept"])  # allowed in tests
    admin = await login(client, world, "admin")
    for path in (f"/api/v1/units/{world.units['C1']}", f"/api/v1/users/{world.users['head_c1']}"):
        response = await client.patch(
            path,
            json={"notification_targets": [f"json://hook:{SECRET}@169.254.169.254/latest"]},
            headers=admin,
        )
        assert response.status_code == 422, response.text
        detail = problem_detail(response)
        assert "169.254.169.254 is a non-public address (link-local)" in detail
        assert SECRET not in response.text
    unit = (
        await Unit.select(Unit.notification_targets)
        .where(Unit.id == world.units["C1"])
        .first()
        .output(load_json=True)
    )
    assert unit is not None and unit["notification_targets"] == ["json://127.0.0.1:9/kept"]


# --- Sending -------------------------------------------------------------------------------------


async def queue_to_unit(unit_id: Any, event_key: str) -> None:
    async with db.write_transaction():
        await notification_service.enqueue(
            event_type="action.verified",
            event_key=event_key,
            recipients=[Recipient(kind="unit", id=unit_id)],
            values={"title": "x", "unit": "y", "comment": ""},
            link=None,
            now=datetime.now(UTC),
        )


async def test_without_the_allow_list_the_local_receiver_is_refused_and_the_worker_goes_on(
    client, world: World, settings: Settings, http_peer: HttpPeer
) -> None:
    by_address = http_peer.url("/by-address", secret=SECRET)  # json://…@127.0.0.1:port/…
    by_name = f"json://localhost:{http_peer.port}/by-name"
    # The tests' settings allow both (as `make run` does); without that, saving refuses them.
    await set_unit_targets(client, world, "C1", [by_address, by_name])
    for url in (by_address, by_name):
        assert "non-public address (loopback)" in await refusal([url])

    # A worker that allows only `localhost`: the name goes out, the bare address does not.
    await queue_to_unit(world.units["C1"], "action.verified:guarded:v1")
    only_localhost = settings.model_copy(update={"notify_allowed_hosts": ["localhost"]})
    await drain(Worker(only_localhost, name="guarded-worker", backoff_base_seconds=0.01))
    assert [hit.path for hit in http_peer.received()] == ["/by-name"]
    rows = {row["target_masked"].rsplit("/", 1)[1]: row for row in await outbox_rows()}
    assert rows["by-name"]["status"] == "sent"
    refused = rows["by-address"]
    assert refused["status"] in ("failed", "dead") and refused["sent_at"] is None
    assert refused["last_error"].startswith("refused: 127.0.0.1 is a non-public address (loopback)")
    assert SECRET not in refused["last_error"]


async def test_a_name_that_now_resolves_inside_is_refused_when_sending(
    client,
    world: World,
    settings: Settings,
    http_peer: HttpPeer,
    fake_dns: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: public when saved, 127.0.0.1 when the worker connects."""
    fake_dns["hooks.rebind.example"] = "93.184.216.34"
    target = f"json://hooks.rebind.example:{http_peer.port}/rebound"
    await set_unit_targets(client, world, "C1", [target])

    egress.install()
    system_getaddrinfo = egress._system_getaddrinfo

    def rebinding_dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.rebind.example":
            host = "127.0.0.1"
        return system_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(egress, "_system_getaddrinfo", rebinding_dns)
    await queue_to_unit(world.units["C1"], "action.verified:rebind:v1")
    worker = Worker(settings, name="rebind-worker", backoff_base_seconds=0.01)
    await drain(worker)
    assert http_peer.received() == []
    (row,) = await outbox_rows(OutboxMessage.event_key == "action.verified:rebind:v1")
    assert row["status"] in ("failed", "dead")
    assert "hooks.rebind.example resolves to 127.0.0.1, a non-public address" in row["last_error"]

    # Control: once the operator allows that name, the same lookup reaches the receiver.
    trusting = settings.model_copy(update={"notify_allowed_hosts": ["hooks.rebind.example"]})
    await notification_service.requeue(message_id=row["id"], principal=None)
    await drain(Worker(trusting, name="trusting-worker", backoff_base_seconds=0.01))
    assert [hit.path for hit in http_peer.received()] == ["/rebound"]


async def test_a_stored_target_of_a_scheme_no_longer_accepted_is_not_sent(
    client, world: World, settings: Settings
) -> None:
    # Saved before the list of schemes existed (written straight to the table).
    await Unit.update({Unit.notification_targets: ["syslog://"]}).where(
        Unit.id == world.units["C1"]
    )
    await queue_to_unit(world.units["C1"], "action.verified:old-scheme:v1")
    await drain(Worker(settings, name="scheme-worker", backoff_base_seconds=0.01))
    (row,) = await outbox_rows()
    assert row["status"] in ("failed", "dead")
    assert row["last_error"].startswith("refused: the scheme 'syslog' is not accepted")
