"""Written by hand: an answer remembers whether the phone took it from the dossier ledger
(``source``), and, once the inspection is submitted, what the ledger said and how the answer
compares (``ledger``). Both nullable: existing answers keep their meaning (no source, not judged).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Answers taken from the dossier ledger: their source and the ledger's value"

COMMON = {
    "null": True,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Answer",
        tablename="inspection_answer",
        column_name="source",
        db_column_name="source",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 30, "default": None, **COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="Answer",
        tablename="inspection_answer",
        column_name="ledger",
        db_column_name="ledger",
        column_class_name="JSON",
        column_class=JSON,
        params={"default": None, **COMMON},
        schema=None,
    )
    return manager
