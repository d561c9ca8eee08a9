"""Written by hand: a dossier stored from a form-06 ledger has unknown apology slips.

Until now a record's slips were an empty list both when the ledger showed no slip and when its
layout had no slip column, and the dossiers of form-06 imports were stored with ``[]``: read
back, ``late_without_apology`` fired on every late one. Unknown slips are now the JSON value
``null`` (the column stays NOT NULL; ``[]`` keeps meaning "no slip"). This sets it on the
dossiers last written by a form-06 import, the one shipped layout without a slip column when
this was written (layouts are data that may change later; this migration must not).

The summaries those imports were answered with (a cache, counted with the false flags) are
emptied; the service works an emptied one out again from the stored dossiers when the same file
is sent again. The history rows (previous values) are left as they were written.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Dossiers from form-06 ledgers: apology slips unknown (null), not none ([])"

LAYOUTS_WITHOUT_SLIPS = ("form-06",)


class RawTable(Table):
    pass


def _imports() -> str:
    layouts = ", ".join(f"'{layout}'" for layout in LAYOUTS_WITHOUT_SLIPS)
    return f"SELECT id FROM dossier_ledger_import WHERE layout IN ({layouts})"  # noqa: S608


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def slips_unknown():
        await RawTable.raw(
            f"UPDATE dossier SET apology_slips = 'null' WHERE import_id IN ({_imports()})"  # noqa: S608
        )
        # The empty object goes as a parameter: Piccolo reads "{}" in raw SQL as a placeholder.
        await RawTable.raw(
            f"UPDATE dossier_ledger_import SET summary = {{}} WHERE id IN ({_imports()})",  # noqa: S608
            "{}",
        )

    async def slips_empty():
        # The summaries stay emptied: the service works them out again when asked.
        await RawTable.raw(
            f"UPDATE dossier SET apology_slips = '[]' WHERE import_id IN ({_imports()})"  # noqa: S608
        )

    manager.add_raw(slips_unknown)
    manager.add_raw_backwards(slips_empty)
    return manager
