"""Written by hand: the indexes that another index already answers for are dropped.

Each of these is on one column that a unique or report index on the same table begins with (same
columns, same collation), so every lookup it served the longer index serves as well; each still
cost an index entry on every insert, and on every update of its column (the sealer gives each
audit event its `seq`: two index entries for one). Which index covers which:

- `audit_event_seq`: the unique index on `seq`.
- `inspection_answer_inspection_id`: `inspection_answer_item_unique` (inspection_id, item_key).
- `inspection_signature_inspection_id`: `inspection_signature_role_unique`.
- `finding_inspection_id`: `finding_report` (inspection_id, category, severity).
- `corrective_action_inspection_id`: `corrective_action_report`.
- `notification_outbox_event_key`: `notification_outbox_event_target_unique`.
- `dossier_ledger_import_unit_id`, `dossier_unit_id`, `dossier_check_inspection_id`: the unique
  index of their table that begins with the column.
- `inspection_unit_path` on SQLite only: `inspection_report_scope` (unit_path, visit_date)
  compares the same bytes there. On PostgreSQL that index is `COLLATE "C"` and the column's own
  collation is the database's, so `LIKE` on the path (custom plans) can use only the plain one: it
  stays.

The checklists and reports apps drop theirs in migrations of their own (their tables are made by
their own migrations, which run after this app's on an empty database).
tests/server/test_migrations.py checks on both engines that no index is left that another begins
with. Going backwards creates them again as Piccolo made them (`CREATE INDEX <table>_<column>`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

ID = "2026-12-01T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Drop indexes that a longer index on the same table already covers"

# (table, column): the index Piccolo named `<table>_<column>`.
COVERED = (
    ("audit_event", "seq"),
    ("inspection_answer", "inspection_id"),
    ("inspection_signature", "inspection_id"),
    ("finding", "inspection_id"),
    ("corrective_action", "inspection_id"),
    ("notification_outbox", "event_key"),
    ("dossier_ledger_import", "unit_id"),
    ("dossier", "unit_id"),
    ("dossier_check", "inspection_id"),
)
COVERED_ON_SQLITE_ONLY = (("inspection", "unit_path"),)


class RawTable(Table):
    pass


def _covered() -> tuple[tuple[str, str], ...]:
    sqlite = isinstance(RawTable._meta.db, SQLiteEngine)
    return COVERED + (COVERED_ON_SQLITE_ONLY if sqlite else ())


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def drop_covered_indexes():
        for table, column in _covered():
            await RawTable.raw(f"DROP INDEX {table}_{column}")

    async def create_them_again():
        for table, column in _covered():
            await RawTable.raw(f"CREATE INDEX {table}_{column} ON {table} ({column})")

    manager.add_raw(drop_covered_indexes)
    manager.add_raw_backwards(create_them_again)
    return manager
