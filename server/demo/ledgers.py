"""The demo's dossier ledgers: a generated quarter of the one-stop system's export for two
communes, with planted late, missing-file, mismatched-time and fee cases (flagged against the
shipped fee catalogue), imported by the district's leader as a user would upload them (CSV in the
generic export layout).

Run again, it does nothing: a commune that has a ledger already is left alone.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import anyio.to_thread

from server.core.scopes import Principal
from server.dossiers import services as dossier_service
from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.tables import DossierLedgerImport
from server.dossiers.writing import write_csv
from server.users import services as user_service
from server.users.tables import AppUser

# (unit code, seed, dossiers in the quarter)
DEMO_LEDGERS: Final = (("TN-PD", 2601, 2400), ("TN-VH", 2602, 1800))
DEMO_LAYOUT: Final = "one-stop-export"
LEDGER_IMPORTER: Final = "lanhdao.trucninh"  # the district's leader, above both communes


def last_full_quarter(today: date) -> tuple[date, date]:
    """The quarter before the one ``today`` is in."""
    first_of_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_of_this - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


def _ledger_file(unit_code: str, seed: int, count: int, period: tuple[date, date]) -> Path:
    ledger = generate_ledger(
        seed, unit_code=unit_code, period_start=period[0], period_end=period[1], count=count
    )
    text = io.StringIO(newline="")
    write_csv(shipped_layout(DEMO_LAYOUT), ledger.records, text)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", prefix=f"demo-{unit_code}-", suffix=".csv", delete=False
    ) as target:
        target.write(text.getvalue())
    return Path(target.name)


async def principal_of(username: str) -> Principal:
    row = await AppUser.select(AppUser.id).where(AppUser.username == username).first()
    principal = await user_service.load_principal(row["id"], None) if row else None
    assert principal is not None, f"demo user {username} is missing"
    return principal


async def load_demo_ledgers(today: date) -> list[str]:
    period = last_full_quarter(today)
    leader = await principal_of(LEDGER_IMPORTER)
    notes = []
    for unit_code, seed, count in DEMO_LEDGERS:
        unit = await dossier_service.unit_by_code(unit_code)
        if await DossierLedgerImport.exists().where(DossierLedgerImport.unit_id == unit.id):
            notes.append(f"{unit_code} ledger already loaded")
            continue
        path = await anyio.to_thread.run_sync(_ledger_file, unit_code, seed, count, period)
        try:
            summary = await dossier_service.import_ledger(
                unit_id=unit.id,
                path=path,
                file_name=f"so-theo-doi-ho-so-{unit_code}-{period[0]:%Y-%m}.csv",
                file_format="csv",
                layout=DEMO_LAYOUT,
                principal=leader,
                period_start=period[0],
                period_end=period[1],
            )
        finally:
            path.unlink(missing_ok=True)
        notes.append(
            f"{unit_code} ledger {period[0]}–{period[1]}: {summary.ledger_import.row_count} "
            f"dossiers, {summary.flags.flagged_dossiers} flagged"
        )
    return notes
