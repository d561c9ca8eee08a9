"""Written by hand: an event is queued at most once per target.

Two workers (or a retried trigger) racing to queue the same event for the same target must not
leave two rows; the second insert fails on this index and its transaction is retried as a no-op.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T03:04:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique outbox row per event and target"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX notification_outbox_event_target_unique "
            "ON notification_outbox (event_key, target_sha256)"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX notification_outbox_event_target_unique")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
