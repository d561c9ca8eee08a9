from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class SyncOperation(Table, tablename="sync_operation"):
    """Every op a phone has sent, by its client-made id, with the hash of its payload and the
    first result, so a replay (even after a restart) gets the same answer and applies nothing."""

    op_id = UUID(primary_key=True, default=UUID4())
    user_id = UUID(index=True)
    device_id = Varchar(length=200)
    op_type = Varchar(length=30)
    payload_sha256 = Varchar(length=64)
    status = Varchar(length=20)
    result = JSON()
    received_at = Timestamptz()


class Evidence(Table, tablename="evidence"):
    """An evidence file, content-addressed: the original bytes never change once stored."""

    id = UUID(primary_key=True, default=UUID4())
    sha256 = Varchar(length=64, unique=True)
    media_type = Varchar(length=50)
    size_bytes = BigInt()
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    taken_at = Timestamptz(null=True, default=None)
    taken_at_is_local = Boolean(default=False)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    original_path = Varchar(length=500)
    derivative_path = Varchar(length=500, null=True, default=None)
    uploaded_by = UUID()
    uploaded_at = Timestamptz()


TABLES = [SyncOperation, Evidence]
