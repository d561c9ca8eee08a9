"""Written by hand: one current answer per (inspection, item).

Concurrent copies of an answer op must never leave two rows for one item; last-writer-wins
updates that single row. Piccolo's columns cannot declare a composite unique constraint.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T02:57:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique answer per inspection item"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX inspection_answer_item_unique "
            "ON inspection_answer (inspection_id, item_key)"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX inspection_answer_item_unique")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
