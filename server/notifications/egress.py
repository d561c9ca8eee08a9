"""The send-time half of the guard on notification targets: while the worker delivers a message,
every name its thread resolves (the webhook's host, the SMTP server, a redirect's target) is
checked at that moment, and the connection is refused when the answer is a non-public address
that the allow-list does not admit.

Checking the very lookup the connection uses leaves no gap between check and use: a name that
resolved to a public address when the target was saved and to 127.0.0.1 now (DNS rebinding) is
caught here. The check hooks ``socket.getaddrinfo`` once per process (on the first delivery) and
does nothing outside a delivery: the hook reads a context variable, which Apprise carries into
the threads it runs a service in (``submit_with_context``).
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from server.notifications.targets import AllowList, refusal_of_resolved

_install_lock = threading.Lock()
# The resolver the hook wraps (captured on install; tests may replace it to play a DNS server).
_system_getaddrinfo: Callable[..., Any] = socket.getaddrinfo


@dataclass
class Policy:
    allowed: AllowList
    refused: str | None = None


_policy: contextvars.ContextVar[Policy | None] = contextvars.ContextVar(
    "spotcheck_egress_policy", default=None
)


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    results = _system_getaddrinfo(host, port, *args, **kwargs)
    policy = _policy.get()
    if policy is None or host is None:
        return results
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    port_number = int(port) if isinstance(port, int) or str(port).isdigit() else None
    if policy.allowed.admits(name, port_number):
        return results
    refusal = refusal_of_resolved(name, [str(info[4][0]) for info in results])
    if refusal:
        policy.refused = refusal
        raise socket.gaierror(socket.EAI_NONAME, f"refused by Spotcheck: {refusal}")
    return results


def install() -> None:
    """Hook the resolver (idempotent). Outside a delivery, lookups are unchanged."""
    global _system_getaddrinfo
    with _install_lock:
        if socket.getaddrinfo is not _guarded_getaddrinfo:
            _system_getaddrinfo = socket.getaddrinfo
            socket.getaddrinfo = _guarded_getaddrinfo


@contextlib.contextmanager
def guarded(allowed_hosts: Iterable[str]) -> Iterator[Policy]:
    """Within the block, and in threads run with a copy of its context, connections go only to
    public addresses or allowed hosts; ``policy.refused`` then says what was refused (a host and
    an address, never a secret)."""
    install()
    policy = Policy(AllowList.parse(allowed_hosts))
    token = _policy.set(policy)
    try:
        yield policy
    finally:
        _policy.reset(token)
