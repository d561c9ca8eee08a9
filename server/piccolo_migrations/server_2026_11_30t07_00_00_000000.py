"""Written by hand: the audit chain's head, anchored under a key that is not in the database.

One row (``chain`` = "audit_event") holding the seq and hash of the chain's last row and an HMAC
of them, moved by every append. A database that already has events gets no head here (the key is
not known to migrations, and a head made without it would vouch for nothing): `spotcheck audit
verify` reports it as not anchored until `spotcheck audit anchor` is run once (docs/audit.md).
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, BigInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Audit chain head"

COLUMNS: list[tuple[str, Any, dict[str, Any]]] = [
    ("id", UUID, {"default": UUID4(), "primary_key": True}),
    ("chain", Varchar, {"length": 50, "default": "", "unique": True}),
    ("seq", BigInt, {"default": 0}),
    ("hash", Varchar, {"length": 64, "default": ""}),
    ("discrepancy", Text, {"default": ""}),
    ("mac", Varchar, {"length": 64, "default": ""}),
    ("updated_at", Timestamptz, {"default": TimestamptzNow()}),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)
    manager.add_table(class_name="AuditHead", tablename="audit_head", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="AuditHead",
            tablename="audit_head",
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
