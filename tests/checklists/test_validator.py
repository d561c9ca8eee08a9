"""Every kind of validator error, each asserted at its exact line (and column where it matters)."""

from __future__ import annotations

import pytest

from checklists.format import ChecklistTemplate
from checklists.validator import ChecklistInvalid, Issue, load_template, validate_text
from tests.checklists.builders import column_of, exact_line, line_of

VALID = """\
key: demo
version: 1
title: {vi: Kiểm tra, en: Check}
legal_bases:
  - code: ct-26-2016
    title: {vi: Chỉ thị 26, en: Directive 26}
rating_bands:
  - key: good
    label: {vi: Tốt, en: Good}
    min_score: 80
  - key: failed
    label: {vi: Không đạt, en: Not achieved}
    min_score: 0
total_points: 10
sections:
  - key: A
    title: {vi: Kỷ luật, en: Discipline}
    points: 6
    items:
      - key: A1
        answer_type: yes_no
        text: {vi: Có mặt, en: Present}
        points: 2
        severity: critical
        category: discipline
        legal_basis: [ct-26-2016]
      - key: A2
        answer_type: count
        text: {vi: Vi phạm, en: Violations}
        points: 4
        severity: major
        category: discipline
        scoring: {full_at: 0, zero_at: 3}
        evidence: {photo: on_fail, min_photos: 1, max_photos: 3}
  - key: B
    title: {vi: Công khai, en: Transparency}
    points: 4
    items:
      - key: B1
        answer_type: percent
        text: {vi: Niêm yết, en: Posted}
        points: 3
        severity: minor
        category: transparency
        scoring: {target: 100, floor: 50}
      - key: B2
        answer_type: choice
        text: {vi: Mức độ, en: Level}
        points: 1
        severity: minor
        category: transparency
        options:
          - {key: full, label: {vi: Đủ, en: Full}, points: 1}
          - {key: none, label: {vi: Không, en: None}, points: 0}
        show_if: B1 > 50
      - key: B3
        answer_type: text
        text: {vi: Ghi chú, en: Notes}
"""


def edited(old: str, new: str, source: str = VALID) -> str:
    assert source.count(old) == 1, f"{old!r} is not unique"
    return source.replace(old, new)


def only_issue(source: str) -> Issue:
    issues = validate_text(source, "demo.yaml")
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def test_the_base_file_is_valid() -> None:
    assert validate_text(VALID, "demo.yaml") == []
    template = load_template(VALID, "demo.yaml")
    assert isinstance(template, ChecklistTemplate)
    assert [item.key for _section, item in template.items()] == ["A1", "A2", "B1", "B2", "B3"]


def test_issue_prints_as_file_line_column_path_message() -> None:
    source = edited("        points: 3\n", "        points: 2\n")
    issue = only_issue(source)
    assert str(issue) == (
        f"demo.yaml:{exact_line(source, '  - key: B') + 2}:13: sections[1].points: "
        "section 'B' has 4 points but its items add up to 3"
    )


# --- YAML ---------------------------------------------------------------------------------------


def test_yaml_syntax_error() -> None:
    source = edited("title: {vi: Kiểm tra, en: Check}", "title: {vi: Kiểm tra, en: Check")
    issue = only_issue(source)
    assert issue.message.startswith("YAML syntax error")
    assert issue.line == line_of(source, "legal_bases:")  # where the parser noticed


def test_duplicate_mapping_key() -> None:
    source = edited("        points: 3\n", "        points: 3\n        points: 3.0\n")
    duplicate = only_issue(source)
    assert duplicate.line == line_of(source, "points: 3.0")
    assert duplicate.column == 9
    assert duplicate.path == "sections[1].items[0].points"
    assert (
        duplicate.message
        == f"duplicate key 'points' (first used on line {line_of(source, 'points: 3.0') - 1})"
    )


def test_empty_file_and_non_mapping_document() -> None:
    assert only_issue("").message == "file is empty"
    assert only_issue("# only a comment\n").message == "file is empty"
    issue = only_issue("- just\n- a list\n")
    assert (issue.line, issue.path, issue.message) == (1, "", "expected a mapping, got a list")


def test_several_documents_are_rejected() -> None:
    issue = only_issue(VALID + "---\nkey: other\n")
    assert "YAML syntax error" in issue.message
    assert issue.line == line_of(VALID + "---\nkey: other\n", "---")


def test_python_tags_are_refused() -> None:
    source = edited("key: demo", "key: !!python/object/apply:os.system ['true']")
    issue = only_issue(source)
    assert issue.line == 1 and "YAML syntax error" in issue.message


def test_yes_and_no_stay_strings() -> None:
    # YAML 1.1 would turn `yes` into true and make this option key invalid.
    source = edited("{key: full,", "{key: yes,").replace("{key: none,", "{key: no,")
    template = load_template(source)
    assert [option.key for option in template.item("B2").options] == ["yes", "no"]  # type: ignore[union-attr]


# --- Structure ----------------------------------------------------------------------------------


def test_unknown_top_level_key_with_suggestion() -> None:
    source = edited("total_points: 10", "total_points: 10\ntotal_point: 10")
    issue = only_issue(source)
    assert (issue.line, issue.column) == (line_of(source, "total_point: 10"), 1)
    assert issue.message == "unknown key 'total_point' (did you mean 'total_points'?)"


def test_unknown_item_key() -> None:
    source = edited(
        "        legal_basis: [ct-26-2016]",
        "        legal_basis: [ct-26-2016]\n        colour: red",
    )
    issue = only_issue(source)
    assert (issue.line, issue.column) == (line_of(source, "colour: red"), 9)
    assert issue.path == "sections[0].items[0].colour"
    assert issue.message == "unknown key 'colour'"


def test_type_specific_key_on_another_type() -> None:
    source = edited(
        "        scoring: {full_at: 0, zero_at: 3}",
        "        scoring: {full_at: 0, zero_at: 3}\n        options: []",
    )
    issue = only_issue(source)
    assert issue.line == line_of(source, "options: []")
    assert issue.path == "sections[0].items[1].options"
    assert issue.message == "unknown key 'options': not used by count items (only by: choice)"


def test_severity_on_an_unscored_item() -> None:
    source = edited(
        "        text: {vi: Ghi chú, en: Notes}",
        "        text: {vi: Ghi chú, en: Notes}\n        severity: minor",
    )
    issue = only_issue(source)
    assert issue.line == line_of(source, "Notes}") + 1
    assert "not used by text items" in issue.message


def test_points_on_an_unscored_item() -> None:
    source = edited(
        "        text: {vi: Ghi chú, en: Notes}",
        "        text: {vi: Ghi chú, en: Notes}\n        points: 2",
    )
    issues = validate_text(source, "demo.yaml")
    messages = {(issue.line, issue.message) for issue in issues}
    assert (
        line_of(source, "Notes}") + 1,
        "text items are not scored: leave points out or use 0",
    ) in messages


def test_missing_required_key_points_at_the_object() -> None:
    source = edited("        severity: major\n", "")
    issue = only_issue(source)
    assert issue.path == "sections[0].items[1].severity"
    assert issue.message == "missing required key 'severity'"
    assert issue.line == line_of(source, "key: A2")


def test_missing_and_empty_translations() -> None:
    source = edited("text: {vi: Có mặt, en: Present}", "text: {vi: Có mặt}")
    issue = only_issue(source)
    assert (issue.line, issue.path) == (
        line_of(source, "{vi: Có mặt}"),
        "sections[0].items[0].text.en",
    )
    assert issue.message == "missing required key 'en'"

    source = edited("title: {vi: Kiểm tra, en: Check}", 'title: {vi: "  ", en: Check}')
    issue = only_issue(source)
    assert (issue.line, issue.path, issue.message) == (3, "title.vi", "must not be empty")


def test_unknown_answer_type() -> None:
    source = edited("answer_type: yes_no\n", "answer_type: maybe\n")
    issue = only_issue(source)
    assert issue.line == line_of(source, "answer_type: maybe")
    assert issue.path == "sections[0].items[0].answer_type"
    assert issue.message.startswith("unknown answer_type 'maybe'; use one of: yes_no_na, yes_no")


def test_wrong_value_types() -> None:
    source = edited("version: 1", 'version: "1"')
    assert only_issue(source).message == "expected a whole number, got '1'"
    source = edited("        points: 3\n", "        points: three\n")
    issues = validate_text(source, "demo.yaml")
    points = next(issue for issue in issues if issue.path == "sections[1].items[0].points")
    assert (points.line, points.message) == (
        line_of(source, "points: three"),
        "expected a number, got 'three'",
    )


def test_enum_values() -> None:
    source = edited("severity: critical", "severity: fatal")
    issue = only_issue(source)
    assert issue.line == line_of(source, "severity: fatal")
    assert issue.message == "must be one of 'critical', 'major' or 'minor', got 'fatal'"


def test_key_patterns_and_reserved_words() -> None:
    source = edited("key: demo", "key: Demo Check")
    assert only_issue(source).message == (
        "'Demo Check' must be lower-case letters and digits separated by single hyphens"
    )
    source = edited("      - key: B3", "      - key: and")
    issue = only_issue(source)
    assert issue.line == line_of(source, "key: and")
    assert "reserved word" in issue.message


def test_count_scoring_zero_at_must_exceed_full_at() -> None:
    source = edited("{full_at: 0, zero_at: 3}", "{full_at: 2, zero_at: 2}")
    issue = only_issue(source)
    assert issue.line == line_of(source, "zero_at: 2")
    assert issue.column == column_of(source, "2}")
    assert issue.message == "zero_at (2) must be greater than full_at (2)"


@pytest.mark.parametrize(
    ("scoring", "message"),
    [
        ("{target: 50, floor: 60}", "floor (60) must be below target (50) when higher is better"),
        (
            "{direction: lower_is_better, target: 10, floor: 5}",
            "floor (5) must be above target (10) when lower is better",
        ),
        ("{target: 120, floor: 50}", "must be less than or equal to 100"),
    ],
)
def test_percent_scoring_must_be_sane(scoring: str, message: str) -> None:
    source = edited("{target: 100, floor: 50}", scoring)
    issue = only_issue(source)
    assert issue.line == line_of(source, scoring)
    assert issue.message == message


def test_evidence_limits() -> None:
    source = edited(
        "{photo: on_fail, min_photos: 1, max_photos: 3}",
        "{photo: on_fail, min_photos: 4, max_photos: 3}",
    )
    issue = only_issue(source)
    assert issue.line == line_of(source, "min_photos: 4")
    assert issue.path == "sections[0].items[1].evidence.max_photos"
    assert issue.message == "max_photos (3) is less than min_photos (4)"

    source = edited(
        "{photo: on_fail, min_photos: 1, max_photos: 3}", "{photo: always, min_photos: 0}"
    )
    assert only_issue(source).message == "min_photos must be at least 1 when a photo is required"


def test_legal_basis_period_must_be_ordered() -> None:
    source = edited(
        "    title: {vi: Chỉ thị 26, en: Directive 26}",
        "    title: {vi: Chỉ thị 26, en: Directive 26}\n    applies_from: 2025-07-01\n    applies_to: 2025-06-30",
    )
    issue = only_issue(source)
    assert issue.line == line_of(source, "applies_to")
    assert issue.message == "applies_to (2025-06-30) is before applies_from (2025-07-01)"


# --- Rules across the file ----------------------------------------------------------------------


def test_section_points_must_equal_the_sum_of_items() -> None:
    source = edited("    points: 6", "    points: 7")
    issues = validate_text(source, "demo.yaml")
    assert [(issue.line, issue.message) for issue in issues] == [
        (line_of(source, "total_points"), "total_points is 10 but the sections add up to 11"),
        (line_of(source, "points: 7"), "section 'A' has 7 points but its items add up to 6"),
    ]


def test_item_points_that_break_the_section_sum() -> None:
    source = edited("        points: 4\n", "        points: 4.5\n")
    issue = only_issue(source)
    assert (issue.line, issue.path) == (exact_line(source, "  - key: A") + 2, "sections[0].points")
    assert issue.message == "section 'A' has 6 points but its items add up to 6.5"


def test_total_points_default_is_100() -> None:
    source = edited("total_points: 10\n", "")
    issue = only_issue(source)
    assert (issue.line, issue.column) == (line_of(source, "sections:"), 1)
    assert issue.message == "total_points is 100 but the sections add up to 10"


def test_duplicate_section_and_item_keys() -> None:
    source = edited("  - key: B\n", "  - key: A\n").replace("- key: B2", "- key: A1")
    issues = validate_text(source, "demo.yaml")
    lines = source.splitlines()
    second_a = [number for number, line in enumerate(lines, 1) if line == "  - key: A"][1]
    second_a1 = [number for number, line in enumerate(lines, 1) if line.endswith("- key: A1")][1]
    first_a1 = next(number for number, line in enumerate(lines, 1) if line.endswith("- key: A1"))
    assert [(issue.line, issue.message) for issue in issues] == [
        (second_a, "section key 'A' is already used by sections[0] (first used on line 16)"),
        (
            second_a1,
            f"item key 'A1' is already used by sections[0].items[0] (first used on line {first_a1})",
        ),
    ]


def test_rating_bands_must_cover_0_to_100() -> None:
    source = edited("    min_score: 0", "    min_score: 10")
    issue = only_issue(source)
    assert issue.line == line_of(source, "min_score: 10")
    assert issue.message.startswith("the lowest band starts at 10, so lower scores have no band")


def test_rating_bands_need_distinct_starts_and_keys() -> None:
    source = edited("    min_score: 0", "    min_score: 80").replace(
        "  - key: failed", "  - key: good"
    )
    issues = validate_text(source, "demo.yaml")
    messages = [(issue.line, issue.message.split(" (")[0]) for issue in issues]
    second_good = line_of(source, "label: {vi: Không đạt") - 1
    assert (second_good, "band key 'good' is already used by rating_bands[0]") in messages
    assert (
        second_good + 2,
        "two bands start at the same score; each band needs its own min_score",
    ) in messages
    # With both bands at 80 the lowest starts at 80: a gap below it.
    assert any("lowest band starts at 80" in issue.message for issue in issues)


def test_unknown_legal_basis_code() -> None:
    source = edited("legal_basis: [ct-26-2016]", "legal_basis: [ct-26-2017]")
    issue = only_issue(source)
    assert (issue.line, issue.column) == (
        line_of(source, "ct-26-2017"),
        column_of(source, "ct-26-2017"),
    )
    assert issue.path == "sections[0].items[0].legal_basis[0]"
    assert issue.message == "unknown legal basis 'ct-26-2017' (did you mean 'ct-26-2016'?)"


def test_choice_options() -> None:
    source = edited(
        "{key: full, label: {vi: Đủ, en: Full}, points: 1}",
        "{key: none, label: {vi: Đủ, en: Full}, points: 0.5}",
    )
    issues = validate_text(source, "demo.yaml")
    assert [(issue.line, issue.message.split(" (")[0]) for issue in issues] == [
        (
            line_of(source, "        points: 1"),
            "no option earns the item's full 1 points, so it can never pass",
        ),
        (
            line_of(source, "{key: none, label: {vi: Không"),
            "option key 'none' is already used by sections[1].items[1].options[0]",
        ),
    ]


# --- show_if ------------------------------------------------------------------------------------


def test_show_if_syntax_error_points_at_the_character() -> None:
    source = edited("show_if: B1 > 50", "show_if: B1 = 50")
    issue = only_issue(source)
    assert (issue.line, issue.column) == (line_of(source, "B1 = 50"), column_of(source, "= 50"))
    assert issue.message == "use '==' to compare, not '='"


def test_show_if_column_counts_quotes_and_escapes() -> None:
    source = edited("show_if: B1 > 50", r'show_if: "B1 == \"x\" and B9 > 1"')
    issues = validate_text(source, "demo.yaml")
    unknown = next(issue for issue in issues if "unknown item" in issue.message)
    assert unknown.column == column_of(source, "B9")


def test_show_if_unknown_item() -> None:
    source = edited("show_if: B1 > 50", "show_if: B11 > 50")
    issue = only_issue(source)
    assert (issue.line, issue.column) == (line_of(source, "B11"), column_of(source, "B11"))
    assert issue.message == "unknown item 'B11' (did you mean 'B1'?)"


def test_show_if_self_reference() -> None:
    source = edited("show_if: B1 > 50", 'show_if: B2 == "full"')
    issue = only_issue(source)
    assert (issue.line, issue.column) == (
        line_of(source, "show_if"),
        column_of(source, 'B2 == "full"'),
    )
    assert issue.message == "B2 cannot depend on itself"


def test_show_if_cycle() -> None:
    source = edited(
        "        scoring: {target: 100, floor: 50}",
        '        scoring: {target: 100, floor: 50}\n        show_if: B2 == "full"',
    )
    issue = only_issue(source)
    assert issue.line == line_of(source, 'show_if: B2 == "full"')
    assert issue.message == "show_if conditions form a cycle: B1 → B2 → B1"


def test_show_if_literal_the_item_can_never_hold() -> None:
    source = edited("show_if: B1 > 50", 'show_if: A1 == "yse" or B1 == "high" or B3 == 1')
    issues = validate_text(source, "demo.yaml")
    assert [(issue.column, issue.message) for issue in issues] == [
        (column_of(source, '"yse"'), 'A1 is a yes_no item; compare it with "yes", "no", not "yse"'),
        (column_of(source, '"high"'), 'B1 holds a number, not "high"'),
        (column_of(source, "B3 == 1") + 6, "B3 holds text, not 1"),
    ]


def test_show_if_choice_keys_and_ordering() -> None:
    source = (
        VALID
        + '      - key: B4\n        answer_type: text\n        text: {vi: x, en: y}\n        show_if: B2 in ["full", "half"] or A1 > "no"\n'
    )
    issues = validate_text(source, "demo.yaml")
    assert [issue.message for issue in issues] == [
        'B2 is a choice item; compare it with "full", "none", not "half"',
        "A1 is a yes_no item; '>' is always false for it, compare with == or in",
    ]


# --- All together -------------------------------------------------------------------------------


def test_reports_every_error_in_one_pass() -> None:
    source = (
        VALID.replace("version: 1", "version: 0")
        .replace("legal_basis: [ct-26-2016]", "legal_basis: [nope]")
        .replace("show_if: B1 > 50", "show_if: B1 >")
        .replace("    min_score: 0", "    min_score: 5")
        .replace(
            "        text: {vi: Ghi chú, en: Notes}",
            "        text: {vi: Ghi chú, en: Notes}\n        colour: red",
        )
    )
    issues = validate_text(source, "demo.yaml")
    assert [issue.path for issue in issues] == [
        "version",
        "rating_bands[1].min_score",
        "sections[0].items[0].legal_basis[0]",
        "sections[1].items[1].show_if",
        "sections[1].items[2].colour",
    ]
    assert issues == sorted(issues, key=lambda issue: (issue.line, issue.column))


def test_load_template_raises_with_all_issues() -> None:
    source = VALID.replace("version: 1", "version: 0").replace("    points: 6", "    points: 5")
    with pytest.raises(ChecklistInvalid) as caught:
        load_template(source, "demo.yaml")
    assert [issue.path for issue in caught.value.issues] == [
        "version",
        "total_points",
        "sections[0].points",
    ]
    assert "demo.yaml:2:10: version: must be greater than or equal to 1" in str(caught.value)


def test_byte_order_mark_is_ignored() -> None:
    assert validate_text("\ufeff" + VALID, "demo.yaml") == []


def test_a_date_shaped_value_that_is_no_date_is_reported_where_it_is() -> None:
    # PyYAML raises a bare ValueError for these; the validator must report, not crash (found by
    # the fuzz test).
    for text, line in (("0000-00-00", 1), ("title: x\nvalid_from: 2026-02-30\n", 2)):
        issues = validate_text(text, "dates.yaml")
        assert any("is not a valid date or time" in issue.message for issue in issues), issues
        assert any(issue.line == line for issue in issues), issues


# --- prefill from the dossier ledger ----------------------------------------------------------


def test_a_percent_item_may_take_a_share_and_a_count_item_a_count_from_the_ledger() -> None:
    source = edited(
        "        scoring: {target: 100, floor: 50}\n",
        "        scoring: {target: 100, floor: 50}\n"
        "        prefill: {source: dossier_ledger, measure: online_share}\n",
    )
    source = edited(
        "        scoring: {full_at: 0, zero_at: 3}\n",
        "        scoring: {full_at: 0, zero_at: 3}\n"
        "        prefill: {source: dossier_ledger, measure: backlog}\n",
        source,
    )
    template = load_template(source, "demo.yaml")
    assert template.item("B1").prefill.measure == "online_share"  # type: ignore[union-attr]
    assert template.item("A2").prefill.measure == "backlog"  # type: ignore[union-attr]


def test_an_unknown_measure_is_refused_with_the_known_ones() -> None:
    line = "        prefill: {source: dossier_ledger, measure: late_share}"
    source = edited(
        "        scoring: {target: 100, floor: 50}\n",
        "        scoring: {target: 100, floor: 50}\n" + line + "\n",
    )
    issue = only_issue(source)
    assert "unknown measure 'late_share'" in issue.message
    assert "resolved_late_share" in issue.message
    assert issue.line == line_of(source, "measure: late_share")


def test_a_measure_whose_kind_does_not_fit_the_answer_type_is_refused() -> None:
    # A share on a count item.
    source = edited(
        "        scoring: {full_at: 0, zero_at: 3}\n",
        "        scoring: {full_at: 0, zero_at: 3}\n"
        "        prefill: {source: dossier_ledger, measure: online_share}\n",
    )
    issue = only_issue(source)
    assert "gives a share, which fills a percent item, not a count item" in issue.message
    # A count on a yes/no item.
    source = edited(
        "        legal_basis: [ct-26-2016]\n",
        "        legal_basis: [ct-26-2016]\n        prefill: {source: dossier_ledger, measure: backlog}\n",
    )
    assert "fills a count item, not a yes_no item" in only_issue(source).message


def test_an_unknown_prefill_source_is_refused() -> None:
    source = edited(
        "        scoring: {target: 100, floor: 50}\n",
        "        scoring: {target: 100, floor: 50}\n"
        "        prefill: {source: spreadsheet, measure: online_share}\n",
    )
    assert "dossier_ledger" in only_issue(source).message


def test_an_unscored_item_cannot_take_a_prefill() -> None:
    source = edited(
        "        text: {vi: Ghi chú, en: Notes}\n",
        "        text: {vi: Ghi chú, en: Notes}\n        prefill: {source: dossier_ledger, measure: backlog}\n",
    )
    assert "prefill" in only_issue(source).message + only_issue(source).path


def test_a_count_item_may_take_a_count_from_the_dossier_samples_checks() -> None:
    source = edited(
        "        scoring: {full_at: 0, zero_at: 3}\n",
        "        scoring: {full_at: 0, zero_at: 3}\n"
        "        prefill: {source: dossier_sample, measure: date_mismatches}\n",
    )
    prefill = load_template(source, "demo.yaml").item("A2").prefill
    assert prefill is not None and prefill.source == "dossier_sample"
    assert prefill.kind == "count"


def test_each_source_takes_only_its_own_measures() -> None:
    line = "        prefill: {source: dossier_sample, measure: backlog}"
    source = edited(
        "        scoring: {full_at: 0, zero_at: 3}\n",
        "        scoring: {full_at: 0, zero_at: 3}\n" + line + "\n",
    )
    issue = only_issue(source)
    assert "unknown measure 'backlog' for source dossier_sample" in issue.message
    assert "date_mismatches" in issue.message
    assert issue.line == line_of(source, "measure: backlog")
    ledger = edited(
        "        scoring: {full_at: 0, zero_at: 3}\n",
        "        scoring: {full_at: 0, zero_at: 3}\n"
        "        prefill: {source: dossier_ledger, measure: date_mismatches}\n",
    )
    assert "the dossier ledger gives" in only_issue(ledger).message
