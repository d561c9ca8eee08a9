"""The demo's generated ledger: reproducible from its seed, realistic in shape, and the rules
find exactly the problems it planted, no more, through a CSV and an XLSX file too."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from server.dossiers.generator import EXPECTED, generate_ledger
from server.dossiers.indicators import period_indicators
from server.dossiers.mapping import shipped_layout
from server.dossiers.model import Channel
from server.dossiers.reading import load_ledger
from server.dossiers.rules import CHECKS, RuleContext, check_ledger
from server.dossiers.workdays import shipped_calendar
from server.dossiers.writing import write_csv, write_xlsx

LEDGER = generate_ledger(2024, unit_code="PD", count=3000)
CONTEXT = RuleContext(shipped_calendar(), LEDGER.period_end, LEDGER.posted_fees)


def found(records) -> dict[str, frozenset[str]]:
    result = check_ledger(records, CONTEXT)
    return {code: frozenset(flag.rule for flag in flags) for code, flags in result.flags.items()}


def test_the_rules_find_exactly_what_was_planted() -> None:
    assert found(LEDGER.records) == LEDGER.planted


def test_every_kind_of_problem_is_planted_and_the_rest_is_clean() -> None:
    kinds = Counter(LEDGER.planted_kinds.values())
    assert set(kinds) == set(EXPECTED)
    assert 100 <= len(LEDGER.planted) <= 400  # a few percent of 3,000 dossiers
    assert {rule for rules in EXPECTED.values() for rule in rules} == set(CHECKS)


def test_the_same_seed_gives_the_same_ledger_and_another_seed_another() -> None:
    again = generate_ledger(2024, unit_code="PD", count=3000)
    assert again.records == LEDGER.records and again.planted == LEDGER.planted
    assert generate_ledger(2025, unit_code="PD", count=3000).records != LEDGER.records


def test_the_ledger_looks_like_a_commune_quarter() -> None:
    records = LEDGER.records
    assert len({record.dossier_code for record in records}) == 3000
    assert all(
        LEDGER.period_start <= record.received.day <= LEDGER.period_end for record in records
    )
    assert all(shipped_calendar().is_working_day(record.received.day) for record in records)
    online = sum(record.channel is Channel.online for record in records) / len(records)
    assert 0.25 < online < 0.5
    indicators = period_indicators(
        records, period_start=LEDGER.period_start, period_end=LEDGER.period_end, context=CONTEXT
    )
    assert 0.9 < (indicators.on_time.value or 0) < 1
    assert indicators.pending_at_end > indicators.backlog > 0


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_planted_cases_survive_the_file_and_are_still_found_exactly(file_format: str) -> None:
    ledger = generate_ledger(7, unit_code="VH", count=800)
    layout = shipped_layout("one-stop-export")
    data = io.BytesIO()
    if file_format == "csv":
        text = io.StringIO()
        write_csv(layout, ledger.records, text)
        data = io.BytesIO(text.getvalue().encode("utf-8-sig"))
    else:
        write_xlsx(layout, ledger.records, data)
        data.seek(0)
    records, report = load_ledger(data, file_format=file_format, layout=layout)  # type: ignore[arg-type]
    assert report.ok and records == ledger.records
    context = RuleContext(shipped_calendar(), ledger.period_end, ledger.posted_fees)
    result = check_ledger(records, context)
    assert {
        code: frozenset(flag.rule for flag in flags) for code, flags in result.flags.items()
    } == ledger.planted


def test_every_rules_detail_is_worded_in_vietnamese_and_in_english() -> None:
    # The planted problems trip every rule; each detail has both languages, the Vietnamese with
    # its diacritics and none of the English words.
    flags = [
        flag for found in check_ledger(LEDGER.records, CONTEXT).flags.values() for flag in found
    ]
    assert {flag.rule for flag in flags} == set(CHECKS)
    english = {"resolved", "returned", "received", "slip", "VND", "times", "due", "before"}
    for flag in flags:
        assert flag.detail.vi != flag.detail.en
        assert set(flag.detail.vi) & set("ảãạăắằặâấầậđêếềệôốồộơớờợưứừựýỳ"), flag.detail.vi
        assert not english & set(flag.detail.vi.replace(",", " ").split()), flag.detail.vi
