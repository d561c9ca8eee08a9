"""Written by hand: audit events are written without a lock and chained afterwards.

`txid` is the writing transaction's id (PostgreSQL; 0 on SQLite), which tells the sealer when no
earlier event can still be committed. Events not chained yet carry a provisional negative `seq`,
drawn on PostgreSQL from `audit_event_pending_seq` so that writers never wait for one another.
Existing rows are all chained already (their `seq` is positive), so they keep `txid` = 0 and
nothing about them or their hashes changes (docs/audit.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-11-30T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Audit events written without a lock, chained by a sealer"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)
    manager.add_column(
        table_class_name="AuditEvent",
        tablename="audit_event",
        column_name="txid",
        db_column_name="txid",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def create_sequence():
        if isinstance(RawTable._meta.db, PostgresEngine):
            await RawTable.raw("CREATE SEQUENCE IF NOT EXISTS audit_event_pending_seq")

    async def drop_sequence():
        if isinstance(RawTable._meta.db, PostgresEngine):
            await RawTable.raw("DROP SEQUENCE IF EXISTS audit_event_pending_seq")

    manager.add_raw(create_sequence)
    manager.add_raw_backwards(drop_sequence)
    return manager
