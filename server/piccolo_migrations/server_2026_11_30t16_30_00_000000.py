"""Written by hand: dossier ledgers (issue 14): imports, dossiers keyed by (unit, code), history.

The composite unique indexes come in the next migration (a raw step runs before the tables of
its own migration are created).
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Date,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Dossier ledgers: imports, dossiers and their history"

Columns = list[tuple[str, Any, dict[str, Any]]]

NULL = {"null": True, "default": None}

IMPORT_COLUMNS: Columns = [
    ("id", UUID, {"default": UUID4(), "primary_key": True}),
    ("unit_id", UUID, {"default": UUID4(), "index": True}),
    ("layout", Varchar, {"length": 100, "default": ""}),
    ("file_format", Varchar, {"length": 10, "default": ""}),
    ("sha256", Varchar, {"length": 64, "default": ""}),
    ("file_name", Varchar, {"length": 255, "default": ""}),
    ("row_count", Integer, {"default": 0}),
    ("created_count", Integer, {"default": 0}),
    ("updated_count", Integer, {"default": 0}),
    ("unchanged_count", Integer, {"default": 0}),
    ("period_start", Date, NULL),
    ("period_end", Date, NULL),
    ("imported_by_id", UUID, NULL),
    ("imported_by_label", Varchar, {"length": 200, "default": ""}),
    ("imported_at", Timestamptz, {"default": TimestamptzNow(), "index": True}),
    ("summary", JSON, {"default": "{}"}),
]

DOSSIER_COLUMNS: Columns = [
    ("id", UUID, {"default": UUID4(), "primary_key": True}),
    ("unit_id", UUID, {"default": UUID4(), "index": True}),
    ("dossier_code", Varchar, {"length": 100, "default": ""}),
    ("import_id", UUID, {"default": UUID4(), "index": True}),
    ("received_day", Date, {"default": DateNow()}),
    ("received_at", Timestamptz, NULL),
    ("appointed_return_day", Date, {"default": DateNow()}),
    ("appointed_return_at", Timestamptz, NULL),
    ("procedure_code", Varchar, {"length": 100, **NULL}),
    ("procedure_name", Text, NULL),
    ("channel", Varchar, {"length": 20, **NULL}),
    ("handling_agency", Text, NULL),
    ("transferred_day", Date, NULL),
    ("transferred_at", Timestamptz, NULL),
    ("resolved_day", Date, NULL),
    ("resolved_at", Timestamptz, NULL),
    ("returned_day", Date, NULL),
    ("returned_at", Timestamptz, NULL),
    ("component_files", Integer, NULL),
    ("result_file_present", Boolean, NULL),
    ("fee", BigInt, NULL),
    ("paid_online", Boolean, NULL),
    ("apology_slips", JSON, {"default": "[]"}),
    ("new_appointed_returns", JSON, {"default": "[]"}),
    ("supplement_requests", Integer, NULL),
    ("status", Varchar, {"length": 30, **NULL}),
    ("updated_at", Timestamptz, {"default": TimestamptzNow()}),
]

HISTORY_COLUMNS: Columns = [
    ("id", UUID, {"default": UUID4(), "primary_key": True}),
    ("dossier_id", UUID, {"default": UUID4(), "index": True}),
    ("unit_id", UUID, {"default": UUID4(), "index": True}),
    ("dossier_code", Varchar, {"length": 100, "default": ""}),
    ("previous", JSON, {"default": "{}"}),
    ("previous_import_id", UUID, {"default": UUID4()}),
    ("replaced_by_import_id", UUID, {"default": UUID4(), "index": True}),
    ("replaced_at", Timestamptz, {"default": TimestamptzNow()}),
]

TABLES: list[tuple[str, str, Columns]] = [
    ("DossierLedgerImport", "dossier_ledger_import", IMPORT_COLUMNS),
    ("Dossier", "dossier", DOSSIER_COLUMNS),
    ("DossierHistory", "dossier_history", HISTORY_COLUMNS),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)
    for class_name, tablename, columns in TABLES:
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={
                    "null": False,
                    "primary_key": False,
                    "unique": False,
                    "index": False,
                    "index_method": IndexMethod.btree,
                    "choices": None,
                    "db_column_name": None,
                    "secret": False,
                    **params,
                },
                schema=None,
            )

    return manager
