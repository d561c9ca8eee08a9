"""Written by hand: one stored document per inspection and language, and minutes numbers unique
per issuing body and year (two renders racing can never store two files or reuse a number)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T03:11:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique minutes documents and numbers"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def create_indexes():
        await RawTable.raw(
            "CREATE UNIQUE INDEX minutes_document_inspection_language_unique "
            "ON minutes_document (inspection_id, language)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX minutes_number_issuer_year_number_unique "
            "ON minutes_number (issuing_unit_id, year, number)"
        )

    async def drop_indexes():
        await RawTable.raw("DROP INDEX minutes_document_inspection_language_unique")
        await RawTable.raw("DROP INDEX minutes_number_issuer_year_number_unique")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
