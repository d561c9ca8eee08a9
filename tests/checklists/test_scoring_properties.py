"""Properties of the scoring engine over generated templates and answers."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checklists.expressions import parse, references
from checklists.format import (
    AnyItem,
    ChecklistTemplate,
    ChoiceItem,
    CountItem,
    Direction,
    PercentItem,
    YesNoNaItem,
)
from checklists.scoring import Answer, Outcome, score
from tests.checklists.builders import best_answers, text

SCORED_TYPES = ["yes_no_na", "yes_no", "choice", "count", "percent"]
# Hypothesis' own default of 100 examples a property (it was 200): the examples are drawn afresh on
# every run, so each `make test` adds a hundred new ones per property to all that came before.
PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def scoring_for(draw: st.DrawFn, answer_type: str, points: int) -> dict[str, Any]:
    if answer_type == "count":
        full_at = draw(st.integers(0, 2))
        return {
            "scoring": {"full_at": full_at, "zero_at": draw(st.integers(full_at + 1, full_at + 4))}
        }
    if answer_type == "percent":
        if draw(st.booleans()):
            target = draw(st.integers(1, 100))
            return {"scoring": {"target": target, "floor": draw(st.integers(0, target - 1))}}
        target = draw(st.integers(0, 99))
        return {
            "scoring": {
                "direction": "lower_is_better",
                "target": target,
                "floor": draw(st.integers(target + 1, 100)),
            }
        }
    if answer_type == "choice":
        middle = draw(st.integers(0, points))
        return {
            "options": [
                {"key": "best", "label": text("best"), "points": points},
                {"key": "middle", "label": text("middle"), "points": middle},
                {"key": "worst", "label": text("worst"), "points": 0},
            ]
        }
    return {}


@st.composite
def templates(draw: st.DrawFn, with_show_if: bool = False) -> ChecklistTemplate:
    """Valid templates of 1–3 sections with 1–4 scored items each (and some show_if)."""
    sections = []
    item_number = 0
    earlier_yes_no: list[str] = []
    for section_index in range(draw(st.integers(1, 3))):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            item_number += 1
            key = f"I{item_number}"
            answer_type = draw(st.sampled_from(SCORED_TYPES))
            points = draw(st.integers(0, 5))
            data: dict[str, Any] = {
                "key": key,
                "answer_type": answer_type,
                "text": text(key),
                "points": points,
                "severity": draw(st.sampled_from(["critical", "major", "minor"])),
                "category": "discipline",
                **draw(scoring_for(answer_type, points)),
            }
            if with_show_if and earlier_yes_no and draw(st.booleans()):
                data["show_if"] = f'{draw(st.sampled_from(earlier_yes_no))} == "yes"'
            if answer_type == "yes_no":
                earlier_yes_no.append(key)
            items.append(data)
        sections.append(
            {
                "key": f"S{section_index}",
                "title": text("section"),
                "points": sum(each["points"] for each in items),
                "items": items,
            }
        )
    starts = draw(st.sets(st.integers(1, 100), max_size=3)) | {0}
    bands = [
        {"key": f"band_{start}", "label": text(f"band {start}"), "min_score": start}
        for start in sorted(starts, reverse=True)
    ]
    return ChecklistTemplate.model_validate(
        {
            "key": "generated",
            "version": 1,
            "title": text("generated"),
            "rating_bands": bands,
            "total_points": sum(each["points"] for each in sections),
            "sections": sections,
        }
    )


@st.composite
def answer_for(draw: st.DrawFn, item: AnyItem, applicable: bool = False) -> Answer:
    """Any valid answer for the item; with `applicable`, never N/A."""
    if isinstance(item, YesNoNaItem) and not applicable:
        return Answer(value=draw(st.sampled_from(["yes", "no", "na"])))
    if isinstance(item, ChoiceItem):
        return Answer(value=draw(st.sampled_from([option.key for option in item.options])))
    if isinstance(item, CountItem):
        return Answer(value=draw(st.integers(0, 8)))
    if isinstance(item, PercentItem):
        denominator = draw(st.integers(1 if applicable else 0, 20))
        return Answer(numerator=draw(st.integers(0, denominator)), denominator=denominator)
    return Answer(value=draw(st.sampled_from(["yes", "no"])))


@st.composite
def answer_sets(draw: st.DrawFn, checklist: ChecklistTemplate) -> dict[str, Answer]:
    answers = {}
    for _section, item in checklist.items():
        if draw(st.integers(0, 4)):  # mostly answered, sometimes not
            answers[item.key] = draw(answer_for(item))
    return answers


@st.composite
def template_and_answers(
    draw: st.DrawFn, with_show_if: bool = False
) -> tuple[ChecklistTemplate, dict[str, Answer]]:
    checklist = draw(templates(with_show_if=with_show_if))
    return checklist, draw(answer_sets(checklist))


def quality(item: AnyItem, answer: Answer) -> Fraction:
    """How well an answer meets its item, judged independently of the engine."""
    if isinstance(item, ChoiceItem):
        return Fraction(str(next(o.points for o in item.options if o.key == answer.value)))
    if isinstance(item, CountItem):
        assert isinstance(answer.value, int)
        return Fraction(-max(answer.value, item.scoring.full_at))
    if isinstance(item, PercentItem):
        assert answer.numerator is not None and answer.denominator
        share = Fraction(answer.numerator, answer.denominator) * 100
        if item.scoring.direction == Direction.HIGHER_IS_BETTER:
            return min(share, Fraction(str(item.scoring.target)))
        return -max(share, Fraction(str(item.scoring.target)))
    return Fraction(1 if answer.value == "yes" else 0)


@PROPERTY_SETTINGS
@given(template_and_answers(with_show_if=True))
def test_total_is_within_0_and_100(case: tuple[ChecklistTemplate, dict[str, Answer]]) -> None:
    checklist, answers = case
    result = score(checklist, answers)
    assert result.total is None or 0 <= result.total <= 100
    for section in result.sections:
        assert section.score is None or 0 <= section.score <= 100
    for each in result.items:
        assert 0 <= each.earned <= each.possible


@PROPERTY_SETTINGS
@given(templates(with_show_if=True))
def test_all_pass_gives_100_and_the_top_band(checklist: ChecklistTemplate) -> None:
    assume(any(item.points > 0 for _section, item in checklist.items()))
    result = score(checklist, best_answers(checklist))
    assert result.total == 100
    assert result.band == max(checklist.rating_bands, key=lambda band: band.min_score).key
    assert result.findings == []
    assert result.critical_failures == []
    assert result.missing_required == []
    assert result.evidence_violations == []


@PROPERTY_SETTINGS
@given(template_and_answers(with_show_if=True))
def test_any_critical_failure_gives_the_lowest_band(
    case: tuple[ChecklistTemplate, dict[str, Answer]],
) -> None:
    checklist, answers = case
    result = score(checklist, answers)
    lowest = min(checklist.rating_bands, key=lambda band: band.min_score).key
    failed_critical = [
        each.key
        for each in result.items
        if each.outcome in (Outcome.FAIL, Outcome.PARTIAL)
        and checklist.item(each.key).severity == "critical"  # type: ignore[union-attr]
    ]
    assert result.critical_failures == failed_critical
    if failed_critical:
        assert result.band == lowest


@PROPERTY_SETTINGS
@given(st.data())
def test_improving_one_answer_never_lowers_the_total(data: st.DataObject) -> None:
    # Without show_if: a better answer to a condition may reveal or hide other items, which is
    # the point of a condition, not a scoring defect.
    checklist = data.draw(templates(with_show_if=False))
    answers = data.draw(answer_sets(checklist))
    _section, item = data.draw(st.sampled_from(checklist.items()))
    # The worse answer is either none at all (a required item left unanswered) or a valid
    # answer that meets the item less well than the better one.
    worse = data.draw(st.none() | answer_for(item, applicable=True))
    better = data.draw(answer_for(item, applicable=True))
    if worse is not None and quality(item, better) < quality(item, worse):
        worse, better = better, worse

    without_item = {key: answer for key, answer in answers.items() if key != item.key}
    with_worse = score(checklist, without_item if worse is None else {**answers, item.key: worse})
    with_better = score(checklist, {**answers, item.key: better})

    assume(with_worse.total is not None)
    assert with_worse.total is not None and with_better.total is not None
    assert with_better.total >= with_worse.total


@PROPERTY_SETTINGS
@given(st.data())
def test_marking_an_item_na_changes_no_other_outcome(data: st.DataObject) -> None:
    checklist = data.draw(templates(with_show_if=True))
    answers = data.draw(answer_sets(checklist))
    referenced = {
        reference
        for _section, item in checklist.items()
        if item.show_if
        for reference in references(parse(item.show_if))
    }
    candidates = [
        item
        for _section, item in checklist.items()
        if isinstance(item, YesNoNaItem) and item.key not in referenced
    ]
    assume(candidates)
    target = data.draw(st.sampled_from(candidates))

    before = score(checklist, answers)
    after = score(checklist, {**answers, target.key: Answer(value="na")})

    def others(result: Any) -> dict[str, Outcome]:
        return {each.key: each.outcome for each in result.items if each.key != target.key}

    assert others(after) == others(before)
    assert {each.key: each.outcome for each in after.items}[target.key] in (
        Outcome.NOT_APPLICABLE,
        Outcome.HIDDEN,
    )
