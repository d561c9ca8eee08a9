"""Written by hand: `checklist_version_template_key` is dropped; the unique index on
(template_key, version) begins with the same column and answers every lookup it served (see the
server app's migration 2026-12-01T16:00:00 for the others)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T16:00:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "Drop checklist_version_template_key (covered by the (template_key, version) index)"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="checklists", description=DESCRIPTION)

    async def drop_covered_index():
        await RawTable.raw("DROP INDEX checklist_version_template_key")

    async def create_it_again():
        await RawTable.raw(
            "CREATE INDEX checklist_version_template_key ON checklist_version (template_key)"
        )

    manager.add_raw(drop_covered_index)
    manager.add_raw_backwards(create_it_again)
    return manager
