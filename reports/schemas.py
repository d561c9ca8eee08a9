"""What the summary, ranking and export endpoints return. Figures only: no rows of other
packages' tables cross this boundary."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from server.dossiers.schemas import IndicatorsOut


class UnitRef(BaseModel):
    id: UUID
    code: str
    name_vi: str
    name_en: str


class PeriodOut(BaseModel):
    period_from: date
    period_to: date
    days: int


class BandOut(BaseModel):
    key: str | None = Field(description="The band's key; null for started but not yet scored")
    label_vi: str
    label_en: str
    min_score: float | None
    count: int
    share: float = Field(description="Share of the counted inspections, 0..1")


class InspectionCounts(BaseModel):
    done: int = Field(description="Started, not cancelled, visit date in the period")
    scored: int = Field(description="Of those, submitted with a score")
    by_status: dict[str, int]


class RankedUnitOut(BaseModel):
    unit: UnitRef
    rank: int = Field(description="Competition ranking: equal averages share a rank (1, 2, 2, 4)")
    inspections: int
    scored_inspections: int
    average_score: float
    band: str | None
    band_label_vi: str | None
    previous_rank: int | None
    rank_change: int | None = Field(
        description="Previous rank minus this rank: positive = moved up; null if not ranked then"
    )
    previous_average_score: float | None
    score_change: float | None


class InsufficientUnitOut(BaseModel):
    unit: UnitRef
    inspections: int
    scored_inspections: int
    average_score: float | None = Field(description="For information only; not ranked")
    reason: str = "insufficient_data"


class RankingOut(BaseModel):
    scope_unit: UnitRef
    period: PeriodOut
    previous_period: PeriodOut
    min_inspections: int
    ranked: list[RankedUnitOut]
    insufficient_data: list[InsufficientUnitOut] = Field(
        description="Units with fewer scored inspections than min_inspections: listed, not ranked"
    )


class SectionOut(BaseModel):
    key: str
    title_vi: str
    title_en: str


class HeatmapCellOut(BaseModel):
    section_key: str
    average_score: float | None
    inspections: int
    band: str | None


class HeatmapRowOut(BaseModel):
    unit: UnitRef | None = Field(description="null for the row of the whole scope")
    label: str
    cells: list[HeatmapCellOut]


class SectionResultsOut(BaseModel):
    sections: list[SectionOut]
    overall: HeatmapRowOut
    rows: list[HeatmapRowOut]


class FindingCountOut(BaseModel):
    category: str
    severity: str
    count: int


class FindingsOut(BaseModel):
    total: int
    by_severity: dict[str, int]
    by_category: dict[str, int]
    cells: list[FindingCountOut]


class ActionFigures(BaseModel):
    total: int
    open: int = Field(description="Not verified yet (any state before verified)")
    overdue: int = Field(description="Not verified and past the due time, as of generated_at")
    verified: int
    verified_on_time: int = Field(description="Verified at or before the due time")
    verified_late: int


class ActionUnitOut(ActionFigures):
    unit: UnitRef


class ActionsOut(ActionFigures):
    by_responsible_unit: list[ActionUnitOut]


class IndicatorChangeOut(BaseModel):
    """From the previous period to this one: shares in percentage points (rounded to 0.1; null
    when either period has nothing to divide by), the backlog in dossiers."""

    online_points: float | None
    online_payment_points: float | None
    on_time_points: float | None
    flagged_points: float | None
    backlog: int


class UnitIndicatorsOut(BaseModel):
    unit: UnitRef | None = Field(description="Null for the scope's totals")
    current: IndicatorsOut | None = Field(
        description="Null when the unit has no dossier that counts in the period"
    )
    previous: IndicatorsOut | None = Field(description="The previous period of the same length")
    change: IndicatorChangeOut | None = Field(description="Null unless both periods have data")


class DossierIndicatorsOut(BaseModel):
    """Dossier indicators from the units' stored ledgers (docs/dossier-ledgers.md, "Indicators"),
    for the summary's period and the one before it, by the day a dossier was received."""

    units: list[UnitIndicatorsOut] = Field(description="Units with ledger data, by name")
    totals: UnitIndicatorsOut = Field(
        description="The scope's totals: numerators and denominators added over the units"
    )


class SummaryOut(BaseModel):
    scope_unit: UnitRef
    period: PeriodOut
    previous_period: PeriodOut
    generated_at: datetime
    time_zone: str = Field(description="The scope unit's time zone, for showing times")
    min_inspections: int
    inspections: InspectionCounts
    average_score: float | None
    previous_average_score: float | None
    bands: list[BandOut]
    ranking: RankingOut
    section_results: SectionResultsOut
    findings: FindingsOut
    actions: ActionsOut
    dossier_indicators: DossierIndicatorsOut | None = Field(
        default=None,
        description="Online, online payment, on-time and flagged shares and the backlog per unit "
        "with a dossier ledger, with the change from the previous period; null when no unit of "
        "the scope has ledger data for either period",
    )


class ExportKind(StrEnum):
    inspections = "inspections"
    answers = "answers"
    findings = "findings"
    actions = "actions"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
