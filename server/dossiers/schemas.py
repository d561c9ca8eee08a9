"""What the dossier-ledger routes answer: explicit models at the HTTP boundary."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel


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


class LayoutColumnOut(BaseModel):
    field: str  # the canonical field (docs/dossier-ledgers.md, "The canonical record")
    kind: str  # what its cells hold: text, moment, moments, count, flag, money, channel, status
    required: bool
    headers: list[str]  # any of these names, matched ignoring case, diacritics and punctuation


class LedgerLayoutOut(BaseModel):
    """A shipped column layout, as the import screen lists it."""

    id: str
    name_vi: str
    name_en: str
    description: str
    columns: list[LayoutColumnOut]


class LegalBasisOut(BaseModel):
    text: str
    verified: bool  # false: taken from secondary sources, not yet read in the gazette
    valid_from: date | None
    valid_until: date | None


class LedgerRuleOut(BaseModel):
    """A rule run over every dossier: its names in words and what it rests on."""

    rule: str
    severity: str
    title_vi: str
    title_en: str
    legal_bases: list[LegalBasisOut]
