"""Written by hand: one dossier check per (inspection, dossier code), the key of the check op's
last-writer-wins upsert (raw SQL both engines run; Piccolo columns cannot declare it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T10:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Dossier checks: one per inspection and dossier code"

INDEXES = [("dossier_check_inspection_code_unique", "dossier_check (inspection_id, dossier_code)")]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES:
            await RawTable.raw(f"CREATE UNIQUE INDEX {name} ON {target}")

    async def drop_indexes():
        for name, _target in INDEXES:
            await RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
