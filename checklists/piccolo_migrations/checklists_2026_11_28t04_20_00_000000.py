"""Written by hand: one published version per (template key, version number).

The service refuses a second publish of a version; this index makes that hold under concurrent
publishes on PostgreSQL too (the loser's transaction fails and answers 409).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique checklist version per template"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="checklists", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX checklist_version_key_version_unique "
            "ON checklist_version (template_key, version)"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX checklist_version_key_version_unique")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
