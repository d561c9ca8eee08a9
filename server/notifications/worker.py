"""`spotcheck worker`: delivers the outbox through Apprise and runs the time-based triggers.

Claiming: rows are leased (``sending`` until ``lease_until``) by one statement, which chooses and
leases a batch; PostgreSQL uses ``FOR UPDATE SKIP LOCKED`` so several workers never claim the same
row at once; on SQLite the database's one writer serialises claimers (run one worker there).

Delivering: up to ``SPOTCHECK_WORKER_CONCURRENCY`` sends are in flight at once, each in a thread
of the worker's own (Apprise is blocking), outside any transaction. A slot is free again as soon
as its send returns (its outcome still waits for the group commit below). A running worker claims
again once half its slots are free, and only as many rows as it has free slots, so no row sits
leased in its memory waiting for a thread. Each row is finished (sent; failed, with backoff; or dead) as soon
as its delivery returns, in one short atomic write shared with the other deliveries that
returned meanwhile (a group commit: one write for many rows when they come fast, no added wait
when they do not; on PostgreSQL a single statement, one round trip). A slow or failing target
holds one slot and delays no other message.

A worker killed after claiming leaves its rows ``sending``; once the lease expires another worker
claims them again and counts it in ``reclaimed_after_lease``: delivery is at least once, and
receivers dedupe by the event key that every message carries (header ``X-Spotcheck-Event-Key``
and payload field ``event_key`` for webhooks, the message footer for everything). Webhooks also get
the message's link as ``url``. A delivery finishes its row only while it still holds the claim it
was sent under (same worker, same attempt), so a delivery that outlived its lease records what it
did and leaves the row to the worker that holds it now.

Targets are parsed and validated by Apprise once per URL and kept in a bounded LRU cache
(:class:`TargetCache`); each delivery builds its own plugin object from that parsed form (tens of
microseconds, against about a millisecond to parse), so no plugin object, which Apprise does not
make safe to share between threads, is ever used by two deliveries at once. Each thread reuses one
Apprise object to send with, and Apprise captures each call's log on its own (a context variable),
so the error recorded for one delivery never comes from another running at the same time.

Webhooks (``json://``, ``form://``, ``xml://``) keep their connections: each delivery thread
sends to a target through a ``requests`` Session it keeps for it (:mod:`server.notifications.
keepalive`), so consecutive messages skip the connect and the close; a failed delivery drops it.

Delivery is guarded on every send, whatever the cache holds: only accepted schemes, no redirects,
and every connection to a public address or a host of ``SPOTCHECK_NOTIFY_ALLOWED_HOSTS``, checked
on the very lookup the connection uses when it is opened (:mod:`server.notifications.egress`; a
kept connection stays with the address it was checked for); a refused target fails like any
failed delivery, with the reason in ``last_error``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import logging
import os
import random
import socket
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import apprise
from apprise.plugins import N_MGR, url_to_dict
from piccolo.querystring import QueryString

from server.core import db
from server.core.audit import services as audit_service
from server.core.settings import Settings
from server.notifications import egress, keepalive, triggers
from server.notifications import targets as notify_targets
from server.notifications.tables import DeliveryAttempt, OutboxMessage

log = logging.getLogger("spotcheck.worker")

WEBHOOK_SCHEMES = ("json://", "jsons://", "form://", "forms://", "xml://", "xmls://")
EVENT_KEY_HEADER = "X-Spotcheck-Event-Key"
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0
# Parsed targets kept per worker process; a deployment has far fewer distinct targets.
TARGET_CACHE_SIZE = 512
# How often a running worker runs the timed triggers' check and seals the audit log (the triggers
# themselves fire at most once a minute).
HOUSEKEEPING_SECONDS = 1.0
# One statement leases a batch: it chooses the due rows (locking them, and on PostgreSQL skipping
# rows that another worker is claiming at that moment) and leases them, counting a row taken over
# after its lease ran out. A statement is atomic by itself on both engines, so the claim needs no
# transaction around it (on PostgreSQL: no BEGIN and COMMIT round trips). The chosen rows are
# materialised once: the lease applies to exactly the rows the locking read returned.
# The choice walks the index of the rows still to send in the order they fall due
# (notification_outbox_due: next_attempt_at over the three statuses below) and stops at the
# batch's last row: its conditions are that index's own and a range of it, so PostgreSQL takes it
# whatever the table's statistics say. (With the status index it read and sorted every row still
# to send to take the first few, 3,000 for a batch of four, whenever the statistics said nothing
# of a burst; sent rows keep their next_attempt_at, so the plain index of that column walks past
# every one of them.) A row being sent is due again once its lease ran out; it was due when it was
# claimed, and its lease ends after that, so next_attempt_at <= now holds for it too.
CLAIM_STATEMENT = (
    "WITH due AS MATERIALIZED ("
    "SELECT id FROM notification_outbox "
    "WHERE status IN ('pending', 'failed', 'sending') AND next_attempt_at <= {} "
    "AND (status <> 'sending' OR lease_until < {}) "
    "ORDER BY next_attempt_at LIMIT {}%(skip_locked)s) "
    "UPDATE notification_outbox SET status = 'sending', lease_until = {}, leased_by = {}, "
    "attempts = attempts + 1, updated_at = {}, "
    "reclaimed_after_lease = reclaimed_after_lease + CASE WHEN status = 'sending' THEN 1 ELSE 0 END "
    "WHERE id IN (SELECT id FROM due) RETURNING %(columns)s"
)
# A group commit on PostgreSQL: one fixed statement whatever the batch holds, its outcomes as
# parallel arrays (one parameter each), so the worker builds no SQL per batch and PostgreSQL plans
# one prepared statement per connection instead of one per shape of batch. It records every
# attempt and settles each row (sent; failed, with its next attempt; or dead) only under the claim
# its delivery was made for, as the portable form in _finish does. That check is one comparison
# of the row as a whole (IS NOT DISTINCT FROM, which no index answers), so each row is found by
# its key: status = 'sending' alone let PostgreSQL read the status index's entries for every
# version of a row ever leased, dead ones included, at each commit (without vacuum, thousands).
FINISH_STATEMENT_POSTGRES = (
    "WITH outcome AS ("
    "SELECT * FROM unnest({}::uuid[], {}::uuid[], {}::integer[], {}::text[], {}::text[], "
    "{}::timestamptz[]) AS o(attempt_id, message_id, attempt, status, error, next_attempt_at)), "
    "recorded AS ("
    'INSERT INTO "notification_attempt" ("id", "message_id", "attempt", "worker", "outcome", '
    '"error", "at") '
    "SELECT attempt_id, message_id, attempt, {}::text, "
    "CASE WHEN status = 'sent' THEN 'sent' ELSE 'failed' END, error, {}::timestamptz "
    "FROM outcome), "
    "settled AS ("
    'UPDATE "notification_outbox" AS m SET status = o.status, '
    "sent_at = CASE WHEN o.status = 'sent' THEN {}::timestamptz ELSE m.sent_at END, "
    "last_error = CASE WHEN o.status = 'sent' THEN NULL ELSE o.error END, "
    "next_attempt_at = COALESCE(o.next_attempt_at, m.next_attempt_at), "
    "lease_until = NULL, updated_at = {}::timestamptz "
    "FROM outcome AS o WHERE m.id = o.message_id "
    "AND (m.status, m.leased_by, m.attempts) IS NOT DISTINCT FROM ('sending', {}::text, o.attempt)) "
    "SELECT 1"
)
# The columns of a delivery attempt's record, in the order _finish gives their values.
ATTEMPT_COLUMNS = (
    DeliveryAttempt.id,
    DeliveryAttempt.message_id,
    DeliveryAttempt.attempt,
    DeliveryAttempt.worker,
    DeliveryAttempt.outcome,
    DeliveryAttempt.error,
    DeliveryAttempt.at,
)


def backoff_delay(attempt: int, *, base: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with ±20 % jitter, so failing targets do not retry in lockstep."""
    delay = min(BACKOFF_MAX_SECONDS, base * (2 ** max(0, attempt - 1)))
    jitter = (rng or random).uniform(0.8, 1.2)
    return delay * jitter


@functools.lru_cache(maxsize=64)
def _attempts_insert(count: int) -> str:
    """INSERT of `count` attempts, every value a parameter (a few shapes, one per batch size)."""
    names = ", ".join(f'"{column._meta.db_column_name}"' for column in ATTEMPT_COLUMNS)
    row = "(" + ", ".join(["{}"] * len(ATTEMPT_COLUMNS)) + ")"
    table = DeliveryAttempt._meta.tablename
    # Names come from the table's definition; every value is a parameter.
    return f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([row] * count)  # noqa: S608


@functools.cache
def _claim_statement(skip_locked: str) -> str:
    columns = ", ".join(
        f'"{column._meta.db_column_name}"' for column in OutboxMessage._meta.columns
    )
    return CLAIM_STATEMENT % {"skip_locked": skip_locked, "columns": columns}


# --- Targets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedTarget:
    """A target URL as Apprise parsed and validated it: the plugin's class and the arguments its
    constructor takes (what ``Apprise.instantiate`` builds from a URL, without the parsing)."""

    plugin_class: type[Any]
    arguments: dict[str, Any]
    webhook: bool

    def plugin_for(self, event_key: str, link: str | None) -> Any:
        """A plugin object of this delivery's own. Webhooks get the event key as a header and a
        payload field so receivers can dedupe, and the message's link (the app's screen for the
        action or inspection) as the field ``url``: the same as ``?+X-Spotcheck-Event-Key=…
        &:event_key=…&:url=…`` appended to the URL."""
        # One level of copies: a constructor never touches the cached containers.
        arguments: dict[str, Any] = {
            key: value.copy() if isinstance(value, dict | list | set) else value
            for key, value in self.arguments.items()
        }
        if self.webhook:
            headers: dict[str, Any] = arguments.get("headers") or {}
            payload: dict[str, Any] = arguments.get("payload") or {}
            arguments["headers"] = {**headers, EVENT_KEY_HEADER: event_key}
            arguments["payload"] = {
                **payload,
                "event_key": event_key,
                **({"url": link} if link else {}),
            }
        plugin = self.plugin_class(**arguments)
        plugin.redirects = False  # whatever the URL's own ?redirect= says
        return plugin


def prepare_target(url: str, asset: apprise.AppriseAsset) -> PreparedTarget | None:
    """Parse and validate a target URL once (``None``: Apprise cannot use it)."""
    try:
        parsed = url_to_dict(url, secure_logging=True)
        if parsed is None:
            return None
        arguments = dict(parsed)
        # The dictionary form of instantiate validates exactly as the URL form does, and fills
        # in the asset and tags the constructor takes.
        plugin = apprise.Apprise.instantiate(arguments, asset=asset, suppress_exceptions=True)
    except Exception:
        return None
    if plugin is None:
        return None
    return PreparedTarget(type(plugin), arguments, url.startswith(WEBHOOK_SCHEMES))


class TargetCache:
    """Prepared targets by URL, the least recently used dropped beyond ``size``. Shared by the
    delivery threads; ``parsed`` counts the URLs parsed (cache misses)."""

    def __init__(self, asset: apprise.AppriseAsset, size: int = TARGET_CACHE_SIZE) -> None:
        self.asset = asset
        self.size = size
        self.parsed = 0
        self._entries: OrderedDict[str, PreparedTarget | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> PreparedTarget | None:
        with self._lock:
            if url in self._entries:
                self._entries.move_to_end(url)
                return self._entries[url]
            # Parsed under the lock: a millisecond of work that holds the GIL anyway, and two
            # threads meeting a new target at once parse it once.
            prepared = prepare_target(url, self.asset)
            self.parsed += 1
            self._entries[url] = prepared
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return prepared

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class AppriseSender:
    """Sends one message to one target through Apprise. Called in a worker thread (blocking), from
    several threads at once; returns (delivered, error text without secrets)."""

    def __init__(
        self, allowed_hosts: Iterable[str] = (), *, cache_size: int = TARGET_CACHE_SIZE
    ) -> None:
        self.allowed_hosts = tuple(allowed_hosts)
        # One service per call, sent in the calling thread: without a service timeout Apprise
        # does not hand the send to its own shared pool (a few threads per CPU, which would cap
        # the deliveries in flight and add a thread hop to each); the plugins' own connect and
        # read timeouts bound a send. And no redirects, which would lead the request somewhere
        # unchecked.
        self.asset = apprise.AppriseAsset(async_mode=False, http_redirects=False, service_timeout=0)
        # Apprise imports its plugin modules (a few hundred) when it first parses a URL: about
        # 0.2 s of CPU, paid here when the worker starts rather than by its first message.
        N_MGR.load_modules()
        self.targets = TargetCache(self.asset, cache_size)
        self.sessions = keepalive.KeptSessions()
        # An Apprise object per thread, emptied after each call: it only carries the one plugin
        # to its notify() and is never shared between threads.
        self._local = threading.local()

    @contextlib.contextmanager
    def _session_for(self, url: str, webhook: bool) -> Iterator[None]:
        if not webhook:
            yield
            return
        with self.sessions.session(url) as session, keepalive.sending_with(session):
            yield

    def __call__(
        self, url: str, subject: str, body: str, event_key: str, link: str | None = None
    ) -> tuple[bool, str | None]:
        refusal = notify_targets.scheme_refusal(url)
        if refusal:
            return False, f"refused: {refusal}"
        target = self.targets.get(url)
        if target is None:
            return False, "the target URL is not valid for Apprise"
        try:
            plugin = target.plugin_for(event_key, link)
        except Exception:
            return False, "the target URL is not valid for Apprise"
        notifier = getattr(self._local, "notifier", None)
        if notifier is None:
            notifier = self._local.notifier = apprise.Apprise(asset=self.asset)
        notifier.add(plugin)
        try:
            # The guard is entered for every delivery: what the cache holds is the URL's parsed
            # form, never a decision about where it may connect. A webhook is sent through the
            # Session this thread keeps for its target (a kept connection was checked by the
            # guard when it was opened); a failed delivery drops it.
            with (
                egress.guarded(self.allowed_hosts) as policy,
                self._session_for(url, target.webhook),
            ):
                # Our bodies are plain text. Without saying so, Apprise hands them to e-mail as
                # HTML: the line breaks vanish and any markup in a title would be interpreted.
                result = notifier.notify(
                    title=subject, body=body, body_format=apprise.NotifyFormat.TEXT
                )
                if not result:
                    self.sessions.drop()
        finally:
            notifier.clear()
        try:
            if result:
                return True, None
            # The call's own log (Apprise captures it per call, so deliveries running at the same
            # time in other threads never mix into it): host and status, not the URL's secrets.
            lines = [entry.message for entry in result.logs() if entry.message.strip()]
        finally:
            result.close()
        if policy.refused:
            return False, (
                f"refused: {policy.refused}; notifications may only go to public addresses (an "
                "operator can allow the host in SPOTCHECK_NOTIFY_ALLOWED_HOSTS)"
            )[:500]
        return False, (lines[-1].strip() if lines else "delivery failed")[:500]


Sender = Callable[[str, str, str, str, str | None], tuple[bool, str | None]]


@dataclass
class Outcome:
    """A delivery's result waiting to be written (``written`` resolves once it is)."""

    row: dict[str, Any]
    delivered: bool
    error: str | None
    written: asyncio.Future[None]


# --- The worker ------------------------------------------------------------------------------------


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        name: str | None = None,
        concurrency: int | None = None,
        batch_size: int | None = None,
        lease_seconds: float = 120.0,
        backoff_base_seconds: float = BACKOFF_BASE_SECONDS,
        sender: Sender | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"
        # Deliveries in flight at once, and the most rows one claim takes (by default as many as
        # there are slots; a running worker claims only the slots that are free).
        self.concurrency = max(1, concurrency or settings.worker_concurrency)
        self.batch_size = max(1, batch_size or self.concurrency)
        # A running worker claims again once this many slots are free: claims in batches rather
        # than one transaction per delivery, while the other slots keep sending.
        self.refill_at = max(1, self.concurrency // 2)
        self.lease = timedelta(seconds=lease_seconds)
        self.backoff_base_seconds = backoff_base_seconds
        self.sender: Sender = sender or AppriseSender(settings.notify_allowed_hosts)
        self.clock = clock
        self.trigger_interval = timedelta(seconds=60)
        self._triggers_ran_at: datetime | None = None
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._outcomes: list[Outcome] = []
        self._committing: asyncio.Task[None] | None = None

    # --- Claiming and finishing ----------------------------------------------------------------

    async def claim(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Lease up to ``limit`` (default and at most: the batch size) due rows to this worker."""
        size = self.batch_size if limit is None else min(limit, self.batch_size)
        if size <= 0:
            return []
        now = self.clock()
        rows = await OutboxMessage.raw(
            _claim_statement(db.skip_locked_clause()),
            now,
            now,
            size,
            now + self.lease,
            self.name,
            now,
        )
        # In the order they fell due (a statement's RETURNING keeps no order).
        return sorted(rows, key=lambda row: row["next_attempt_at"])

    async def deliver(self, row: dict[str, Any], sent: Callable[[], None] | None = None) -> None:
        """Send one claimed row and finish it; returns once its outcome is committed. ``sent`` is
        called as soon as the send has returned, before the outcome is written."""
        if row["target_url"] is None:
            if sent is not None:
                sent()
            await self._finished(row, delivered=False, error=row["last_error"] or "no target")
            return
        if self._threads is None:
            # Threads of the worker's own, as many as its slots: a send costs one hand-over to a
            # waiting thread and one back, without anyio's limiter and cancel scope around each
            # (about a third of what a hand-over cost). A send runs in a copy of the caller's
            # context, as anyio's do; a delivery cancelled while its send runs lets it end.
            self._threads = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="spotcheck-delivery"
            )
        delivered, error = await asyncio.get_running_loop().run_in_executor(
            self._threads,
            contextvars.copy_context().run,
            self.sender,
            row["target_url"],
            row["subject"],
            row["body"],
            row["event_key"],
            row["link"],
        )
        if sent is not None:
            sent()
        await self._finished(row, delivered=delivered, error=error)

    async def _finished(self, row: dict[str, Any], *, delivered: bool, error: str | None) -> None:
        """Hand an outcome to the group commit and wait until it is written. Outcomes that arrive
        while a commit is under way are written together by the next one: one write for many
        deliveries when they come fast, no added wait when they do not."""
        outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append(Outcome(row, delivered, error, outcome))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_outcomes())
        await outcome

    async def _commit_outcomes(self) -> None:
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                await self._finish(batch)
            except Exception as error:
                for each in batch:
                    if not each.written.done():
                        each.written.set_exception(error)
                continue
            for each in batch:
                if not each.written.done():
                    each.written.set_result(None)

    async def _finish(self, outcomes: list[Outcome]) -> None:
        """Record each delivery's attempt and settle its row (sent; failed, to be retried after
        its backoff; or dead after the last attempt), in one atomic write."""
        now = self.clock()
        if db.is_postgres():
            await self._finish_postgres(outcomes, now)
        else:
            await self._finish_portable(outcomes, now)
        for each in outcomes:
            if not each.delivered:
                log.warning(
                    "notification %s to %s failed (attempt %s): %s",
                    each.row["id"],
                    each.row["target_masked"],
                    each.row["attempts"],
                    each.error,
                )

    def _settled_status(self, each: Outcome, now: datetime) -> tuple[str, datetime | None]:
        """The row's status after this outcome, and when to try again (failed only)."""
        row = each.row
        if each.delivered:
            return "sent", None
        if row["target_url"] is None or row["attempts"] >= row["max_attempts"]:
            return "dead", None
        delay = backoff_delay(row["attempts"], base=self.backoff_base_seconds)
        return "failed", now + timedelta(seconds=delay)

    async def _finish_postgres(self, outcomes: list[Outcome], now: datetime) -> None:
        settled = [self._settled_status(each, now) for each in outcomes]
        await db.engine().run_querystring(
            QueryString(
                FINISH_STATEMENT_POSTGRES,
                db.new_ids(len(outcomes)),
                [each.row["id"] for each in outcomes],
                [each.row["attempts"] for each in outcomes],
                [status for status, _later in settled],
                [each.error for each in outcomes],
                [later for _status, later in settled],
                self.name,
                now,
                now,
                now,
                self.name,
            )
        )

    async def _finish_portable(self, outcomes: list[Outcome], now: datetime) -> None:
        sent: dict[int, list[Any]] = defaultdict(list)  # ids of the rows sent, by attempt
        others: list[tuple[dict[str, Any], dict[Any, Any]]] = []
        for each in outcomes:
            row = each.row
            status, later = self._settled_status(each, now)
            if status == "sent":
                sent[row["attempts"]].append(row["id"])
            elif status == "dead":
                others.append((row, {"status": "dead", "last_error": each.error}))
            else:
                others.append(
                    (row, {"status": "failed", "last_error": each.error, "next_attempt_at": later})
                )
        attempts = [
            (
                uuid4(),
                each.row["id"],
                each.row["attempts"],
                self.name,
                "sent" if each.delivered else "failed",
                each.error,
                now,
            )
            for each in outcomes
        ]
        statements = [
            QueryString(
                _attempts_insert(len(attempts)),
                *(value for attempt in attempts for value in attempt),
            )
        ]
        # A row is settled only under the claim its delivery was made for. If our lease ran out
        # and another worker (or this one, in another slot) took the row over, the attempt above
        # records what we did and the row is left to the claim that holds it now. The condition
        # is checked on the row as the update locks it (PostgreSQL re-reads a row changed by a
        # concurrent transaction; SQLite has one writer).
        for attempt, ids in sent.items():
            statements += (
                OutboxMessage.update(
                    {
                        OutboxMessage.status: "sent",
                        OutboxMessage.sent_at: now,
                        OutboxMessage.last_error: None,
                        OutboxMessage.lease_until: None,
                        OutboxMessage.updated_at: now,
                    }
                )
                .where(db.one_of(OutboxMessage.id, ids), *self._still_ours(attempt))
                .querystrings
            )
        for row, changes in others:
            statements += (
                OutboxMessage.update({**changes, "lease_until": None, "updated_at": now})
                .where(OutboxMessage.id == row["id"], *self._still_ours(row["attempts"]))
                .querystrings
            )
        # Each statement writes rows of its own: the attempts, and the settled rows (a row's
        # outcome under an older claim of it matches no row).
        await db.write_at_once(*statements)

    def _still_ours(self, attempt: int) -> tuple[Any, ...]:
        return (
            OutboxMessage.status == "sending",
            OutboxMessage.leased_by == self.name,
            OutboxMessage.attempts == attempt,
        )

    # --- Rounds ----------------------------------------------------------------------------------

    async def housekeeping(self) -> None:
        """The timed triggers (when their minute has come) and sealing the audit log."""
        now = self.clock()
        if self._triggers_ran_at is None or now - self._triggers_ran_at >= self.trigger_interval:
            await triggers.run_due_triggers(self.settings, now=now)
            self._triggers_ran_at = now
        try:
            # The worker chains the audit log too, so it keeps up where API processes are
            # configured not to (SPOTCHECK_AUDIT_SEAL_INTERVAL_SECONDS=0).
            await audit_service.seal()
        except Exception:
            log.exception("worker %s: sealing the audit log failed; deliveries go on", self.name)

    async def run_once(self) -> int:
        """Run the housekeeping, then claim one batch and deliver it, up to ``concurrency`` at
        once, until every row of it is finished. Returns how many rows were handled."""
        await self.housekeeping()
        rows = await self.claim()
        slots = asyncio.Semaphore(self.concurrency)

        async def one(row: dict[str, Any]) -> None:
            async with slots:
                await self.deliver(row)

        # Every delivery runs to its end even when one of them fails (a row whose finish failed
        # stays leased and is retried after its lease); the first error is raised after.
        outcomes = await asyncio.gather(*(one(row) for row in rows), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return len(rows)

    async def run_forever(
        self, *, poll_seconds: float = 2.0, stop: asyncio.Event | None = None
    ) -> None:
        """Keep up to ``concurrency`` sends in flight: claim as many rows as there are free slots
        whenever enough are free, start each delivery as its own task, and look for due rows
        again every ``poll_seconds`` once the outbox has none. A slot is free again as soon as
        its send has returned, while its outcome waits for the group commit (a thread and a
        claim need not wait for a write). On ``stop``, claim nothing more and let the deliveries
        in flight finish, their outcomes written."""
        stop = stop or asyncio.Event()
        log.info("worker %s started (%s deliveries at once)", self.name, self.concurrency)
        # Every delivery not yet finished, and those of them whose send has not returned (the
        # slots in use).
        in_flight: set[asyncio.Task[None]] = set()
        sending: set[asyncio.Task[None]] = set()
        freed = asyncio.Event()

        def start(row: dict[str, Any]) -> None:
            def sent() -> None:
                sending.discard(task)
                freed.set()

            task = asyncio.create_task(self._deliver_logged(row, sent))
            in_flight.add(task)
            sending.add(task)
            task.add_done_callback(in_flight.discard)
            task.add_done_callback(lambda _task: sent())  # also when it failed before its send

        housekept_at: float | None = None
        try:
            while not stop.is_set():
                freed.clear()
                if housekept_at is None or time.monotonic() - housekept_at >= HOUSEKEEPING_SECONDS:
                    housekept_at = time.monotonic()
                    try:
                        await self.housekeeping()
                    except Exception:
                        log.exception(
                            "worker %s: a round failed; retrying after a pause", self.name
                        )
                free = self.concurrency - len(sending)
                drained = False
                if free >= self.refill_at or not sending:
                    wanted = min(free, self.batch_size)
                    try:
                        rows = await self.claim(wanted)
                    except Exception:
                        log.exception(
                            "worker %s: a round failed; retrying after a pause", self.name
                        )
                        rows = []
                    for row in rows:
                        start(row)
                    drained = len(rows) < wanted
                    if not drained and len(sending) < self.concurrency:
                        continue  # more may be due and slots are free: claim again at once
                await self._pause(stop, freed, poll_seconds if drained else None)
        except asyncio.CancelledError:
            # Cancelled rather than stopped: abandon the deliveries in flight (a send already
            # running in its thread still ends); their rows stay leased and are claimed again
            # after the lease.
            for task in in_flight:
                task.cancel()
            raise
        finally:
            if in_flight:
                # Stopped: let the deliveries in flight finish their rows.
                await asyncio.gather(*in_flight, return_exceptions=True)
            if self._threads is not None:
                # Its threads end once idle (a send still running in one, after a cancel, ends
                # first); a later run starts a pool of its own.
                self._threads.shutdown(wait=False)
                self._threads = None

    async def _deliver_logged(
        self, row: dict[str, Any], sent: Callable[[], None] | None = None
    ) -> None:
        try:
            await self.deliver(row, sent)
        except Exception:
            log.exception(
                "worker %s: delivering %s failed; the row is claimed again after its lease",
                self.name,
                row["id"],
            )

    @staticmethod
    async def _pause(stop: asyncio.Event, freed: asyncio.Event, poll_seconds: float | None) -> None:
        """Until ``stop``, or ``poll_seconds`` (nothing due: look again later), or, when the
        outbox may have more (``poll_seconds`` is None), until a send frees its slot."""
        waiting: set[asyncio.Task[Any]] = {asyncio.create_task(stop.wait())}
        if poll_seconds is None:
            waiting.add(asyncio.create_task(freed.wait()))
        try:
            await asyncio.wait(waiting, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waiting:
                task.cancel()
