"""The checklist file format: these Pydantic models ARE the schema of a checklist YAML file.

The models check everything that can be checked inside one object (types, required keys, unknown
keys, key patterns, non-empty texts in both languages, `show_if` syntax, count and percent scoring
parameters, photo limits, legal-basis periods). Rules that tie several parts of a file together
(unique keys, point sums, rating bands covering 0–100, `show_if` references and cycles, legal-basis
codes, choice points) live in `checklists.validator`, which reports them with line numbers. Build
templates from files with `checklists.validator.load_template`; `ChecklistTemplate.model_validate`
alone is for data that was validated when it was published.

`python -m checklists.format` prints the JSON schema (also shipped as `checklist.schema.json`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    Strict,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from checklists import expressions

# Item and section keys are used as names in `show_if` expressions, so they must be identifiers.
ITEM_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
CHECKLIST_KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_PATTERN = r"^[a-z0-9]+(?:[-._][a-z0-9]+)*$"


def _reject_keyword(key: str) -> str:
    if key in expressions.KEYWORDS:
        raise ValueError(f"{key!r} is a reserved word of show_if expressions; choose another key")
    return key


def _clean_text(text: str) -> str:
    # Vietnamese diacritics can arrive composed or decomposed depending on the keyboard; NFC makes
    # the same words the same bytes, so the content hash does not depend on who typed them.
    cleaned = unicodedata.normalize("NFC", text).strip()
    if not cleaned:
        raise ValueError("must not be empty")
    return cleaned


def _integral_number_as_int(value: float) -> int | float:
    # Points are floats in memory (0.5-point criteria exist) but `4` should stay `4` in JSON.
    return int(value) if float(value).is_integer() else value


ItemKey = Annotated[str, Field(pattern=ITEM_KEY_PATTERN), AfterValidator(_reject_keyword)]
Code = Annotated[str, Field(pattern=CODE_PATTERN)]
Text = Annotated[str, AfterValidator(_clean_text)]
Number = Annotated[
    float,
    Strict(),
    PlainSerializer(_integral_number_as_int, return_type=int | float),
]
Points = Annotated[Number, Field(ge=0)]
Percentage = Annotated[Number, Field(ge=0, le=100)]
Count = Annotated[int, Strict(), Field(ge=0)]
PositiveCount = Annotated[int, Strict(), Field(ge=1)]


class FormatModel(BaseModel):
    """Every model of the format rejects unknown keys: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class LocalizedText(FormatModel):
    """A text in both working languages; both are required and must not be blank."""

    vi: Text
    en: Text


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class Category(StrEnum):
    DISCIPLINE = "discipline"
    FACILITIES = "facilities"
    TRANSPARENCY = "transparency"
    DOSSIER_HANDLING = "dossier_handling"
    E_GOVERNMENT = "e_government"
    DOCUMENTS_ARCHIVES = "documents_archives"
    LEADERSHIP = "leadership"


class AnswerType(StrEnum):
    YES_NO_NA = "yes_no_na"
    YES_NO = "yes_no"
    CHOICE = "choice"
    COUNT = "count"
    PERCENT = "percent"
    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    PHOTO = "photo"
    SIGNATURE = "signature"


SCORED_ANSWER_TYPES = frozenset(
    {
        AnswerType.YES_NO_NA,
        AnswerType.YES_NO,
        AnswerType.CHOICE,
        AnswerType.COUNT,
        AnswerType.PERCENT,
    }
)


class LegalBasis(FormatModel):
    """A legal document cited by items. The period says which inspections it applies to: an
    inspection of a period before `applies_from` or after `applies_to` cites its successor."""

    code: Code = Field(description="Short ASCII code that items cite, e.g. nd-61-2018.")
    title: LocalizedText
    applies_from: date | None = None
    applies_to: date | None = None

    @field_validator("applies_to")
    @classmethod
    def _period_is_ordered(cls, applies_to: date | None, info: ValidationInfo) -> date | None:
        applies_from = info.data.get("applies_from")
        if applies_to is not None and applies_from is not None and applies_to < applies_from:
            raise ValueError(f"applies_to ({applies_to}) is before applies_from ({applies_from})")
        return applies_to

    def applies_on(self, day: date) -> bool:
        return (self.applies_from is None or self.applies_from <= day) and (
            self.applies_to is None or day <= self.applies_to
        )


class RatingBand(FormatModel):
    """A rating band covers scores from `min_score` (inclusive) up to the next band's min_score."""

    key: Code
    label: LocalizedText
    min_score: Percentage


class ActionDueDays(FormatModel):
    """Days a unit gets to fix a finding, by severity (the design's default policy)."""

    critical: PositiveCount = 7
    major: PositiveCount = 15
    minor: PositiveCount = 30

    def for_severity(self, severity: Severity) -> int:
        due_days: int = getattr(self, severity.value)
        return due_days


class EvidenceRule(StrEnum):
    """When a photo (or a note) is needed: never, when the item is not fully met, or always."""

    NONE = "none"
    ON_FAIL = "on_fail"
    ALWAYS = "always"


class Evidence(FormatModel):
    """What an inspector must attach. `on_fail` means when the item fails or is only partly met."""

    photo: EvidenceRule = EvidenceRule.NONE
    min_photos: Count = Field(default=1, description="Photos needed when the photo rule applies.")
    max_photos: Count = 10
    note: EvidenceRule = Field(
        default=EvidenceRule.NONE,
        description="Whether a written note (what was seen, who said what) is needed.",
    )

    @field_validator("max_photos")
    @classmethod
    def _max_is_at_least_min(cls, max_photos: int, info: ValidationInfo) -> int:
        min_photos = info.data.get("min_photos")
        if min_photos is not None and max_photos < min_photos:
            raise ValueError(f"max_photos ({max_photos}) is less than min_photos ({min_photos})")
        return max_photos

    @field_validator("min_photos")
    @classmethod
    def _rule_needs_a_photo(cls, min_photos: int, info: ValidationInfo) -> int:
        if info.data.get("photo") in (EvidenceRule.ON_FAIL, EvidenceRule.ALWAYS) and min_photos < 1:
            raise ValueError("min_photos must be at least 1 when a photo is required")
        return min_photos


class ChoiceOption(FormatModel):
    key: Code
    label: LocalizedText
    points: Points


class CountScoring(FormatModel):
    """Violations counted: full points at or below `full_at`, linearly down to 0 at `zero_at`."""

    full_at: Count = 0
    zero_at: Count

    @field_validator("zero_at")
    @classmethod
    def _zero_after_full(cls, zero_at: int, info: ValidationInfo) -> int:
        full_at = info.data.get("full_at")
        if full_at is not None and zero_at <= full_at:
            raise ValueError(f"zero_at ({zero_at}) must be greater than full_at ({full_at})")
        return zero_at


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class PercentScoring(FormatModel):
    """A share numerator/denominator in percent: 0 points at `floor`, full points at `target`,
    linear in between. With lower_is_better the floor lies above the target."""

    direction: Direction = Direction.HIGHER_IS_BETTER
    target: Percentage
    floor: Percentage

    @field_validator("floor")
    @classmethod
    def _floor_on_the_right_side(cls, floor: float, info: ValidationInfo) -> float:
        target = info.data.get("target")
        direction = info.data.get("direction")
        if target is None or direction is None:
            return floor
        if direction == Direction.HIGHER_IS_BETTER and floor >= target:
            raise ValueError(
                f"floor ({floor:g}) must be below target ({target:g}) when higher is better"
            )
        if direction == Direction.LOWER_IS_BETTER and floor <= target:
            raise ValueError(
                f"floor ({floor:g}) must be above target ({target:g}) when lower is better"
            )
        return floor


def _check_expression(show_if: str | None) -> str | None:
    if show_if is not None:
        expressions.parse(show_if)
    return show_if


ShowIf = Annotated[
    str | None,
    AfterValidator(_check_expression),
    Field(description="Condition on other answers; the item is asked only when it is true."),
]


class ItemBase(FormatModel):
    """Fields every item has, whatever its answer type."""

    scored: ClassVar[bool] = False

    key: ItemKey
    # Narrowed to one Literal in each subclass; declared here so it comes second in dumps.
    answer_type: AnswerType
    text: LocalizedText
    guidance: LocalizedText | None = None
    legal_basis: list[Code] = Field(default_factory=list)
    evidence: Evidence = Field(default_factory=lambda: Evidence())
    show_if: ShowIf = None


class UnscoredItem(ItemBase):
    """Recorded facts (numbers, texts, dates, photos, signatures): never pass or fail."""

    points: Literal[0] = 0
    category: Category | None = None
    required: bool = False


OBSERVED_PLACEHOLDER = "{observed}"
# `{word}` with anything but `observed` inside is a mistake the author should hear about: it would
# otherwise be printed as it is in the minutes.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Items whose answer carries a value to print; a yes/no answer says no more than "failed".
ANSWER_TYPES_WITH_OBSERVED_VALUE = frozenset(
    {AnswerType.COUNT, AnswerType.PERCENT, AnswerType.CHOICE}
)


class MeasureKind(StrEnum):
    """What a measure gives: a share (numerator and denominator, for percent items) or a count."""

    SHARE = "share"
    COUNT = "count"


# The closed set of measures a checklist item may take from the inspected unit's dossier ledger
# (`prefill: {source: dossier_ledger, measure: …}`), and what each gives. They are computed by
# `server.dossiers.prefill` from the same rule results as the ledger's flags; a test keeps the two
# lists equal. Definitions: docs/dossier-ledgers.md, "Pre-filled checklist items".
DOSSIER_LEDGER_MEASURES: dict[str, MeasureKind] = {
    "online_share": MeasureKind.SHARE,
    "online_payment_share": MeasureKind.SHARE,
    "online_with_component_files_share": MeasureKind.SHARE,
    "resolved_with_result_file_share": MeasureKind.SHARE,
    "resolved_late_share": MeasureKind.SHARE,
    "late_without_proper_apology": MeasureKind.COUNT,
    "backlog": MeasureKind.COUNT,
}
# The answer type each kind of measure can fill.
MEASURE_ANSWER_TYPES: dict[MeasureKind, AnswerType] = {
    MeasureKind.SHARE: AnswerType.PERCENT,
    MeasureKind.COUNT: AnswerType.COUNT,
}


# The closed set of measures an item may take from the sealed dossier sample's checks recorded in
# the inspection itself (`prefill: {source: dossier_sample, measure: …}`). Computed by
# `server.dossiers.prefill.sample_measures` on the server and `rules/prefill.ts` on the phone.
DOSSIER_SAMPLE_MEASURES: dict[str, MeasureKind] = {
    "date_mismatches": MeasureKind.COUNT,
    "receipt_slip_share": MeasureKind.SHARE,
}


class PrefillSource(StrEnum):
    DOSSIER_LEDGER = "dossier_ledger"
    DOSSIER_SAMPLE = "dossier_sample"


# Each source's closed set of measures.
PREFILL_MEASURES: dict[PrefillSource, dict[str, MeasureKind]] = {
    PrefillSource.DOSSIER_LEDGER: DOSSIER_LEDGER_MEASURES,
    PrefillSource.DOSSIER_SAMPLE: DOSSIER_SAMPLE_MEASURES,
}


class Prefill(FormatModel):
    """Where an item's value comes from before the inspector answers it: a measure over the
    inspected unit's dossier ledger for the period before the visit (`dossier_ledger`), or over
    the checks of the sealed dossier sample recorded in the inspection (`dossier_sample`). The
    inspector sees it with its source and takes it in one tap, or answers otherwise with a note."""

    source: PrefillSource = Field(
        description="`dossier_ledger` (the unit's stored ledger) or `dossier_sample` (the "
        "inspection's checks of its sealed dossier sample)."
    )
    measure: str = Field(
        description="For `dossier_ledger` one of: "
        + ", ".join(sorted(DOSSIER_LEDGER_MEASURES))
        + "; for `dossier_sample` one of: "
        + ", ".join(sorted(DOSSIER_SAMPLE_MEASURES)),
    )

    @model_validator(mode="after")
    def _known_measure(self) -> Prefill:
        measures = PREFILL_MEASURES[self.source]
        if self.measure not in measures:
            words = {
                PrefillSource.DOSSIER_LEDGER: "the dossier ledger",
                PrefillSource.DOSSIER_SAMPLE: "the dossier sample's checks",
            }
            raise ValueError(
                f"unknown measure {self.measure!r} for source {self.source.value}; "
                f"{words[self.source]} gives " + ", ".join(sorted(measures))
            )
        return self

    @property
    def kind(self) -> MeasureKind:
        return PREFILL_MEASURES[self.source][self.measure]


def _unknown_placeholders(text: LocalizedText) -> list[str]:
    return [
        placeholder
        for language_text in (text.vi, text.en)
        for placeholder in _PLACEHOLDER.findall(language_text)
        if placeholder != OBSERVED_PLACEHOLDER
    ]


class ScoredItem(ItemBase):
    """Items that can pass, be partly met or fail; a failure becomes a finding."""

    scored: ClassVar[bool] = True

    points: Points
    severity: Severity = Field(description="How serious a failure of this item is.")
    category: Category
    finding: LocalizedText | None = Field(
        default=None,
        description=(
            "What the minutes say when the item is not met, in the words of a finding "
            "('{observed} cases of late arrival against the attendance log'). `{observed}` is "
            "replaced by what was observed: a count item's count, a percent item's percentage "
            "with its numerator and denominator, a choice item's chosen option. Without it, the "
            "finding repeats the item's text."
        ),
    )
    default_action: LocalizedText | None = Field(
        default=None, description="Suggested corrective action for the finding a failure creates."
    )
    prefill: Prefill | None = Field(
        default=None,
        description=(
            "A value offered from data before the inspector answers: "
            "`{source: dossier_ledger | dossier_sample, measure: …}`. A share measure fits a "
            "percent item, a "
            "count measure a count item."
        ),
    )
    required: bool = True

    @model_validator(mode="after")
    def _prefill_fits_the_answer_type(self) -> ScoredItem:
        if self.prefill is None:
            return self
        wanted = MEASURE_ANSWER_TYPES[self.prefill.kind]
        if self.answer_type != wanted:
            raise ValueError(
                f"prefill: the measure {self.prefill.measure!r} gives a {self.prefill.kind}, "
                f"which fills a {wanted} item, not a {self.answer_type} item"
            )
        return self

    @model_validator(mode="after")
    def _finding_placeholders_are_known(self) -> ScoredItem:
        if self.finding is None:
            return self
        unknown = _unknown_placeholders(self.finding)
        if unknown:
            raise ValueError(
                f"finding: unknown placeholder {unknown[0]}; the only placeholder is "
                f"{OBSERVED_PLACEHOLDER} (the observed value)"
            )
        in_vi = OBSERVED_PLACEHOLDER in self.finding.vi
        in_en = OBSERVED_PLACEHOLDER in self.finding.en
        if in_vi != in_en:
            missing = "en" if in_vi else "vi"
            raise ValueError(
                f"finding: {OBSERVED_PLACEHOLDER} is in one language but not in {missing}; "
                "both must say what was observed"
            )
        if in_vi and self.answer_type not in ANSWER_TYPES_WITH_OBSERVED_VALUE:
            raise ValueError(
                f"finding: a {self.answer_type} item has no observed value to put in "
                f"{OBSERVED_PLACEHOLDER}; only count, percent and choice items do"
            )
        return self

    @model_serializer(mode="wrap")
    def _without_absent_finding(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # `finding` came after versions were published and hashed: leaving it out when absent
        # keeps the canonical form, and so the content hash, of every template without one.
        # `prefill` likewise.
        dumped: dict[str, Any] = handler(self)
        for optional in ("finding", "prefill"):
            if dumped.get(optional) is None:
                dumped.pop(optional, None)
        return dumped


class YesNoNaItem(ScoredItem):
    answer_type: Literal[AnswerType.YES_NO_NA]


class YesNoItem(ScoredItem):
    answer_type: Literal[AnswerType.YES_NO]


class ChoiceItem(ScoredItem):
    answer_type: Literal[AnswerType.CHOICE]
    options: list[ChoiceOption] = Field(min_length=2)


class CountItem(ScoredItem):
    answer_type: Literal[AnswerType.COUNT]
    scoring: CountScoring


class PercentItem(ScoredItem):
    answer_type: Literal[AnswerType.PERCENT]
    scoring: PercentScoring


class NumberItem(UnscoredItem):
    answer_type: Literal[AnswerType.NUMBER]


class TextItem(UnscoredItem):
    answer_type: Literal[AnswerType.TEXT]


class DateItem(UnscoredItem):
    answer_type: Literal[AnswerType.DATE]


class PhotoItem(UnscoredItem):
    answer_type: Literal[AnswerType.PHOTO]


class SignatureItem(UnscoredItem):
    answer_type: Literal[AnswerType.SIGNATURE]


AnyItem: TypeAlias = (
    YesNoNaItem
    | YesNoItem
    | ChoiceItem
    | CountItem
    | PercentItem
    | NumberItem
    | TextItem
    | DateItem
    | PhotoItem
    | SignatureItem
)
Item = Annotated[AnyItem, Field(discriminator="answer_type")]

ITEM_MODELS: dict[AnswerType, type[ItemBase]] = {
    AnswerType.YES_NO_NA: YesNoNaItem,
    AnswerType.YES_NO: YesNoItem,
    AnswerType.CHOICE: ChoiceItem,
    AnswerType.COUNT: CountItem,
    AnswerType.PERCENT: PercentItem,
    AnswerType.NUMBER: NumberItem,
    AnswerType.TEXT: TextItem,
    AnswerType.DATE: DateItem,
    AnswerType.PHOTO: PhotoItem,
    AnswerType.SIGNATURE: SignatureItem,
}


class Section(FormatModel):
    key: ItemKey
    title: LocalizedText
    guidance: LocalizedText | None = None
    points: Points
    items: list[Item] = Field(min_length=1)


class ChecklistTemplate(FormatModel):
    """One version of a checklist, as written in its YAML file."""

    key: Annotated[str, Field(pattern=CHECKLIST_KEY_PATTERN, description="e.g. one-stop-shop")]
    version: PositiveCount
    title: LocalizedText
    description: LocalizedText | None = None
    legal_bases: list[LegalBasis] = Field(default_factory=list)
    rating_bands: list[RatingBand] = Field(min_length=1)
    action_due_days: ActionDueDays = Field(default_factory=ActionDueDays)
    total_points: Points = 100
    sections: list[Section] = Field(min_length=1)

    def items(self) -> list[tuple[Section, AnyItem]]:
        """Every item with its section, in document order."""
        return [(section, item) for section in self.sections for item in section.items]

    def item(self, key: str) -> AnyItem:
        for _section, item in self.items():
            if item.key == key:
                return item
        raise KeyError(key)

    def bands_from_lowest(self) -> list[RatingBand]:
        return sorted(self.rating_bands, key=lambda band: band.min_score)

    def band_for(self, score: float) -> RatingBand:
        """The highest band whose min_score the score reaches (the lowest band if none does)."""
        bands = self.bands_from_lowest()
        reached = [band for band in bands if score >= band.min_score]
        return reached[-1] if reached else bands[0]

    def legal_bases_for(self, item: ItemBase, on: date | None = None) -> list[LegalBasis]:
        """The legal bases an item cites, keeping only those in force on `on` when given."""
        by_code = {basis.code: basis for basis in self.legal_bases}
        cited = [by_code[code] for code in item.legal_basis if code in by_code]
        return [basis for basis in cited if on is None or basis.applies_on(on)]


def json_schema() -> dict[str, Any]:
    """The JSON schema of a checklist file (for editors and for `checklist.schema.json`)."""
    schema = ChecklistTemplate.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
