"""What the dossier-ledger routes answer: explicit models at the HTTP boundary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class LedgerImportOut(BaseModel):
    id: UUID
    unit_id: UUID
    layout: str
    file_format: str
    sha256: str
    file_name: str
    row_count: int
    created_count: int
    updated_count: int
    unchanged_count: int
    period_start: date | None
    period_end: date | None
    imported_by_label: str
    imported_at: datetime


class ShareOut(BaseModel):
    numerator: int
    denominator: int
    value: float | None  # None when there is nothing to divide by


class IndicatorsOut(BaseModel):
    """A unit's indicators for a period (docs/dossier-ledgers.md, "Indicators")."""

    period_start: date
    period_end: date
    dossiers: int
    online: ShareOut
    online_payment: ShareOut
    on_time: ShareOut
    backlog: int
    pending_at_end: int
    flagged: ShareOut


class FlagCountsOut(BaseModel):
    dossiers: int
    flagged_dossiers: int
    by_rule: dict[str, int]
    by_severity: dict[str, int]


class LedgerImportSummaryOut(BaseModel):
    """An import and what its period adds up to, over the unit's stored dossiers received in it.

    ``already_imported`` is true when this very file had been imported before: the answer is
    then that first import, and nothing was written."""

    ledger_import: LedgerImportOut
    already_imported: bool
    flags: FlagCountsOut
    indicators: IndicatorsOut | None


class FlagOut(BaseModel):
    rule: str
    severity: str
    detail: str
    legal_basis: str | None


class FlaggedDossierOut(BaseModel):
    dossier_code: str
    procedure_code: str | None
    procedure_name: str | None
    channel: str | None
    status: str | None
    received: date
    appointed_return: date
    resolved: date | None
    returned: date | None
    import_id: UUID
    flags: list[FlagOut]


class PrefillSourceOut(BaseModel):
    """Where a pre-filled value comes from: the unit's stored dossier ledger, over a period."""

    kind: Literal["dossier_ledger"] = "dossier_ledger"
    period_from: date
    period_to: date
    dossiers: int = Field(description="Dossiers received in the period")
    as_of: datetime = Field(description="When the unit's latest ledger import was made")


class PrefillValueOut(BaseModel):
    """A checklist item's value from the ledger: `value` for a count item, `numerator` and
    `denominator` for a percent item."""

    value: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    source: PrefillSourceOut
