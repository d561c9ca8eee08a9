from piccolo.columns import JSON, UUID, BigInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One state change, written in the transaction that makes it. A writer inserts it unchained:
    a provisional negative ``seq``, empty hashes, and ``txid`` its transaction's id. The sealer
    then gives it its place (``seq`` from 1 up) and its ``prev_hash`` and ``hash``, once; after
    that the row never changes. See docs/audit.md."""

    id = UUID(primary_key=True, default=UUID4())
    seq = BigInt(unique=True)
    txid = BigInt(default=0)
    occurred_at = Timestamptz()
    actor_id = UUID(null=True, default=None)
    actor_label = Varchar(length=200)
    action = Varchar(length=100, index=True)
    object_type = Varchar(length=50)
    object_id = Varchar(length=100, index=True)
    summary = JSON()
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class AuditHead(Table, tablename="audit_head"):
    """The chain's end as of the last append (one row, ``chain`` = "audit_event"), moved in the
    same transaction as every sealing. ``mac`` is an HMAC under a key that is not in the database
    (SPOTCHECK_AUDIT_KEY), so cutting or rewriting the end of the chain cannot be hidden by
    rewriting this row too."""

    id = UUID(primary_key=True, default=UUID4())
    chain = Varchar(length=50, unique=True)
    seq = BigInt()
    hash = Varchar(length=64)
    discrepancy = Text(default="")
    mac = Varchar(length=64)
    updated_at = Timestamptz()


TABLES = [AuditEvent, AuditHead]
