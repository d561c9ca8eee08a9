"""The shipped one-stop-shop template: valid, complete against the domain brief, and scoring."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from checklists.format import AnswerType, ChecklistTemplate, EvidenceRule, ScoredItem
from checklists.scoring import Answer, Outcome, score
from checklists.templates import TEMPLATES_DIR, shipped_template_paths
from checklists.validator import load_template, validate_text
from tests.checklists.builders import best_answers, na, share

PATH = TEMPLATES_DIR / "one-stop-shop.yaml"

# The 50 item IDs of the domain brief, by section, with their points.
BRIEF_POINTS = {
    "A": {
        "A1": 4,
        "A2": 2,
        "A3": 2,
        "A4": 1,
        "A5": 3,
        "A6": 1,
        "A7": 2,
        "A8": 3,
        "A9": 1,
        "A10": 1,
    },
    "B": {"B1": 3, "B2": 1, "B3": 1, "B4": 1, "B5": 1, "B6": 2, "B7": 1},
    "C": {"C1": 4, "C2": 3, "C3": 3, "C4": 2, "C5": 1, "C6": 2},
    "D": {
        "D1": 2,
        "D2": 3,
        "D3": 3,
        "D4": 3,
        "D5": 3,
        "D6": 3,
        "D7": 2,
        "D8": 2,
        "D9": 1,
        "D10": 1,
        "D11": 2,
    },
    "E": {"E1": 3, "E2": 2, "E3": 3, "E4": 2, "E5": 1, "E6": 1},
    "F": {"F1": 3, "F2": 2, "F3": 1, "F4": 1, "F5": 2, "F6": 1},
    "G": {"G1": 2, "G2": 2, "G3": 2, "G4": 2},
}
# Items added to represent the brief's "critical if …" and "date + yes_no" faithfully.
SPLIT_ITEMS = {"A1a": 0, "D8a": 0, "G3a": 0}


@pytest.fixture(scope="module")
def one_stop() -> ChecklistTemplate:
    return load_template(PATH.read_text(encoding="utf-8"), str(PATH))


def test_is_shipped_and_validates_clean() -> None:
    assert PATH in shipped_template_paths()
    assert validate_text(PATH.read_text(encoding="utf-8"), str(PATH)) == []


def test_points_match_the_brief(one_stop: ChecklistTemplate) -> None:
    assert one_stop.total_points == 100
    assert sum(section.points for section in one_stop.sections) == 100
    assert {section.key: section.points for section in one_stop.sections} == {
        "A": 20,
        "B": 10,
        "C": 15,
        "D": 25,
        "E": 12,
        "F": 10,
        "G": 8,
    }
    for section in one_stop.sections:
        points = {item.key: item.points for item in section.items}
        brief = BRIEF_POINTS[section.key]
        assert {key: points[key] for key in brief} == brief
        assert set(points) - set(brief) <= set(SPLIT_ITEMS)
    assert len(one_stop.items()) == 50 + len(SPLIT_ITEMS)


def test_severities_and_photo_rules_match_the_brief(one_stop: ChecklistTemplate) -> None:
    critical = {
        item.key
        for _section, item in one_stop.items()
        if isinstance(item, ScoredItem) and item.severity == "critical"
    }
    assert critical == {"A1a", "A5", "A8", "D4", "D8a", "D11"}
    always = {
        item.key for _s, item in one_stop.items() if item.evidence.photo == EvidenceRule.ALWAYS
    }
    assert always == {"A1", "A1a", "B1", "C1", "D4", "D11"}  # the brief's Y*
    without_photo = {
        item.key for _s, item in one_stop.items() if item.evidence.photo == EvidenceRule.NONE
    }
    assert without_photo == {"A8", "G3a"}  # A8 is "N" (notes only); G3a is a recorded date
    assert {
        key
        for key in ("A5", "A8", "D8a")
        if one_stop.item(key).evidence.note == EvidenceRule.ON_FAIL
    } == {
        "A5",
        "A8",
        "D8a",
    }


def test_every_scored_item_is_complete(one_stop: ChecklistTemplate) -> None:
    for _section, item in one_stop.items():
        assert item.text.vi and item.text.en
        assert unicodedata.is_normalized("NFC", item.text.vi)
        if isinstance(item, ScoredItem):
            assert item.default_action is not None, item.key
            assert item.required


def test_percent_targets(one_stop: ChecklistTemplate) -> None:
    def scoring(key: str) -> tuple[str, float, float]:
        item = one_stop.item(key)
        assert item.answer_type == AnswerType.PERCENT
        return (item.scoring.direction.value, item.scoring.target, item.scoring.floor)  # type: ignore[union-attr]

    assert scoring("D5") == ("lower_is_better", 0, 50)
    for key in ("E1", "E2", "E3"):
        assert scoring(key) == ("higher_is_better", 90, 45)
    for key in ("A1", "A3", "C1", "D1", "D2", "D3", "E4", "E6", "F1", "F2", "F3"):
        assert scoring(key) == ("higher_is_better", 100, 50)


def test_bands_and_due_days(one_stop: ChecklistTemplate) -> None:
    assert [(band.key, band.label.vi, band.min_score) for band in one_stop.rating_bands] == [
        ("tot", "Tốt", 90),
        ("kha", "Khá", 80),
        ("trung_binh", "Trung bình", 65),
        ("khong_dat", "Không đạt", 0),
    ]
    assert one_stop.action_due_days.model_dump() == {"critical": 7, "major": 15, "minor": 30}


def test_legal_bases_switch_decree_on_1_july_2025(one_stop: ChecklistTemplate) -> None:
    item = one_stop.item("A8")
    before = [basis.code for basis in one_stop.legal_bases_for(item, date(2025, 6, 30))]
    after = [basis.code for basis in one_stop.legal_bases_for(item, date(2025, 7, 1))]
    assert before == ["nd-61-2018", "nd-107-2021", "ct-26-2016"]
    assert after == ["nd-118-2025", "ct-26-2016"]


def test_vietnamese_text_has_its_diacritics(one_stop: ChecklistTemplate) -> None:
    assert one_stop.title.vi.startswith("Kiểm tra đột xuất Bộ phận Một cửa")
    assert one_stop.item("A5").text.vi.startswith("Không sử dụng rượu, bia, đồ uống có cồn")
    assert one_stop.item("D6").text.vi.startswith("Hồ sơ quá hạn đều có Phiếu xin lỗi")


def test_all_pass_scores_100_tot(one_stop: ChecklistTemplate) -> None:
    result = score(one_stop, best_answers(one_stop))
    assert (result.total, result.band, result.findings) == (100, "tot", [])
    # D5 at 0 % overdue hides D6 (asked only when D5 > 0).
    assert {each.key: each.outcome for each in result.items}["D6"] == Outcome.HIDDEN


def test_worked_example(one_stop: ChecklistTemplate) -> None:
    answers = best_answers(one_stop) | {
        "B5": na(),  # no queue machine: 1 point leaves the denominator → 99 possible
        "D5": share(1, 10, photo_count=1),  # 10 % late: (50 - 10) / 50 = 0.8 of 3 = 2.4
        "D6": Answer(value=1, photo_count=1),  # shown (D5 > 0); (3 - 1) / 3 of 3 = 2
        "E1": share(60, 100, photo_count=1),  # (60 - 45) / (90 - 45) = 1/3 of 3 = 1
    }
    result = score(one_stop, answers, inspected_on=date(2025, 9, 15))
    # Earned: 99 - (3 - 2.4) - (3 - 2) - (3 - 1) = 95.4 of 99 → 96.3636… → 96.36: Tốt.
    assert (result.earned, result.possible, result.total, result.band) == (95.4, 99, 96.36, "tot")
    # Section D: 25 - 0.6 - 1 = 23.4 of 25 = 93.6; section E: 12 - 2 = 10 of 12 = 83.33.
    sections = {each.key: each.score for each in result.sections}
    assert (sections["D"], sections["E"], sections["B"]) == (93.6, 83.33, 100)
    assert [(f.item_key, f.outcome, f.severity, f.due_days) for f in result.findings] == [
        ("D5", Outcome.PARTIAL, "major", 15),
        ("D6", Outcome.PARTIAL, "major", 15),
        ("E1", Outcome.PARTIAL, "minor", 30),
    ]
    # After 1 July 2025 Decree 118 is cited instead of Decrees 61 and 107.
    assert result.findings[1].legal_basis == ["nd-118-2025", "tt-01-2018-vpcp"]


def test_critical_gate_items_cap_without_moving_points(one_stop: ChecklistTemplate) -> None:
    answers = best_answers(one_stop) | {
        "D8a": Answer(value="no", photo_count=1, note="CCCD photocopy demanded")
    }
    result = score(one_stop, answers)
    assert result.total == 100
    assert (result.score_band, result.band, result.critical_failures) == (
        "tot",
        "khong_dat",
        ["D8a"],
    )
    assert result.findings[0].due_days == 7
