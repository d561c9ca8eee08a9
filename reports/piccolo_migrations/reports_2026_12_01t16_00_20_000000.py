"""Written by hand: `minutes_document_inspection_id` and `minutes_number_issuing_unit_id` are
dropped; the unique index of each table begins with the same column and answers every lookup they
served (see the server app's migration 2026-12-01T16:00:00 for the others)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T16:00:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "Drop two minutes indexes that the tables' unique indexes cover"

COVERED = (("minutes_document", "inspection_id"), ("minutes_number", "issuing_unit_id"))


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def drop_covered_indexes():
        for table, column in COVERED:
            await RawTable.raw(f"DROP INDEX {table}_{column}")

    async def create_them_again():
        for table, column in COVERED:
            await RawTable.raw(f"CREATE INDEX {table}_{column} ON {table} ({column})")

    manager.add_raw(drop_covered_indexes)
    manager.add_raw_backwards(create_them_again)
    return manager
