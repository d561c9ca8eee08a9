"""Finding texts: the validator's rules for `{observed}`, the observed value of each answer type,
the old wording kept for items without a finding text, and the shipped template's coverage."""

from __future__ import annotations

import pytest

from checklists.canonical import content_sha256
from checklists.findings import description, finding_text, observed_value
from checklists.format import ScoredItem
from checklists.scoring import Answer
from checklists.templates import TEMPLATES_DIR
from checklists.validator import load_template, validate_text
from tests.checklists.test_validator import VALID, edited

A2_CATEGORY = "        category: discipline\n        scoring: {full_at: 0, zero_at: 3}\n"


def with_a2_finding(vi: str, en: str, source: str = VALID) -> str:
    """VALID with a finding text on A2, the count item."""
    return edited(
        A2_CATEGORY,
        "        category: discipline\n"
        f"        finding: {{vi: '{vi}', en: '{en}'}}\n"
        "        scoring: {full_at: 0, zero_at: 3}\n",
        source,
    )


COUNTED = with_a2_finding(
    "Có {observed} trường hợp đi muộn", "{observed} cases of late arrival against the log"
)


def test_a_count_finding_says_the_count_then_the_note() -> None:
    item = load_template(COUNTED).item("A2")
    found = description(item, Answer(value=3, note="ông Bình đến lúc 8 giờ 20"))
    assert found.vi == "Có 3 trường hợp đi muộn — ông Bình đến lúc 8 giờ 20"
    assert found.en == "3 cases of late arrival against the log — ông Bình đến lúc 8 giờ 20"


def test_a_value_that_was_not_recorded_prints_as_an_ellipsis() -> None:
    # A required item left unanswered fails and becomes a finding with nothing to observe.
    item = load_template(COUNTED).item("A2")
    assert finding_text(item, None).vi == "Có … trường hợp đi muộn"
    assert observed_value(item, Answer(value=2), "en") == "2"


def test_a_percent_finding_gives_the_share_with_its_numerator_and_denominator() -> None:
    source = edited(
        "        category: transparency\n        scoring: {target: 100, floor: 50}\n",
        "        category: transparency\n"
        "        finding: {vi: 'Chỉ niêm yết {observed} số TTHC', en: 'Only {observed} posted'}\n"
        "        scoring: {target: 100, floor: 50}\n",
    )
    item = load_template(source).item("B1")
    text = finding_text(item, Answer(numerator=7, denominator=8))
    assert text.vi == "Chỉ niêm yết 87,5% (7/8) số TTHC"
    assert text.en == "Only 87.5% (7/8) posted"


def test_a_choice_finding_names_the_chosen_option_in_each_language() -> None:
    source = edited(
        "          - {key: none, label: {vi: Không, en: None}, points: 0}\n",
        "          - {key: none, label: {vi: Không, en: None}, points: 0}\n"
        "        finding: {vi: 'Mức độ: {observed}', en: 'Level: {observed}'}\n",
    )
    item = load_template(source).item("B2")
    assert finding_text(item, Answer(value="none")).model_dump() == {
        "vi": "Mức độ: Không",
        "en": "Level: None",
    }
    assert observed_value(item, Answer(value="none"), "vi") == "Không"


def test_an_item_without_a_finding_text_keeps_the_old_wording() -> None:
    item = load_template(VALID).item("A2")
    found = description(item, Answer(value=3, note="ông Bình"))
    # Before finding texts: the requirement, with the note in Vietnamese only.
    assert found.vi == "Vi phạm — ông Bình"
    assert found.en == "Violations"
    assert description(item, Answer(value=3)).vi == "Vi phạm"


def test_a_template_without_finding_texts_keeps_its_content_hash() -> None:
    # `finding` is left out of the canonical form when absent: the hashes of versions published
    # before it existed stay the same (tests/server/test_canonical_hashes.py freezes one).
    template = load_template(VALID)
    assert "finding" not in template.model_dump(mode="json")["sections"][0]["items"][1]
    assert content_sha256(template) != content_sha256(load_template(COUNTED))


@pytest.mark.parametrize(
    ("vi", "en", "message"),
    [
        (
            "Có {count} trường hợp",
            "{observed} cases",
            "unknown placeholder {count}; the only placeholder is {observed}",
        ),
        (
            "Có {observed} trường hợp",
            "Late arrivals",
            "{observed} is in one language but not in en",
        ),
    ],
)
def test_the_validator_refuses_a_bad_placeholder_at_its_line(
    vi: str, en: str, message: str
) -> None:
    source = with_a2_finding(vi, en)
    issues = validate_text(source, "demo.yaml")
    assert len(issues) == 1, issues
    assert message in issues[0].message
    assert issues[0].path == "sections[0].items[1]"
    assert issues[0].line == source.splitlines().index("      - key: A2") + 1


def test_a_yes_no_item_has_no_observed_value_to_print() -> None:
    source = edited(
        "        category: discipline\n        legal_basis: [ct-26-2016]\n",
        "        category: discipline\n"
        "        finding: {vi: 'Vắng {observed}', en: 'Absent {observed}'}\n"
        "        legal_basis: [ct-26-2016]\n",
    )
    issues = validate_text(source, "demo.yaml")
    assert [issue.message for issue in issues] == [
        "finding: a yes_no item has no observed value to put in {observed}; "
        "only count, percent and choice items do"
    ]


def test_every_scored_item_of_the_shipped_template_has_finding_texts_in_both_languages() -> None:
    template = load_template((TEMPLATES_DIR / "one-stop-shop.yaml").read_text(encoding="utf-8"))
    scored = [item for _section, item in template.items() if isinstance(item, ScoredItem)]
    assert len(scored) == 52
    assert [item.key for item in scored if item.finding is None] == []
    for item in scored:
        assert item.finding is not None
        assert item.finding.vi != item.text.vi and item.finding.en != item.text.en, item.key
        if item.answer_type in ("count", "percent"):
            assert "{observed}" in item.finding.vi, item.key
