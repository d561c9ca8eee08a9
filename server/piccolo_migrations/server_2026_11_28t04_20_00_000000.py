"""Written by hand: one signature per role and inspection.

Two phones signing the same role at the same moment must not both succeed; with the inspection
row locked the service already refuses the second, and this index makes it hold regardless.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique signature per inspection and role"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX inspection_signature_role_unique "
            "ON inspection_signature (inspection_id, signer_role)"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX inspection_signature_role_unique")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
