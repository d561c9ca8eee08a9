from piccolo.columns import JSON, UUID, BigInt, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One state change. Rows are only ever inserted; ``hash`` chains each row to the one before."""

    id = UUID(primary_key=True, default=UUID4())
    seq = BigInt(unique=True, index=True)
    occurred_at = Timestamptz()
    actor_id = UUID(null=True, default=None)
    actor_label = Varchar(length=200)
    action = Varchar(length=100, index=True)
    object_type = Varchar(length=50)
    object_id = Varchar(length=100, index=True)
    summary = JSON()
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


TABLES = [AuditEvent]
