"""Worked examples of the scoring engine, each with its arithmetic done by hand in comments."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from checklists.format import ChecklistTemplate
from checklists.scoring import (
    Answer,
    EvidenceViolation,
    InvalidAnswers,
    Outcome,
    check_answers,
    round_half_up,
    score,
)
from tests.checklists.builders import (
    best_answers,
    count,
    item,
    na,
    no,
    section,
    share,
    template,
    text,
    yes,
)


@pytest.fixture
def demo() -> ChecklistTemplate:
    """A (critical yes_no, 2 pts) + A2 (count 0→3, 4 pts); B1 (percent 50→100, 3 pts),
    B2 (choice, 1 pt, shown when B1 > 50), B3 (text). Bands: good ≥ 80, failed ≥ 0."""
    return template(
        section(
            "A",
            item("A1", "yes_no", 2, severity="critical"),
            item(
                "A2",
                "count",
                4,
                evidence={"photo": "on_fail", "max_photos": 3},
                default_action=text("Fix attendance"),
            ),
        ),
        section(
            "B",
            item("B1", "percent", 3, severity="minor", category="transparency"),
            item("B2", "choice", 1, show_if="B1 > 50", category="transparency"),
            item("B3", "text"),
        ),
    )


def outcomes(result: object) -> dict[str, Outcome]:
    return {each.key: each.outcome for each in result.items}  # type: ignore[attr-defined]


def test_mixed_answers(demo: ChecklistTemplate) -> None:
    result = score(
        demo,
        {
            "A1": yes(),  # 2 of 2
            "A2": count(1, photo_count=1),  # (3 - 1) / (3 - 0) = 2/3 of 4 = 8/3 ≈ 2.67
            "B1": share(75, 100),  # (75 - 50) / (100 - 50) = 1/2 of 3 = 1.5
            "B2": Answer(value="none"),  # shown (75 > 50); 0 of 1
            "B3": Answer(value="ghi chú"),  # recorded, unscored
        },
    )
    assert outcomes(result) == {
        "A1": Outcome.PASS,
        "A2": Outcome.PARTIAL,
        "B1": Outcome.PARTIAL,
        "B2": Outcome.FAIL,
        "B3": Outcome.RECORDED,
    }
    assert [(each.earned, each.possible) for each in result.items] == [
        (2, 2),
        (2.67, 4),
        (1.5, 3),
        (0, 1),
        (0, 0),
    ]
    # Section A: (2 + 8/3) / 6 = 14/18 = 77.777… → 77.78
    # Section B: 1.5 / 4 = 37.5
    assert [(each.key, each.score) for each in result.sections] == [("A", 77.78), ("B", 37.5)]
    # Total: (2 + 8/3 + 1.5 + 0) / 10 = (37/6) / 10 = 61.666… → 61.67, below 80: failed.
    assert (result.earned, result.possible, result.total) == (6.17, 10, 61.67)
    assert (result.score_band, result.band, result.band_capped) == ("failed", "failed", False)
    assert result.critical_failures == []
    assert result.missing_required == []
    assert [(finding.item_key, finding.outcome) for finding in result.findings] == [
        ("A2", Outcome.PARTIAL),
        ("B1", Outcome.PARTIAL),
        ("B2", Outcome.FAIL),
    ]
    a2 = result.findings[0]
    assert (a2.section_key, a2.severity, a2.category, a2.due_days) == (
        "A",
        "major",
        "discipline",
        15,
    )
    assert a2.default_action is not None
    assert a2.default_action.model_dump() == text("Fix attendance")
    assert result.findings[1].due_days == 30  # minor


def test_critical_failure_caps_the_band(demo: ChecklistTemplate) -> None:
    answers = best_answers(demo) | {"A1": no()}
    result = score(demo, answers)
    # 0 + 4 + 3 + 1 = 8 of 10 = 80.00: "good" on points, capped to the lowest band.
    assert result.total == 80
    assert (result.score_band, result.band, result.band_capped) == ("good", "failed", True)
    assert result.critical_failures == ["A1"]
    assert result.findings[0].due_days == 7


def test_partial_critical_item_is_a_critical_failure() -> None:
    checklist = template(section("A", item("A1", "count", 3, severity="critical"), item("A2")))
    result = score(checklist, {"A1": count(1), "A2": yes()})
    # A1: (3 - 1) / 3 of 3 = 2; total (2 + 1) / 4 = 75.
    assert result.items[0].outcome == Outcome.PARTIAL
    assert result.total == 75
    assert result.critical_failures == ["A1"]


def test_not_applicable_leaves_the_denominator(demo: ChecklistTemplate) -> None:
    result = score(
        demo,
        {
            "A1": yes(),  # 2 of 2
            "A2": count(0),  # 4 of 4
            "B1": share(0, 0),  # nothing to measure: not applicable, and B2 (B1 > 50) is hidden
            "B2": Answer(value="none"),  # answered, but hidden answers do not count
            "B3": Answer(value="x"),
        },
    )
    assert outcomes(result)["B1"] == Outcome.NOT_APPLICABLE
    assert outcomes(result)["B2"] == Outcome.HIDDEN
    # 6 of 6 = 100; section B has nothing left to score.
    assert result.total == 100
    assert result.sections[1].score is None
    assert result.band == "good"
    assert result.findings == []


def test_yes_no_na_not_applicable_rescales() -> None:
    checklist = template(section("A", item("A1", "yes_no_na", 1), item("A2", "yes_no", 3)))
    # A1 N/A leaves 3 possible points; A2 no: 0 of 3 → 0.
    assert score(checklist, {"A1": na(), "A2": no()}).total == 0
    # A1 N/A, A2 yes: 3 of 3 → 100 (without N/A it would be 3 of 4 = 75).
    assert score(checklist, {"A1": na(), "A2": yes()}).total == 100
    assert score(checklist, {"A1": no(), "A2": yes()}).total == 75


def test_unanswered_required_item_stays_in_the_denominator(demo: ChecklistTemplate) -> None:
    answers = best_answers(demo)
    del answers["A1"]
    result = score(demo, answers)
    # 0 + 4 + 3 + 1 = 8 of 10 = 80: an unanswered critical item is missing, not failed.
    assert result.total == 80
    assert outcomes(result)["A1"] == Outcome.UNANSWERED
    assert result.items[0].possible == 2
    assert result.missing_required == ["A1"]
    assert result.critical_failures == []
    assert result.band == "good"


def test_unanswered_optional_item_leaves_the_denominator() -> None:
    checklist = template(
        section("A", item("A1", "yes_no", 1, required=False), item("A2", "yes_no", 1))
    )
    result = score(checklist, {"A2": yes()})
    assert result.total == 100
    assert result.missing_required == []


def test_required_unscored_item_is_listed_as_missing() -> None:
    checklist = template(section("A", item("A1"), item("S", "signature", required=True)))
    assert score(checklist, {"A1": yes()}).missing_required == ["S"]
    assert score(checklist, {"A1": yes(), "S": Answer(value="sha256:1")}).missing_required == []


def test_nothing_scored_gives_no_total() -> None:
    checklist = template(section("A", item("A1", "yes_no_na", 1)))
    result = score(checklist, {"A1": na()})
    assert (result.total, result.band, result.sections[0].score) == (None, None, None)


def test_lower_is_better_percent() -> None:
    checklist = template(
        section(
            "D",
            item(
                "D5",
                "percent",
                3,
                scoring={"direction": "lower_is_better", "target": 0, "floor": 50},
            ),
        )
    )
    # 1 late of 10 = 10 %: (50 - 10) / (50 - 0) = 4/5 of 3 = 2.4 → 80.
    assert score(checklist, {"D5": share(1, 10)}).total == 80
    assert score(checklist, {"D5": share(0, 10)}).total == 100
    assert score(checklist, {"D5": share(6, 10)}).total == 0  # beyond the floor


def test_count_with_tolerance() -> None:
    checklist = template(section("A", item("A1", "count", 2, scoring={"full_at": 1, "zero_at": 5})))
    # ≤ 1: full; 3 violations: (5 - 3) / (5 - 1) = 1/2 of 2 = 1 → 50; ≥ 5: none.
    assert [score(checklist, {"A1": count(n)}).total for n in (0, 1, 3, 5, 9)] == [
        100,
        100,
        50,
        0,
        0,
    ]


def test_choice_with_partial_option() -> None:
    options = [
        {"key": "all", "label": text("all"), "points": 2},
        {"key": "some", "label": text("some"), "points": 0.5},
        {"key": "none", "label": text("none"), "points": 0},
    ]
    checklist = template(section("A", item("A1", "choice", 2, options=options)))
    result = score(checklist, {"A1": Answer(value="some")})
    # 0.5 of 2 = 25.
    assert (result.total, result.items[0].outcome) == (25, Outcome.PARTIAL)


def test_rounding_happens_once_at_the_end() -> None:
    # Three 1-point items, each 1/3 met (count 0→3 with 2 violations):
    # rounding each item first would give 3 × 0.33 = 0.99 → 33.0; exactly it is 1/3 → 33.33.
    checklist = template(
        section(
            "A",
            *(item(f"A{n}", "count", 1) for n in range(1, 4)),
        )
    )
    result = score(checklist, {f"A{n}": count(2) for n in range(1, 4)})
    assert [each.earned for each in result.items] == [0.33, 0.33, 0.33]
    assert result.total == 33.33
    assert round_half_up(Fraction(66665, 1000)) == 66.67  # half up, not to even
    assert round_half_up(Fraction(2, 3) * 100) == 66.67


def test_band_follows_the_rounded_total() -> None:
    # 89.996 rounds to 90.00, which reads as the top band; band and number must agree.
    bands = [
        {"key": "top", "label": text("top"), "min_score": 90},
        {"key": "low", "label": text("low"), "min_score": 0},
    ]
    checklist = template(
        section(
            "A",
            item("A1", "percent", 1, scoring={"target": 100, "floor": 0}),
        ),
        rating_bands=bands,
    )
    result = score(checklist, {"A1": share(89996, 100000)})
    assert (result.total, result.band) == (90, "top")


def test_evidence_violations(demo: ChecklistTemplate) -> None:
    result = score(
        demo,
        best_answers(demo)
        | {
            "A2": count(1),  # partial and on_fail: needs 1 photo, has 0
            "B1": share(100, 100, photo_count=12),  # more than the default 10
        },
    )
    assert result.evidence_violations == [
        EvidenceViolation(item_key="A2", rule="photo_on_fail", needed=1, got=0),
        EvidenceViolation(item_key="B1", rule="max_photos", needed=10, got=12),
    ]


def test_note_rules() -> None:
    checklist = template(
        section(
            "A",
            item("A1", evidence={"note": "on_fail"}),
            item("A2", evidence={"note": "always", "photo": "always", "min_photos": 2}),
        )
    )
    result = score(checklist, {"A1": no(), "A2": Answer(value="yes", photo_count=1)})
    assert [
        (each.item_key, each.rule, each.needed, each.got) for each in result.evidence_violations
    ] == [
        ("A1", "note_on_fail", 1, 0),
        ("A2", "photo_always", 2, 1),
        ("A2", "note_always", 1, 0),
    ]
    # A passing item needs no note under on_fail; N/A or unanswered items are not checked.
    assert score(checklist, {"A1": yes()}).evidence_violations == []


def test_show_if_can_read_items_further_down() -> None:
    checklist = template(
        section(
            "A",
            item("A1", show_if='A2 == "yes"'),
            item("A2"),
        )
    )
    assert outcomes(score(checklist, {"A2": no()}))["A1"] == Outcome.HIDDEN
    result = score(checklist, {"A2": yes()})
    assert outcomes(result)["A1"] == Outcome.UNANSWERED
    assert result.missing_required == ["A1"]


def test_hidden_items_read_as_null_in_later_conditions() -> None:
    checklist = template(
        section(
            "A",
            item("A1"),
            item("A2", "yes_no_na", show_if='A1 == "yes"'),
            item("A3", show_if='A2 != "na"'),
        )
    )
    # A1 no → A2 hidden → A2 reads null, null != "na" → A3 shown even though A2 was answered na.
    result = score(checklist, {"A1": no(), "A2": na(), "A3": yes()})
    assert outcomes(result) == {"A1": Outcome.FAIL, "A2": Outcome.HIDDEN, "A3": Outcome.PASS}


def test_legal_bases_in_findings_follow_the_inspection_date() -> None:
    bases = [
        {"code": "nd-61-2018", "title": text("Decree 61"), "applies_to": date(2025, 6, 30)},
        {"code": "nd-118-2025", "title": text("Decree 118"), "applies_from": date(2025, 7, 1)},
    ]
    checklist = template(
        section("A", item("A1", legal_basis=["nd-61-2018", "nd-118-2025"])),
        legal_bases=bases,
    )

    def cited(on: date | None) -> list[str]:
        return score(checklist, {"A1": no()}, inspected_on=on).findings[0].legal_basis

    assert cited(date(2025, 6, 30)) == ["nd-61-2018"]
    assert cited(date(2025, 7, 1)) == ["nd-118-2025"]
    assert cited(None) == ["nd-61-2018", "nd-118-2025"]


def test_invalid_answers_are_all_reported(demo: ChecklistTemplate) -> None:
    answers = {
        "A1": Answer(value="maybe"),
        "A2": Answer(value=-1),
        "B1": share(5, 4),
        "B2": Answer(value="half"),
        "Z9": yes(),
    }
    with pytest.raises(InvalidAnswers) as caught:
        score(demo, answers)
    assert [(problem.item_key, problem.message) for problem in caught.value.problems] == [
        ("A1", "answer must be one of yes, no"),
        ("A2", "answer must be a count (0 or more)"),
        ("B1", "numerator cannot be larger than denominator"),
        ("B2", "answer must be one of the options full, none"),
        ("Z9", "no such item in this checklist"),
    ]


@pytest.mark.parametrize(
    ("answer_type", "answer", "problem"),
    [
        ("percent", Answer(value=50), "percent answers use numerator and denominator, not value"),
        ("percent", Answer(numerator=1), "percent answers need both numerator and denominator"),
        ("yes_no", share(1, 2), "only percent items take a numerator and a denominator"),
        ("count", Answer(value=1.5), "answer must be a count (0 or more)"),
        ("date", Answer(value="30/06/2025"), "answer must be a date (YYYY-MM-DD)"),
        ("number", Answer(value="many"), "answer must be a number"),
        ("text", Answer(value=3), "answer must be text"),
        ("photo", Answer(value="x", photo_count=1), "photo items take photos, not a value"),
    ],
)
def test_answer_shapes(answer_type: str, answer: Answer, problem: str) -> None:
    checklist = template(section("A", item("A1"), item("X", answer_type, 1)))
    assert [each.message for each in check_answers(checklist, {"X": answer})] == [problem]


def test_empty_answers_count_as_unanswered() -> None:
    checklist = template(section("A", item("A1"), item("P", "photo")))
    result = score(checklist, {"A1": Answer(value="  ", note="later"), "P": Answer()})
    assert outcomes(result) == {"A1": Outcome.UNANSWERED, "P": Outcome.UNANSWERED}
    assert outcomes(score(checklist, {"P": Answer(photo_count=2)}))["P"] == Outcome.RECORDED
