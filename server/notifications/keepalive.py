"""Kept-alive connections for webhook deliveries: a ``requests`` Session per target and delivery
thread, so consecutive messages to one webhook reuse its connection.

Apprise's webhook plugins (``json://``, ``form://``, ``xml://``) send with ``requests.request``,
which builds a Session, opens a connection, sends and closes it again, for every message: the
connect, the close and the Session's own set-up cost about as much CPU as the request. Apprise
has no way to hand a plugin a Session, so this module is the one seam: the name ``requests`` in
those three plugin modules (and nowhere else) is replaced, once, by a stand-in that forwards
everything to ``requests`` and sends exactly as before, except within :func:`sending_with`,
where ``request`` goes through the Session given there. Apprise still builds every request
(method, URL, headers, body, auth, timeouts, redirects off): only the Session that sends it is
ours. Nothing else in the process is touched, and outside a delivery nothing changes.

The egress guard (:mod:`server.notifications.egress`) still checks every connection: a Session
opens its connections inside the delivery's guard, so each lookup is checked as before. A kept
connection was checked when it was opened, which is as strong as checking each message for the
address actually connected to: DNS rebinding cannot move a socket that is already connected.

A Session is dropped after a failed delivery (the retry connects afresh and is checked afresh)
and closed once idle for :data:`IDLE_SECONDS`, less than the usual servers' keep-alive timeouts
(5 s and up), so a request is hardly ever sent on a connection the server is just closing.

A kept Session reads the environment once per URL, when it first sends there, not for every
request as ``requests`` does (``~/.netrc`` or ``$NETRC``, the proxy variables,
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, and whether that bundle is a directory: about a fifth
of a webhook send's CPU). ``requests``' own functions do the reading, so a Session finds exactly
what ``requests.request`` would; a change to the environment or to those files reaches a target
with its next Session, after a failed delivery or :data:`IDLE_SECONDS` without a message.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.cookiejar
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import requests
from apprise.plugins import custom_form, custom_json, custom_xml
from requests.adapters import HTTPAdapter
from requests.utils import get_netrc_auth

# Sessions kept per delivery thread (each holds at most a few idle connections to one target).
SESSIONS_PER_THREAD = 32
IDLE_SECONDS = 2.0
# URLs whose environment a Session remembers; a Session sends to its one target's URL (redirects
# are off), so this only bounds the unexpected.
URLS_PER_SESSION = 8

_session: contextvars.ContextVar[requests.Session | None] = contextvars.ContextVar(
    "spotcheck_webhook_session", default=None
)
_install_lock = threading.Lock()


class _RequestsForWebhooks:
    """What the webhook plugins see as ``requests``: the module itself, but ``request`` sends
    through the delivery's Session when there is one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)

    @staticmethod
    def request(method: str, url: str, **kwargs: Any) -> requests.Response:
        session = _session.get()
        if session is None:  # as before; the plugins pass their own timeout in kwargs
            return requests.request(method, url, **kwargs)  # noqa: S113
        return session.request(method=method, url=url, **kwargs)


_STAND_IN = _RequestsForWebhooks()
_PLUGIN_MODULES = (custom_json, custom_form, custom_xml)


def install() -> None:
    """Give the webhook plugins the stand-in (idempotent)."""
    with _install_lock:
        for module in _PLUGIN_MODULES:
            if module.requests is not _STAND_IN:  # type: ignore[attr-defined]
                module.requests = _STAND_IN  # type: ignore[attr-defined]


@contextlib.contextmanager
def sending_with(session: requests.Session) -> Iterator[None]:
    """Within the block (and in threads run with a copy of its context), the webhook plugins
    send through ``session``."""
    install()
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


class _PoolKeysOnce(HTTPAdapter):
    """Works out a URL's connection-pool key once: for a CA bundle given as a path (as
    ``REQUESTS_CA_BUNDLE`` gives it) ``requests`` asks the filesystem on every request whether
    it is a directory."""

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = {}

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        key = (request.url, verify, cert)
        if key not in self._keys:
            if len(self._keys) >= URLS_PER_SESSION:
                self._keys.clear()
            self._keys[key] = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params, pool_kwargs = self._keys[key]
        return dict(host_params), dict(pool_kwargs)


class TargetSession(requests.Session):
    """A Session that reads the environment once per URL (see the module's docstring): what
    ``requests`` would look up for each request, looked up by ``requests`` on the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.mount("https://", _PoolKeysOnce())
        self.mount("http://", _PoolKeysOnce())
        self._netrc: dict[str, tuple[str, str] | None] = {}
        self._settings: dict[tuple[Any, ...], dict[str, Any]] = {}

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if not (self.trust_env and not request.auth and not self.auth):
            return super().prepare_request(request)
        url = str(request.url)
        if url not in self._netrc:
            if len(self._netrc) >= URLS_PER_SESSION:
                self._netrc.clear()
            self._netrc[url] = get_netrc_auth(url)
        # The condition above is requests' own for reading ~/.netrc; it is given what requests
        # would have read, and must not read it again.
        request.auth = self._netrc[url]
        self.trust_env = False
        try:
            return super().prepare_request(request)
        finally:
            self.trust_env = True

    def merge_environment_settings(
        self,
        url: Any,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        try:
            given = None if proxies is None else frozenset(proxies.items())
            key: tuple[Any, ...] = (url, given, stream, verify, cert)
            hash(key)
        except TypeError:  # a setting that cannot be a key: as requests does
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if key not in self._settings:
            if len(self._settings) >= URLS_PER_SESSION:
                self._settings.clear()
            self._settings[key] = super().merge_environment_settings(
                url, None if proxies is None else dict(proxies), stream, verify, cert
            )
        settings = self._settings[key]
        return {**settings, "proxies": settings["proxies"].copy()}


class KeptSessions:
    """Sessions by target URL, for the calling thread only (a Session is not shared between
    threads): the least recently used closed beyond ``size``, any closed once idle for
    ``idle_seconds``. ``opened`` counts the Sessions made, in all threads."""

    def __init__(self, size: int = SESSIONS_PER_THREAD, idle_seconds: float = IDLE_SECONDS) -> None:
        self.size = size
        self.idle_seconds = idle_seconds
        self.opened = 0
        self._local = threading.local()
        self._count_lock = threading.Lock()

    def _kept(self) -> OrderedDict[str, tuple[requests.Session, float]]:
        kept: OrderedDict[str, tuple[requests.Session, float]] | None = getattr(
            self._local, "kept", None
        )
        if kept is None:
            kept = self._local.kept = OrderedDict()
        return kept

    @contextlib.contextmanager
    def session(self, url: str) -> Iterator[requests.Session]:
        """The Session for ``url`` in this thread, kept after the block unless it raised or the
        caller called :meth:`drop`."""
        kept = self._kept()
        now = time.monotonic()
        for key, (session, used_at) in list(kept.items()):
            if now - used_at > self.idle_seconds:
                del kept[key]
                session.close()
        entry = kept.pop(url, None)
        if entry is None:
            session = TargetSession()
            # `requests.request` forgets a response's cookies with its Session; a kept Session
            # would send them with the next message. Refuse them, so every message goes out as
            # it did on a connection of its own.
            session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            with self._count_lock:
                self.opened += 1
        else:
            session = entry[0]
        self._local.dropped = False
        try:
            yield session
        except BaseException:
            session.close()
            raise
        if self._local.dropped:
            session.close()
            return
        kept[url] = (session, time.monotonic())
        while len(kept) > self.size:
            _url, (oldest, _used_at) = kept.popitem(last=False)
            oldest.close()

    def drop(self) -> None:
        """Close the Session of the block under way instead of keeping it (after a failure)."""
        self._local.dropped = True
