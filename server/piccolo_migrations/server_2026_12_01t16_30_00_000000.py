"""Written by hand: the outbox's rows still to send, in the order they fall due (a partial index
on ``next_attempt_at`` over the statuses the worker's claim chooses from; raw SQL both engines
run, which Piccolo columns cannot declare).

The claim walks this index from its start and stops at the batch's last row: sent and dead rows
are not in it, so it never walks past them, and the rows still to send are never all read and
sorted to take the first few, which PostgreSQL did at every claim when the table's statistics said
nothing of a burst (an outbox analysed while nearly empty, or not yet analysed): 3,000 rows read
and sorted for each batch of four.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Notification outbox: a partial index of the rows still to send, by due time"

INDEXES = [
    (
        "notification_outbox_due",
        "notification_outbox (next_attempt_at) WHERE status IN ('pending', 'failed', 'sending')",
    )
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES:
            await RawTable.raw(f"CREATE INDEX {name} ON {target}")

    async def drop_indexes():
        for name, _target in INDEXES:
            await RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
