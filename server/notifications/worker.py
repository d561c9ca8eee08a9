"""`spotcheck worker`: delivers the outbox through Apprise and runs the time-based triggers.

Claiming: a row is leased (``sending`` until ``lease_until``) in one short transaction; PostgreSQL
uses ``FOR UPDATE SKIP LOCKED`` so several workers never claim the same row at once; on SQLite the
IMMEDIATE transaction serialises claimers (run one worker there). Delivery happens outside any
transaction, in a thread (Apprise is blocking). A worker killed after claiming leaves the row
``sending``; once the lease expires another worker claims it again and counts it in
``reclaimed_after_lease``: delivery is at least once, and receivers dedupe by the event key that
every message carries (header ``X-Spotcheck-Event-Key`` and payload field ``event_key`` for
webhooks, the message footer for everything). Webhooks also get the message's link as ``url``.

Delivery is guarded: only accepted schemes, no redirects, and every connection to a public
address or a host of ``SPOTCHECK_NOTIFY_ALLOWED_HOSTS`` (:mod:`server.notifications.egress`);
a refused target fails like any failed delivery, with the reason in ``last_error``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import anyio.to_thread
import apprise

from server.core import db
from server.core.audit import services as audit_service
from server.core.settings import Settings
from server.notifications import egress, triggers
from server.notifications import targets as notify_targets
from server.notifications.tables import DeliveryAttempt, OutboxMessage

log = logging.getLogger("spotcheck.worker")

WEBHOOK_SCHEMES = ("json://", "jsons://", "form://", "forms://", "xml://", "xmls://")
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0
CLAIM_QUERY = (
    "SELECT id, status FROM notification_outbox "
    "WHERE (status IN ('pending', 'failed') AND next_attempt_at <= {}) "
    "OR (status = 'sending' AND lease_until < {}) "
    "ORDER BY next_attempt_at LIMIT {}"
)


def backoff_delay(attempt: int, *, base: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with ±20 % jitter, so failing targets do not retry in lockstep."""
    delay = min(BACKOFF_MAX_SECONDS, base * (2 ** max(0, attempt - 1)))
    jitter = (rng or random).uniform(0.8, 1.2)
    return delay * jitter


def url_with_event_key(url: str, event_key: str, link: str | None = None) -> str:
    """Webhooks get the event key as a header and a payload field so receivers can dedupe, and
    the message's link (the app's screen for the action or inspection) as the field ``url``."""
    if not url.startswith(WEBHOOK_SCHEMES):
        return url
    separator = "&" if "?" in url else "?"
    key = quote(event_key, safe="")
    fields = f"{url}{separator}+X-Spotcheck-Event-Key={key}&:event_key={key}"
    return f"{fields}&:url={quote(link, safe='')}" if link else fields


def send_with_apprise(
    url: str,
    subject: str,
    body: str,
    event_key: str,
    link: str | None = None,
    *,
    allowed_hosts: Iterable[str] = (),
) -> tuple[bool, str | None]:
    """Blocking: runs in a worker thread. Returns (delivered, error text without secrets).

    The target is held to the rules it was saved under once more: an accepted scheme, and every
    connection to a public address or an allowed host (checked on the lookup the connection
    uses, see :mod:`server.notifications.egress`). Redirects are not followed."""
    refusal = notify_targets.scheme_refusal(url)
    if refusal:
        return False, f"refused: {refusal}"
    # One service, no pool; and no redirects, which would lead the request somewhere unchecked.
    asset = apprise.AppriseAsset(async_mode=False, http_redirects=False)
    plugin = apprise.Apprise.instantiate(
        url_with_event_key(url, event_key, link), asset=asset, suppress_exceptions=True
    )
    if plugin is None:
        return False, "the target URL is not valid for Apprise"
    plugin.redirects = False  # whatever the URL's own ?redirect= says
    notifier = apprise.Apprise(asset=asset)
    notifier.add(plugin)
    with (
        egress.guarded(allowed_hosts) as policy,
        apprise.LogCapture(level=logging.WARNING) as captured,
    ):
        # Our bodies are plain text. Without saying so, Apprise hands them to e-mail as HTML: the
        # line breaks vanish and any markup in a title would be interpreted.
        delivered = bool(
            notifier.notify(title=subject, body=body, body_format=apprise.NotifyFormat.TEXT)
        )
        detail = captured.getvalue().strip() if hasattr(captured, "getvalue") else ""
    if delivered:
        return True, None
    if policy.refused:
        return False, (
            f"refused: {policy.refused}; notifications may only go to public addresses (an "
            "operator can allow the host in SPOTCHECK_NOTIFY_ALLOWED_HOSTS)"
        )[:500]
    # Apprise's own log lines name the host and status but not the secrets of the URL.
    return False, (detail.splitlines()[-1] if detail else "delivery failed")[:500]


Sender = Callable[[str, str, str, str, str | None], tuple[bool, str | None]]


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        name: str | None = None,
        batch_size: int = 10,
        lease_seconds: float = 120.0,
        backoff_base_seconds: float = BACKOFF_BASE_SECONDS,
        sender: Sender | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.backoff_base_seconds = backoff_base_seconds
        self.sender: Sender = sender or functools.partial(
            send_with_apprise, allowed_hosts=tuple(settings.notify_allowed_hosts)
        )
        self.clock = clock
        self.trigger_interval = timedelta(seconds=60)
        self._triggers_ran_at: datetime | None = None

    async def claim(self) -> list[dict[str, Any]]:
        now = self.clock()
        async with db.write_transaction():
            due = await OutboxMessage.raw(
                CLAIM_QUERY + db.skip_locked_clause(),
                now,
                now,
                self.batch_size,
            )
            claimed = []
            for row in due:
                reclaimed = 1 if row["status"] == "sending" else 0
                await OutboxMessage.raw(
                    "UPDATE notification_outbox SET status = 'sending', lease_until = {}, "
                    "leased_by = {}, attempts = attempts + 1, "
                    "reclaimed_after_lease = reclaimed_after_lease + {}, updated_at = {} "
                    "WHERE id = {}",
                    now + self.lease,
                    self.name,
                    reclaimed,
                    now,
                    row["id"],
                )
                claimed.append(row["id"])
            if not claimed:
                return []
            rows = await OutboxMessage.select().where(OutboxMessage.id.is_in(claimed))
        return list(rows)

    async def deliver(self, row: dict[str, Any]) -> None:
        if row["target_url"] is None:
            await self._finish(row, delivered=False, error=row["last_error"] or "no target")
            return
        delivered, error = await anyio.to_thread.run_sync(
            self.sender,
            row["target_url"],
            row["subject"],
            row["body"],
            row["event_key"],
            row["link"],
        )
        await self._finish(row, delivered=delivered, error=error)

    async def _finish(self, row: dict[str, Any], *, delivered: bool, error: str | None) -> None:
        now = self.clock()
        async with db.write_transaction():
            await db.lock_row("notification_outbox", row["id"])
            current = (
                await OutboxMessage.select(OutboxMessage.leased_by, OutboxMessage.status)
                .where(OutboxMessage.id == row["id"])
                .first()
            )
            await DeliveryAttempt.insert(
                DeliveryAttempt(
                    id=uuid4(),
                    message_id=row["id"],
                    attempt=row["attempts"],
                    worker=self.name,
                    outcome="sent" if delivered else "failed",
                    error=error,
                    at=now,
                )
            )
            if (
                current is None
                or current["status"] != "sending"
                or current["leased_by"] != self.name
            ):
                # Our lease ran out and another worker took the row over: record what we did,
                # leave its state to the worker that holds it now.
                return
            changes: dict[Any, Any] = {"updated_at": now, "lease_until": None}
            if delivered:
                changes.update(status="sent", sent_at=now, last_error=None)
            elif row["target_url"] is None or row["attempts"] >= row["max_attempts"]:
                changes.update(status="dead", last_error=error)
            else:
                delay = backoff_delay(row["attempts"], base=self.backoff_base_seconds)
                changes.update(
                    status="failed",
                    last_error=error,
                    next_attempt_at=now + timedelta(seconds=delay),
                )
            await OutboxMessage.update(changes).where(OutboxMessage.id == row["id"])
        if not delivered:
            log.warning(
                "notification %s to %s failed (attempt %s): %s",
                row["id"],
                row["target_masked"],
                row["attempts"],
                error,
            )

    async def run_once(self) -> int:
        """Run the time triggers, then claim and deliver one batch. Returns how many were handled."""
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
        rows = await self.claim()
        for row in rows:
            await self.deliver(row)
        return len(rows)

    async def run_forever(
        self, *, poll_seconds: float = 2.0, stop: asyncio.Event | None = None
    ) -> None:
        stop = stop or asyncio.Event()
        log.info("worker %s started", self.name)
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("worker %s: a round failed; retrying after a pause", self.name)
                handled = 0
            if not handled:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
                except TimeoutError:
                    pass
