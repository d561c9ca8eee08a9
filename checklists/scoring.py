"""The scoring engine: answers in, scores, rating band, findings and evidence gaps out. No I/O.

Rules, and the decisions behind them:

- **Visibility.** An item whose `show_if` is false is *hidden*: it earns nothing, leaves the
  denominator and raises no finding, even if it was answered (the inspector may have changed an
  earlier answer). Conditions read the answers of visible items only; a hidden or unanswered item
  reads as `null`. Conditions are evaluated in dependency order, so a condition may refer to an item
  further down the list.
- **Item scores.** A scored item earns a fraction of its points:
  `yes_no` / `yes_no_na`: yes = all, no = none, na = not applicable;
  `choice`: the chosen option's points (on a 0-point item every option passes);
  `count` (violations): all at or below `full_at`, none at or above `zero_at`, linear between;
  `percent`: numerator/denominator as a percentage, none at `floor`, all at `target`, linear
  between (mirrored for lower_is_better); a denominator of 0 means there was nothing to measure,
  so the item is not applicable.
  The outcome is *pass* for the whole fraction, *fail* for none, *partial* in between.
- **Not applicable** items leave the denominator; the total is rescaled over what remains.
- **Unanswered** visible items: a required scored item earns 0 and stays in the denominator (an
  inspector cannot raise a score by skipping a question) and is listed in `missing_required`; an
  optional one leaves the denominator, like N/A. Required unscored items (a signature) are listed
  as missing too.
- **Unscored** items (number, text, date, photo, signature) have the outcome *recorded* once
  answered: they never pass or fail. This seventh outcome keeps reports from calling a note "passed".
- **Totals** are computed with exact fractions and rounded to 2 decimals (half up) only at the end;
  a section or total with nothing left in the denominator is `None`.
- **Rating band.** The band is chosen from the *rounded* total, so the number shown and the band
  agree. Any critical failure caps the band at the lowest one.
- **Critical failures and findings.** A *fail* or a *partial* both mean the requirement was not met,
  so both produce a finding (with the item's severity, category, default action and the due days of
  the template's policy), and on a critical item both count as a critical failure.
- **Evidence.** Checked on visible, answered, applicable items: `photo: always` needs `min_photos`,
  `photo: on_fail` needs them when the item fails or is partial, and no item takes more than
  `max_photos`; the `note` rule works the same way for the written note.
"""

from __future__ import annotations

import graphlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from checklists import expressions
from checklists.format import (
    AnyItem,
    Category,
    ChecklistTemplate,
    ChoiceItem,
    CountItem,
    DateItem,
    Direction,
    EvidenceRule,
    LocalizedText,
    NumberItem,
    PercentItem,
    PhotoItem,
    ScoredItem,
    Section,
    Severity,
    YesNoItem,
    YesNoNaItem,
)

YES, NO, NOT_APPLICABLE = "yes", "no", "na"


class Answer(BaseModel):
    """What an inspector recorded for one item.

    `value` holds "yes" / "no" / "na", a choice key, a count, a number, a text, a date (or its ISO
    text) or a signature reference; percent items use `numerator` and `denominator` instead.
    An answer with nothing in it (no value, no numerator or denominator, and for photo items no
    photo) counts as unanswered.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: StrictStr | StrictInt | StrictFloat | date | None = None
    numerator: StrictInt | None = Field(default=None, ge=0)
    denominator: StrictInt | None = Field(default=None, ge=0)
    photo_count: StrictInt = Field(default=0, ge=0)
    note: str | None = None

    def is_empty(self, item: AnyItem) -> bool:
        if isinstance(item, PhotoItem):
            return self.photo_count == 0
        blank_value = self.value is None or (isinstance(self.value, str) and not self.value.strip())
        return blank_value and self.numerator is None and self.denominator is None

    def has_note(self) -> bool:
        return bool(self.note and self.note.strip())


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    PARTIAL = "partial"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    HIDDEN = "hidden"
    UNANSWERED = "unanswered"
    RECORDED = "recorded"


NOT_MET = frozenset({Outcome.FAIL, Outcome.PARTIAL})


class ResultModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class ItemResult(ResultModel):
    key: str
    section_key: str
    outcome: Outcome
    earned: float = Field(description="Points earned, rounded to 2 decimals for display.")
    possible: float = Field(
        description="Points in the denominator: 0 when N/A, hidden or optional."
    )


class SectionResult(ResultModel):
    key: str
    earned: float
    possible: float
    score: float | None = Field(description="Out of 100; None when nothing in it could be scored.")


class EvidenceViolation(ResultModel):
    item_key: str
    rule: str = Field(
        description="photo_always, photo_on_fail, max_photos, note_always or note_on_fail"
    )
    needed: int
    got: int


class Finding(ResultModel):
    """A shortcoming found by the checklist: an item that failed or was only partly met."""

    item_key: str
    section_key: str
    outcome: Outcome
    severity: Severity
    category: Category
    text: LocalizedText
    default_action: LocalizedText | None
    due_days: int
    legal_basis: list[str]
    note: str | None


class ScoreResult(ResultModel):
    items: list[ItemResult]
    sections: list[SectionResult]
    earned: float
    possible: float
    total: float | None = Field(description="Out of 100, rounded to 2 decimals.")
    score_band: str | None = Field(description="The band the total alone reaches.")
    band: str | None = Field(description="The rating band, after the critical-failure cap.")
    band_capped: bool
    critical_failures: list[str]
    missing_required: list[str]
    evidence_violations: list[EvidenceViolation]
    findings: list[Finding]


class AnswerProblem(ResultModel):
    item_key: str
    message: str


class InvalidAnswers(ValueError):
    """Answers that do not fit their items; `problems` lists each one."""

    def __init__(self, problems: list[AnswerProblem]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{problem.item_key}: {problem.message}" for problem in problems)
        )


# --- Checking answers --------------------------------------------------------------------------


def items_by_key(template: ChecklistTemplate) -> dict[str, AnyItem]:
    """The template's items by key, for :func:`check_answers` called many times over one
    template (a sync batch checks each answer op on its own)."""
    return {item.key: item for _section, item in template.items()}


def check_answers(
    template: ChecklistTemplate,
    answers: Mapping[str, Answer],
    *,
    items: Mapping[str, AnyItem] | None = None,
) -> list[AnswerProblem]:
    """Every answer that does not fit its item (or names no item of this template); `items`,
    when given, is ``items_by_key(template)`` made once by the caller."""
    if items is None:
        items = items_by_key(template)
    problems = []
    for key, answer in answers.items():
        item = items.get(key)
        message = "no such item in this checklist" if item is None else check_answer(item, answer)
        if message is not None:
            problems.append(AnswerProblem(item_key=key, message=message))
    return problems


def check_answer(item: AnyItem, answer: Answer) -> str | None:
    """Why `answer` does not fit `item`, or None when it does (an empty answer always fits)."""
    if answer.is_empty(item):
        return None
    value = answer.value
    if not isinstance(item, PercentItem) and (
        answer.numerator is not None or answer.denominator is not None
    ):
        return "only percent items take a numerator and a denominator"
    if isinstance(item, YesNoNaItem | YesNoItem):
        allowed = (YES, NO, NOT_APPLICABLE) if isinstance(item, YesNoNaItem) else (YES, NO)
        return None if value in allowed else f"answer must be one of {', '.join(allowed)}"
    if isinstance(item, ChoiceItem):
        keys = [option.key for option in item.options]
        return None if value in keys else f"answer must be one of the options {', '.join(keys)}"
    if isinstance(item, CountItem):
        return (
            None if isinstance(value, int) and value >= 0 else "answer must be a count (0 or more)"
        )
    if isinstance(item, PercentItem):
        if value is not None:
            return "percent answers use numerator and denominator, not value"
        if answer.numerator is None or answer.denominator is None:
            return "percent answers need both numerator and denominator"
        if answer.numerator > answer.denominator:
            return "numerator cannot be larger than denominator"
        return None
    if isinstance(item, PhotoItem):
        return None if value is None else "photo items take photos, not a value"
    if isinstance(item, DateItem):
        return None if _as_date(value) is not None else "answer must be a date (YYYY-MM-DD)"
    if isinstance(item, NumberItem):
        return None if isinstance(value, int | float) else "answer must be a number"
    # text and signature
    return None if isinstance(value, str) else "answer must be text"


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- Scoring -----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parsed(expression: str) -> expressions.Node:
    return expressions.parse(expression)


def evaluation_order(template: ChecklistTemplate) -> list[AnyItem]:
    """Items ordered so that every item comes after the items its `show_if` reads.

    Raises `graphlib.CycleError` for a cyclic template (the validator rejects those)."""
    items = {item.key: item for _section, item in template.items()}
    graph = {
        key: {ref for ref in expressions.references(_parsed(item.show_if)) if ref in items}
        if item.show_if
        else set()
        for key, item in items.items()
    }
    return [items[key] for key in graphlib.TopologicalSorter(graph).static_order()]


def _expression_facts(item: AnyItem, answer: Answer) -> dict[str, expressions.Value]:
    """What a `show_if` condition can read about an answered, visible item."""
    value: expressions.Value
    if isinstance(item, PercentItem):
        has_share = answer.numerator is not None and answer.denominator
        value = (
            float(Fraction(answer.numerator or 0, answer.denominator or 1) * 100)
            if has_share
            else None
        )
    elif isinstance(item, PhotoItem):
        value = answer.photo_count
    elif isinstance(answer.value, date):
        value = answer.value.isoformat()
    else:
        value = answer.value
    return {
        "answer": value,
        "numerator": answer.numerator,
        "denominator": answer.denominator,
        "photo_count": answer.photo_count,
    }


def _fraction_met(item: ScoredItem, answer: Answer) -> Fraction | None:
    """The share of the item's points this answer earns, or None when the item does not apply."""
    if isinstance(item, YesNoNaItem | YesNoItem):
        if answer.value == NOT_APPLICABLE:
            return None
        return Fraction(1) if answer.value == YES else Fraction(0)
    if isinstance(item, ChoiceItem):
        chosen = next(option for option in item.options if option.key == answer.value)
        if item.points == 0:
            return Fraction(1)
        return _clamp(_exact(chosen.points) / _exact(item.points))
    if isinstance(item, CountItem):
        assert isinstance(answer.value, int)  # guaranteed by check_answer
        full_at, zero_at = item.scoring.full_at, item.scoring.zero_at
        return _clamp(Fraction(zero_at - answer.value, zero_at - full_at))
    if isinstance(item, PercentItem):
        if not answer.denominator:
            return None
        share = Fraction(answer.numerator or 0, answer.denominator) * 100
        target, floor = _exact(item.scoring.target), _exact(item.scoring.floor)
        if item.scoring.direction == Direction.HIGHER_IS_BETTER:
            return _clamp((share - floor) / (target - floor))
        return _clamp((floor - share) / (floor - target))
    raise TypeError(f"not a scored item: {item.answer_type}")


def _exact(number: float) -> Fraction:
    # Through str, so that 0.1 means one tenth and not the nearest binary float.
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def _clamp(fraction: Fraction) -> Fraction:
    return min(Fraction(1), max(Fraction(0), fraction))


def round_half_up(number: Fraction) -> float:
    """Round a non-negative exact number to 2 decimals, halves up (66.665 → 66.67)."""
    return float(Fraction(math.floor(number * 100 + Fraction(1, 2)), 100))


def _outcome_of(fraction: Fraction) -> Outcome:
    if fraction == 1:
        return Outcome.PASS
    if fraction == 0:
        return Outcome.FAIL
    return Outcome.PARTIAL


def _evidence_violations(
    item: AnyItem, answer: Answer, outcome: Outcome
) -> list[EvidenceViolation]:
    rules = item.evidence
    violations = []

    def needs(rule: EvidenceRule) -> bool:
        return rule == EvidenceRule.ALWAYS or (rule == EvidenceRule.ON_FAIL and outcome in NOT_MET)

    if needs(rules.photo) and answer.photo_count < rules.min_photos:
        violations.append(
            EvidenceViolation(
                item_key=item.key,
                rule=f"photo_{rules.photo.value}",
                needed=rules.min_photos,
                got=answer.photo_count,
            )
        )
    if answer.photo_count > rules.max_photos:
        violations.append(
            EvidenceViolation(
                item_key=item.key,
                rule="max_photos",
                needed=rules.max_photos,
                got=answer.photo_count,
            )
        )
    if needs(rules.note) and not answer.has_note():
        violations.append(
            EvidenceViolation(item_key=item.key, rule=f"note_{rules.note.value}", needed=1, got=0)
        )
    return violations


@dataclass(frozen=True)
class _Assessment:
    """One item's exact result; rounding happens only when the public result is built."""

    outcome: Outcome
    earned: Fraction = Fraction(0)
    possible: Fraction = Fraction(0)
    evidence_violations: tuple[EvidenceViolation, ...] = ()


def _assess(item: AnyItem, answer: Answer | None) -> _Assessment:
    """Score one visible item."""
    if answer is None or answer.is_empty(item):
        # A required scored item stays in the denominator, so skipping it never helps.
        possible = _exact(item.points) if item.scored and item.required else Fraction(0)
        return _Assessment(Outcome.UNANSWERED, possible=possible)
    if isinstance(item, ScoredItem):
        fraction = _fraction_met(item, answer)
        if fraction is None:
            return _Assessment(Outcome.NOT_APPLICABLE)
        points = _exact(item.points)
        outcome, earned, possible = _outcome_of(fraction), fraction * points, points
    else:
        outcome, earned, possible = Outcome.RECORDED, Fraction(0), Fraction(0)
    violations = tuple(_evidence_violations(item, answer, outcome))
    return _Assessment(outcome, earned, possible, violations)


def score(
    template: ChecklistTemplate,
    answers: Mapping[str, Answer],
    *,
    inspected_on: date | None = None,
) -> ScoreResult:
    """Score one inspection. See the module docstring for the rules.

    `inspected_on`, when given, keeps only the legal bases in force on that day in the findings
    (e.g. Decree 61/2018 before 07/2025, Decree 118/2025 after). Raises `InvalidAnswers` when an
    answer does not fit its item.
    """
    problems = check_answers(template, answers)
    if problems:
        raise InvalidAnswers(problems)

    assessments: dict[str, _Assessment] = {}
    facts: dict[str, dict[str, expressions.Value]] = {}  # what later conditions can read
    for item in evaluation_order(template):
        if item.show_if and not expressions.evaluate(_parsed(item.show_if), facts):
            assessments[item.key] = _Assessment(Outcome.HIDDEN)
            continue
        answer = answers.get(item.key)
        assessments[item.key] = _assess(item, answer)
        if answer is not None and not answer.is_empty(item):
            facts[item.key] = _expression_facts(item, answer)

    # Everything below is reported in document order, whatever order the conditions needed.
    earned = sum((each.earned for each in assessments.values()), Fraction(0))
    possible = sum((each.possible for each in assessments.values()), Fraction(0))
    total = round_half_up(earned / possible * 100) if possible else None
    not_met = [
        (section, item)
        for section, item in template.items()
        if isinstance(item, ScoredItem) and assessments[item.key].outcome in NOT_MET
    ]
    critical_failures = [item.key for _s, item in not_met if item.severity == Severity.CRITICAL]
    score_band = template.band_for(total).key if total is not None else None
    band = template.bands_from_lowest()[0].key if critical_failures else score_band

    return ScoreResult(
        items=[
            ItemResult(
                key=item.key,
                section_key=section.key,
                outcome=assessments[item.key].outcome,
                earned=round_half_up(assessments[item.key].earned),
                possible=round_half_up(assessments[item.key].possible),
            )
            for section, item in template.items()
        ],
        sections=[_section_result(section, assessments) for section in template.sections],
        earned=round_half_up(earned),
        possible=round_half_up(possible),
        total=total,
        score_band=score_band,
        band=band,
        band_capped=band != score_band,
        critical_failures=critical_failures,
        missing_required=[
            item.key
            for _section, item in template.items()
            if item.required and assessments[item.key].outcome == Outcome.UNANSWERED
        ],
        evidence_violations=[
            violation
            for _section, item in template.items()
            for violation in assessments[item.key].evidence_violations
        ],
        findings=[
            _finding(template, section, item, assessments[item.key].outcome, answers, inspected_on)
            for section, item in not_met
        ],
    )


def _section_result(section: Section, assessments: Mapping[str, _Assessment]) -> SectionResult:
    earned = sum((assessments[item.key].earned for item in section.items), Fraction(0))
    possible = sum((assessments[item.key].possible for item in section.items), Fraction(0))
    return SectionResult(
        key=section.key,
        earned=round_half_up(earned),
        possible=round_half_up(possible),
        score=round_half_up(earned / possible * 100) if possible else None,
    )


def _finding(
    template: ChecklistTemplate,
    section: Section,
    item: ScoredItem,
    outcome: Outcome,
    answers: Mapping[str, Answer],
    inspected_on: date | None,
) -> Finding:
    answer = answers.get(item.key)
    return Finding(
        item_key=item.key,
        section_key=section.key,
        outcome=outcome,
        severity=item.severity,
        category=item.category,
        text=item.text,
        default_action=item.default_action,
        due_days=template.action_due_days.for_severity(item.severity),
        legal_basis=[basis.code for basis in template.legal_bases_for(item, inspected_on)],
        note=answer.note if answer is not None else None,
    )
