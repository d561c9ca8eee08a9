"""Written by hand: the sealed dossier sample (issue 14 item 3): a plan's sample per target unit,
and the inspector's paper-against-system check of each sampled dossier.

Additive: two new tables, no existing data touched. The unique index on (inspection_id,
dossier_code) comes in the next migration (a raw step runs before the tables of its own migration
are created).
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, UUID, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Sealed dossier samples and the checks of sampled dossiers"

Columns = list[tuple[str, Any, dict[str, Any]]]

NULL = {"null": True, "default": None}

SAMPLE_COLUMNS: Columns = [
    ("id", UUID, {"default": UUID4(), "primary_key": True}),
    ("plan_id", UUID, {"default": UUID4(), "index": True}),
    ("unit_id", UUID, {"default": UUID4()}),
    ("inspection_id", UUID, {**NULL, "index": True}),
    ("pool", JSON, {"default": "[]"}),
    ("pool_digest", Varchar, {"length": 64, "default": ""}),
    ("sample_digest", Varchar, {"length": 64, "default": ""}),
    ("allocation", JSON, {"default": "{}"}),
    ("dossiers", JSON, {"default": "[]"}),
    ("created_at", Timestamptz, {"default": TimestamptzNow()}),
]

CHECK_COLUMNS: Columns = [
    ("id", UUID, {"default": UUID4(), "primary_key": True}),
    ("inspection_id", UUID, {"default": UUID4(), "index": True}),
    ("dossier_code", Varchar, {"length": 100, "default": ""}),
    ("checks", JSON, {"default": "{}"}),
    ("paper", JSON, {"default": "{}"}),
    ("note", Text, NULL),
    ("evidence", JSON, {"default": "[]"}),
    ("device_time", Timestamptz, {"default": TimestamptzNow()}),
    ("ordering_time", Timestamptz, {"default": TimestamptzNow()}),
    ("received_at", Timestamptz, {"default": TimestamptzNow()}),
    ("author_id", UUID, {"default": UUID4()}),
    ("op_id", UUID, NULL),
]

TABLES: list[tuple[str, str, Columns]] = [
    ("DossierSample", "dossier_sample", SAMPLE_COLUMNS),
    ("DossierCheck", "dossier_check", CHECK_COLUMNS),
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
