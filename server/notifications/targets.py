"""Validating, masking and guarding Apprise notification URLs. They carry secrets: never log or
return them.

A target may not reach inside: only the schemes of :data:`ACCEPTED_SCHEMES` are taken, and a
target whose host the admin chooses (an SMTP server, a webhook, a self-hosted ntfy, Gotify or
Matrix) is refused when that host is a private, loopback, link-local, multicast or otherwise
non-public address, in any spelling (``127.1``, ``2130706433``, ``0x7f000001``,
``[::ffff:127.0.0.1]`` …), or a name that resolves to one (``localhost``, ``*.localhost``). The
operator's allow-list (``SPOTCHECK_NOTIFY_ALLOWED_HOSTS``: ``host`` or ``host:port`` entries)
admits local receivers they want. The worker checks again, at the moment it connects
(``server.notifications.egress``): a name may resolve elsewhere by then.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import apprise
from apprise.plugins.email import NotifyEmail

from server.core.errors import InvalidInput

# Schemes whose host the admin writes into the URL: that host is checked.
HOST_CHECKED_SCHEMES = (
    "mailto",
    "mailtos",
    "json",
    "jsons",
    "form",
    "forms",
    "xml",
    "xmls",
    "ntfy",
    "ntfys",
    "gotify",
    "gotifys",
    "matrix",
    "matrixs",
)
# Schemes whose plugin always talks to the service's own public host (Telegram's
# api.telegram.org, Slack, Discord, Microsoft Teams' webhook.office.com): nothing to check.
FIXED_HOST_SCHEMES = ("tgram", "slack", "discord", "msteams")
ACCEPTED_SCHEMES = HOST_CHECKED_SCHEMES + FIXED_HOST_SCHEMES
# Save-time lookups are bounded: a name that does not resolve in time is accepted, and the
# worker checks it when it sends.
RESOLVE_TIMEOUT_SECONDS = 2.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NUMERIC_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")
_SHARED_IPV4 = ipaddress.IPv4Network("100.64.0.0/10")
_BROADCAST_IPV4 = ipaddress.IPv4Address("255.255.255.255")
_ALLOW_HINT = (
    "notifications may only go to public addresses (an operator can allow a local receiver "
    "with SPOTCHECK_NOTIFY_ALLOWED_HOSTS)"
)


class _Config:
    """Set once by create_app, the CLI and the worker (through notifications' ``configure``)."""

    allowed_hosts: tuple[str, ...] = ()


def configure(allowed_hosts: Iterable[str]) -> None:
    _Config.allowed_hosts = tuple(allowed_hosts)


# --- Addresses -----------------------------------------------------------------------------------


def normalise_host(host: str) -> str:
    """Lower case, no brackets, no trailing dot, IDNA for names, canonical text for IP addresses:
    the form in which hosts are compared with the allow-list."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def literal_address(host: str) -> Address | None:
    """The address a host written as an IP literal stands for, in any spelling the C resolver
    accepts (``127.1``, ``2130706433``, ``0x7f000001``, ``017700000001``, ``[::1]``,
    ``fe80::1%eth0``)."""
    text = host.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_IPV4.fullmatch(text) and any(char.isdigit() for char in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def non_public_reason(address: Address) -> str | None:
    """Why notifications may not go to this address (``None``: it is a public address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            reason = non_public_reason(embedded)
            return f"{reason}, embedded in IPv6" if reason else None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("broadcast", address == _BROADCAST_IPV4),
        ("reserved", address.is_reserved),
        ("shared, carrier-grade NAT", address in _SHARED_IPV4),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    return next((reason for reason, hit in checks if hit), None)


def refusal_of_resolved(host: str, addresses: Iterable[str]) -> str | None:
    """``"x resolves to 127.0.0.1, a non-public address (loopback)"`` when any address is not
    public: one inside address is enough, a client may pick any of them."""
    for text in addresses:
        address = literal_address(text)
        reason = non_public_reason(address) if address else "unparseable"
        if reason and normalise_host(host) == normalise_host(text):
            return f"{host} is a non-public address ({reason})"
        if reason:
            return f"{host} resolves to {text}, a non-public address ({reason})"
    return None


@dataclass(frozen=True)
class AllowList:
    """``host`` admits any port of that host; ``host:port`` that port only. Hosts are compared as
    written (normalised), never through what they resolve to: an allowed ``localhost`` does not
    admit ``127.1``."""

    any_port: frozenset[str]
    with_port: frozenset[tuple[str, int]]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        any_port: set[str] = set()
        with_port: set[tuple[str, int]] = set()
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            host, port_text = _split_host_port(entry)
            if port_text and not port_text.isdigit():
                continue  # "host:junk" must not widen into "host, any port"
            port = int(port_text) if port_text else None
            if port is None:
                any_port.add(normalise_host(host))
            else:
                with_port.add((normalise_host(host), port))
        return cls(frozenset(any_port), frozenset(with_port))

    def admits(self, host: str, port: int | None) -> bool:
        name = normalise_host(host)
        return name in self.any_port or (port is not None and (name, port) in self.with_port)


def _split_host_port(entry: str) -> tuple[str, str]:
    if entry.startswith("["):  # [::1]:8080 or [::1]
        host, _, rest = entry[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:  # a name, an IPv4 address or a bare IPv6 address
        host, port_text = entry, ""
    return host, port_text


def allow_list(allowed_hosts: Iterable[str] | None = None) -> AllowList:
    return AllowList.parse(_Config.allowed_hosts if allowed_hosts is None else allowed_hosts)


# --- Targets -------------------------------------------------------------------------------------


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].strip().lower() if "://" in url else "(none)"


def scheme_refusal(url: str) -> str | None:
    scheme = scheme_of(url)
    if scheme in ACCEPTED_SCHEMES:
        return None
    return (
        f"the scheme {scheme!r} is not accepted for notification targets; "
        f"use one of {', '.join(ACCEPTED_SCHEMES)}"
    )


@dataclass(frozen=True)
class Destination:
    host: str
    port: int | None


def destination(plugin: Any, scheme: str) -> Destination | None:
    """Where an Apprise plugin will connect, when the URL chooses it (``None``: the plugin's
    own fixed public host)."""
    if scheme not in HOST_CHECKED_SCHEMES:
        return None
    if isinstance(plugin, NotifyEmail):  # the SMTP server, e.g. smtp.gmail.com or ?smtp=host
        return Destination(str(plugin.smtp_host), plugin.port)
    if getattr(plugin, "mode", None) in ("cloud", "t2bot"):  # ntfy.sh, t2bot.io
        return None
    return Destination(str(plugin.host), plugin.port or (443 if plugin.secure else 80))


def _invalid(field: str, index: int, detail: str, reason: str) -> InvalidInput:
    return InvalidInput(
        f"{field}[{index}]: {detail}",
        extra={"invalid_params": [{"name": f"{field}[{index}]", "reason": reason}]},
    )


def _lookup(host: str, port: int | None) -> list[str]:
    """Blocking: the addresses a name resolves to (runs in a thread)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


async def _resolve(host: str, port: int | None) -> list[str] | None:
    try:
        return await anyio.to_thread.run_sync(_lookup, host, port, abandon_on_cancel=True)
    except (OSError, UnicodeError):
        return None  # does not resolve (now): accepted, the worker checks when it sends


async def validate_targets(
    urls: list[str], *, field: str, allowed_hosts: Iterable[str] | None = None
) -> list[str]:
    """Check submitted targets; 422 names the first bad one (by index, never its secrets).

    ``allowed_hosts`` defaults to the configured ``SPOTCHECK_NOTIFY_ALLOWED_HOSTS``. A name that
    does not resolve within :data:`RESOLVE_TIMEOUT_SECONDS` is accepted (DNS may be down, or
    the name only known where the worker runs); the worker refuses it if it then resolves to a
    non-public address."""
    allowed = allow_list(allowed_hosts)
    cleaned: list[str] = []
    to_resolve: list[tuple[int, Destination]] = []
    for index, url in enumerate(urls):
        url = url.strip()
        refusal = scheme_refusal(url)
        if refusal:
            raise _invalid(field, index, refusal, "scheme not accepted")
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            raise _invalid(
                field,
                index,
                f"not a notification URL Apprise understands (scheme {scheme_of(url)!r}); "
                "use e.g. mailto://user:pass@host or json://host/path",
                "not valid",
            )
        cleaned.append(url)
        target = destination(plugin, scheme_of(url))
        if target is None or allowed.admits(target.host, target.port):
            continue
        address = literal_address(target.host)
        shown = target.host.strip("[]")
        if address is not None:
            reason = non_public_reason(address)
            if reason:
                detail = f"the host {shown} is a non-public address ({reason}); {_ALLOW_HINT}"
                raise _invalid(field, index, detail, "non-public address")
            continue
        host = normalise_host(target.host)
        if host == "localhost" or host.endswith(".localhost"):
            detail = f"the host {shown} is a non-public address (loopback); {_ALLOW_HINT}"
            raise _invalid(field, index, detail, "non-public address")
        to_resolve.append((index, Destination(host, target.port)))
    resolved: dict[int, list[str] | None] = {}

    async def resolve_one(index: int, target: Destination) -> None:
        resolved[index] = await _resolve(target.host, target.port)

    with anyio.move_on_after(RESOLVE_TIMEOUT_SECONDS):
        async with anyio.create_task_group() as group:
            for index, target in to_resolve:
                group.start_soon(resolve_one, index, target)
    for index, target in to_resolve:
        refusal = refusal_of_resolved(target.host, resolved.get(index) or [])
        if refusal:
            raise _invalid(field, index, f"{refusal}; {_ALLOW_HINT}", "non-public address")
    return cleaned


def mask_target(url: str) -> str:
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return url.split("://", 1)[0] + "://***"
    # The query string can hold tokens and custom headers (json://…?+X-Token=…); leave it out.
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def unmask_targets(submitted: list[str], stored: list[str]) -> list[str]:
    """A form that shows masked targets sends them back when saved; keep the stored URL each mask
    stands for, or the secret would be overwritten with asterisks."""
    stored_by_mask = {mask_target(url): url for url in stored}
    return [stored_by_mask.get(url.strip(), url) for url in submitted]
