from piccolo.columns import JSON, UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class OutboxMessage(Table, tablename="notification_outbox"):
    """One message to one target. Written in the transaction of the change that causes it, then
    delivered by the worker: pending → sending (leased) → sent, or failed (retried with backoff)
    → dead after the last attempt. ``(event_key, target_sha256)`` is unique, so an event is never
    queued twice for the same target. ``target_url`` carries secrets: never log or return it."""

    id = UUID(primary_key=True, default=UUID4())
    event_key = Varchar(length=300)
    event_type = Varchar(length=50, index=True)
    recipient_kind = Varchar(length=20)  # "unit", "user" or "oversight"
    recipient_id = UUID(null=True, default=None)
    target_url = Text(null=True, default=None)
    target_masked = Varchar(length=500)
    target_sha256 = Varchar(length=64)
    language = Varchar(length=5)
    subject = Text()
    body = Text()
    link = Text(null=True, default=None)
    payload = JSON(default={})
    status = Varchar(length=20, index=True)
    attempts = Integer(default=0)
    max_attempts = Integer(default=6)
    reclaimed_after_lease = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    lease_until = Timestamptz(null=True, default=None)
    leased_by = Varchar(length=100, null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class DeliveryAttempt(Table, tablename="notification_attempt"):
    id = UUID(primary_key=True, default=UUID4())
    message_id = UUID(index=True)
    attempt = Integer()
    worker = Varchar(length=100)
    outcome = Varchar(length=20)  # "sent" or "failed"
    error = Text(null=True, default=None)
    at = Timestamptz()


class TriggerRun(Table, tablename="notification_trigger_run"):
    """Marks a time-based trigger as done for one period (e.g. the digest of 2026-11-28)."""

    id = UUID(primary_key=True, default=UUID4())
    trigger_key = Varchar(length=200, unique=True)
    ran_at = Timestamptz()


TABLES = [OutboxMessage, DeliveryAttempt, TriggerRun]
