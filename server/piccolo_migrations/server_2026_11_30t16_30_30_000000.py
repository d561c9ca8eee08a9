"""Written by hand: the dossier ledger's composite unique indexes.

Piccolo's columns cannot declare a composite unique constraint, so these are raw indexes (plain
SQL both engines run): one dossier per (unit_id, dossier_code), the key of a re-import's upsert,
and one import per (unit_id, sha256), so two concurrent uploads of the same file cannot both be
stored.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T16:30:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Dossier ledgers: one dossier per unit and code, one import per unit and file"

INDEXES = [
    ("dossier_unit_code_unique", "dossier (unit_id, dossier_code)"),
    ("dossier_ledger_import_unit_sha256_unique", "dossier_ledger_import (unit_id, sha256)"),
]


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
