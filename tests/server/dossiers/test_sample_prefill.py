"""The checklist measures from the sealed sample's checks (``prefill: {source: dossier_sample}``):
pure, against an independent computation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklists.format import DOSSIER_SAMPLE_MEASURES
from server.dossiers.prefill import SAMPLE_MEASURES, SampleMeasureValue, sample_measures

FIELDS = (
    "received",
    "resolved",
    "returned",
    "components",
    "result",
    "fee_receipt",
    "receipt_slip",
)
VALUES = ("match", "mismatch", "not_checked")

codes = st.lists(st.sampled_from([f"H{n:03}" for n in range(12)]), unique=True, max_size=10)
one_check = st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(VALUES))
checks = st.dictionaries(st.sampled_from([f"H{n:03}" for n in range(15)]), one_check, max_size=12)


def test_the_sample_measures_are_the_checklist_formats() -> None:
    assert set(SAMPLE_MEASURES) == set(DOSSIER_SAMPLE_MEASURES)


@given(sampled=codes, recorded=checks)
def test_date_mismatches_counts_sampled_dossiers_whose_paper_dates_differ(
    sampled: list[str], recorded: dict[str, dict[str, str]]
) -> None:
    # Independently: walk the sample, look only at the three date fields.
    compared = mismatched = 0
    for code in sampled:
        dates = [recorded.get(code, {}).get(name, "not_checked") for name in FIELDS[:3]]
        if any(value != "not_checked" for value in dates):
            compared += 1
            mismatched += "mismatch" in dates
    got = sample_measures(sampled, recorded, ["date_mismatches"])
    if compared == 0:
        assert got == {}
    else:
        assert got == {
            "date_mismatches": SampleMeasureValue(
                value=mismatched, checked=compared, sampled=len(sampled)
            )
        }


@given(sampled=codes, recorded=checks)
def test_receipt_slip_share_is_the_slips_found_over_the_slips_looked_for(
    sampled: list[str], recorded: dict[str, dict[str, str]]
) -> None:
    slips = [recorded.get(code, {}).get("receipt_slip", "not_checked") for code in sampled]
    looked = [slip for slip in slips if slip != "not_checked"]
    got = sample_measures(sampled, recorded, ["receipt_slip_share"])
    if not looked:
        assert got == {}
    else:
        assert got == {
            "receipt_slip_share": SampleMeasureValue(
                numerator=looked.count("match"),
                denominator=len(looked),
                checked=len(looked),
                sampled=len(sampled),
            )
        }


def test_checks_of_other_fields_or_codes_outside_the_sample_say_nothing_about_dates() -> None:
    recorded = {
        "H1": {"components": "mismatch", "fee_receipt": "mismatch"},
        "OUTSIDE": {"resolved": "mismatch"},
    }
    assert sample_measures(["H1", "H2"], recorded, ["date_mismatches"]) == {}
    recorded["H2"] = {"returned": "match"}
    recorded["H1"]["received"] = "mismatch"
    assert sample_measures(["H1", "H2", "H3"], recorded, ["date_mismatches"]) == {
        "date_mismatches": SampleMeasureValue(value=1, checked=2, sampled=3)
    }


def test_an_unknown_sample_measure_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown sample measure"):
        sample_measures(["H1"], {}, ["backlog"])
