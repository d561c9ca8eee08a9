"""What the dossier-ledger routes answer: explicit models at the HTTP boundary."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from server.core.errors import ProblemDetails
from server.core.timeutil import SaneDate, SaneDatetime

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


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
    detail: str = Field(
        description="What the dossier shows, in the request's language (`?lang=`, else the "
        "user's language)"
    )
    detail_vi: str = Field(description="The detail in Vietnamese")
    detail_en: str = Field(description="The detail in English")
    legal_basis: str | None


class LedgerIssueOut(BaseModel):
    """One problem of a refused ledger, located as a person looks for it in the spreadsheet."""

    line: int | None = Field(description="The row as the spreadsheet numbers it (CSV: the line)")
    column: str | None = Field(description="The column's letter: A, B, …, AA")
    column_number: int | None
    header: str | None = Field(description="The column's header as the file wrote it")
    field: str | None = Field(description="The canonical field")
    value: str | None = Field(description="The cell as read, shortened")
    message: str = Field(
        description="What was wrong and what is accepted, in the request's language"
    )
    message_vi: str
    message_en: str


class LedgerRefusalOut(ProblemDetails):
    """A refused import (409, 415, 422): `detail` in the request's language, and in both
    (`detail_vi`, `detail_en`; absent on a framework's own 422 for a malformed form). When the
    ledger itself was refused (422, nothing was saved), `issues` and `issue_count` too."""

    detail_vi: str | None = Field(default=None, description="`detail` in Vietnamese")
    detail_en: str | None = Field(default=None, description="`detail` in English")
    issue_count: int | None = Field(
        default=None, description="Every problem found, also those not listed"
    )
    issues: list[LedgerIssueOut] | None = Field(
        default=None, description="The first 200 problems, in file order"
    )


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


# --- the sealed sample (docs/dossier-ledgers.md, "Sealed sample") --------------------------------


class StratumField(StrEnum):
    procedure = "procedure"
    channel = "channel"


class DossierSampleIn(BaseModel):
    """What a plan's sealed dossier sample draws, for each target unit with a ledger."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(default=10, ge=1, le=100, description="Dossiers per unit (fewer if fewer)")
    period_from: SaneDate = Field(description="First day received (local) of the pool")
    period_to: SaneDate = Field(description="Last day received (local); flags judged at its end")
    strata: list[StratumField] = Field(
        default_factory=lambda: [StratumField.channel],
        max_length=2,
        description="Fields that split the pool; the sample is allocated in proportion",
    )
    flagged_weight: float = Field(
        default=3,
        ge=1,
        le=10,
        allow_inf_nan=False,
        description="How much more likely a dossier a ledger rule flags is drawn (to 0.01)",
    )

    @model_validator(mode="after")
    def _period_in_order(self) -> DossierSampleIn:
        if self.period_to < self.period_from:
            raise ValueError("dossier_sample.period_to is before period_from")
        if len(set(self.strata)) != len(self.strata):
            raise ValueError("dossier_sample.strata names a field twice")
        return self


class SystemValuesOut(BaseModel):
    """A sampled dossier as the one-stop system's ledger gave it when the plan was sealed (times
    with their offset in the unit's zone; a date alone when the ledger gave no time; null when
    the ledger has none)."""

    received_at: str | None
    appointed_at: str | None
    resolved_at: str | None
    returned_at: str | None
    component_files: int | None
    result_file: bool | None
    fee: int | None
    fee_paid_online: bool | None


class SampledDossier(BaseModel):
    dossier_code: str
    procedure_code: str | None
    procedure_name: str | None
    channel: str | None = Field(description="in_person, online or post; null when unknown")
    stratum: str
    flags: list[str] = Field(description="Ledger rules that flag it (rule ids)")
    system: SystemValuesOut


class CheckValue(StrEnum):
    match = "match"
    mismatch = "mismatch"
    not_checked = "not_checked"


class DossierChecksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    received: CheckValue = CheckValue.not_checked
    resolved: CheckValue = CheckValue.not_checked
    returned: CheckValue = CheckValue.not_checked
    components: CheckValue = CheckValue.not_checked
    result: CheckValue = CheckValue.not_checked
    fee_receipt: CheckValue = CheckValue.not_checked
    # Added after the first six (an op without it leaves it not checked): whether the paper file
    # holds the receipt-and-appointment slip (form 01) matching the system's code and dates.
    receipt_slip: CheckValue = CheckValue.not_checked


class PaperDatesIn(BaseModel):
    """What the paper file shows."""

    model_config = ConfigDict(extra="forbid")

    received_at: SaneDatetime | None = None
    resolved_at: SaneDatetime | None = None
    returned_at: SaneDatetime | None = None


class DossierCheckIn(BaseModel):
    """The ``dossier_check`` op: paper against system for one sampled dossier."""

    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    dossier_code: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    checks: DossierChecksIn
    paper: PaperDatesIn | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    evidence: list[Sha256] = Field(default_factory=list, max_length=20)
    device_time: SaneDatetime


class DossierCheckOut(BaseModel):
    inspection_id: UUID
    dossier_code: str
    checks: dict[str, str]
    paper: dict[str, str | None]
    note: str | None
    evidence: list[str]
    device_time: datetime
    received_at: datetime
    author_id: UUID


class PlanDossierSampleOut(BaseModel):
    """One target unit's sealed sample, as the plan's creator and leaders above see it."""

    unit_id: UUID
    inspection_id: UUID | None
    pool_size: int = Field(description="Dossiers received in the period that it was drawn from")
    allocation: dict[str, int] = Field(description="Dossiers drawn per stratum")
    dossiers: list[SampledDossier]


class SampleVerifyOut(BaseModel):
    """Recomputing one unit's sample from the sealed pool and the revealed nonce."""

    unit_id: UUID
    pool_matches: bool = Field(description="The stored pool is the one the document binds")
    sample_matches: bool = Field(
        description="Redrawing gives the stored sample and the document's digest"
    )
    size: int


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


class PostedFeeOut(BaseModel):
    code: str = Field(description="The procedure code, as in a ledger's procedure column")
    name: str
    fee: int = Field(description="Whole VND; 0: none due")
    per: Literal["dossier", "page"] = Field(
        description="`page`: a fee per page, which a ledger cannot show to be wrong (not compared)"
    )
    basis: str | None


class FeeCatalogueOut(BaseModel):
    """The posted-fee catalogue the fee rules compare with (`SPOTCHECK_FEE_CATALOGUE`)."""

    catalogue: str | None = Field(description="Its key; null: none, the fee rules are off")
    province: str | None
    resolution: str | None = Field(description="The People's Council resolution setting the fees")
    verified: bool | None = Field(
        description="false: the amounts come from secondary sources, not checked in the gazette"
    )
    procedures: list[PostedFeeOut]


class LedgerRuleOut(BaseModel):
    """A rule run over every dossier: its names in words and what it rests on."""

    rule: str
    severity: str
    title_vi: str
    title_en: str
    legal_bases: list[LegalBasisOut]
