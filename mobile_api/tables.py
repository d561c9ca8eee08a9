from piccolo.columns import JSON, UUID, Timestamptz, Varchar
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


TABLES = [SyncOperation]
