"""Each rule on hand-built dossiers: the case it exists for, the boundary on either side, and
weekends and holidays where working days count."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from server.dossiers.model import Channel, DossierStatus
from server.dossiers.rules import (
    CHECKS,
    RuleContext,
    Severity,
    check_dossier,
    check_ledger,
    rule_catalogue,
)
from server.dossiers.workdays import shipped_calendar
from tests.server.dossiers.builders import at, day, dossier

CONTEXT = RuleContext(
    shipped_calendar(),
    period_end=date(2024, 3, 31),
    posted_fees={"2.000635": 0, "2.000986": 8_000},
)


def rules_tripped(record, context=CONTEXT) -> set[str]:
    return {flag.rule for flag in check_dossier(record, context)}


def test_the_clean_dossier_trips_nothing() -> None:
    assert rules_tripped(dossier()) == set()


def test_every_rule_has_data_and_every_datum_a_rule() -> None:
    assert list(rule_catalogue()) == list(CHECKS)


# --- late without apology -----------------------------------------------------------------------


def test_resolved_the_day_after_the_appointment_without_a_slip_is_late() -> None:
    record = dossier(resolved=at("08/03/2024 10:00"), returned=None, status=DossierStatus.resolved)
    assert rules_tripped(record) == {"late_without_apology"}


def test_resolved_late_in_the_evening_of_the_appointed_day_is_on_time() -> None:
    record = dossier(resolved=at("07/03/2024 23:30"), returned=at("07/03/2024 23:45"))
    assert rules_tripped(record) == set()


def test_resolved_late_with_a_timely_slip_is_not_late_without_apology() -> None:
    record = dossier(
        apology_slips=(day("06/03/2024"),),
        new_appointed_returns=(day("12/03/2024"),),
        resolved=at("11/03/2024 10:00"),
        returned=at("12/03/2024 08:00"),
    )
    assert rules_tripped(record) == set()


def test_late_with_unknown_slips_is_not_late_without_apology() -> None:
    # A form-06 ledger has no slip column: its late dossier may well have had its slip.
    late = dossier(resolved=at("08/03/2024 10:00"), returned=None, status=DossierStatus.resolved)
    assert rules_tripped(late) == {"late_without_apology"}
    assert rules_tripped(replace(late, apology_slips=None)) == set()


def test_the_slip_rules_are_silent_on_unknown_slips() -> None:
    # What a form-06 book can show of a dossier resolved late: dates only, no slip, no new date.
    book = dossier(
        channel=None,
        component_files=None,
        result_file_present=None,
        fee=None,
        supplement_requests=None,
        status=None,
        apology_slips=None,
        resolved=day("11/03/2024"),
        returned=day("12/03/2024"),
    )
    assert rules_tripped(book) == {"returned_late"}
    # With a slip column that shows none, the same dossier is late without apology.
    assert rules_tripped(replace(book, apology_slips=())) == {
        "late_without_apology",
        "returned_late",
    }


def test_two_new_dates_without_a_slip_column_are_still_rescheduled_twice() -> None:
    record = dossier(
        apology_slips=None,
        new_appointed_returns=(day("12/03/2024"), day("15/03/2024")),
        resolved=at("14/03/2024 10:00"),
        returned=at("15/03/2024 08:00"),
    )
    assert rules_tripped(record) == {"rescheduled_more_than_once"}


# --- apology slip timing ------------------------------------------------------------------------


def test_a_slip_on_the_appointed_day_is_too_late() -> None:
    record = dossier(
        apology_slips=(day("07/03/2024"),),
        new_appointed_returns=(day("12/03/2024"),),
        resolved=at("11/03/2024 10:00"),
        returned=at("12/03/2024 08:00"),
    )
    assert rules_tripped(record) == {"apology_too_late"}


def test_a_slip_on_friday_for_a_monday_appointment_is_one_working_day_ahead() -> None:
    # Fri 08/03/2024 → Mon 11/03/2024: the weekend does not count, and one working day is enough.
    record = dossier(
        appointed_return=day("11/03/2024"),
        apology_slips=(day("08/03/2024"),),
        new_appointed_returns=(day("13/03/2024"),),
        resolved=at("12/03/2024 10:00"),
        returned=at("13/03/2024 08:00"),
    )
    assert rules_tripped(record) == set()


def test_a_slip_on_saturday_for_a_monday_appointment_leaves_no_working_day_and_is_too_late() -> (
    None
):
    record = dossier(
        appointed_return=day("11/03/2024"),
        apology_slips=(day("09/03/2024"),),
        new_appointed_returns=(day("13/03/2024"),),
        resolved=at("12/03/2024 10:00"),
        returned=at("13/03/2024 08:00"),
    )
    assert rules_tripped(record) == {"apology_too_late"}


def test_a_slip_before_tet_for_the_first_day_after_tet_is_on_time_and_one_during_tet_is_not() -> (
    None
):
    # Tết 2024: 08/02 to 14/02 off (weekdays 8, 9, 12, 13, 14); the first working day after is
    # Thu 15/02. A slip on Wed 07/02 is one working day ahead; one on Fri 09/02 (a holiday) is not.
    def rescheduled(slip: str):
        return dossier(
            received=at("01/02/2024 08:30"),
            transferred=at("01/02/2024 09:00"),
            appointed_return=day("15/02/2024"),
            apology_slips=(day(slip),),
            new_appointed_returns=(day("20/02/2024"),),
            resolved=at("19/02/2024 10:00"),
            returned=at("20/02/2024 08:00"),
        )

    assert rules_tripped(rescheduled("07/02/2024")) == set()
    assert rules_tripped(rescheduled("09/02/2024")) == {"apology_too_late"}


def test_a_slip_at_the_start_of_the_calendar_is_judged_without_leaving_it() -> None:
    # Tue 02/01/2024 is the first working day the calendar lists; nothing before it is asked.
    record = dossier(
        received=at("02/01/2024 08:00"),
        transferred=None,
        appointed_return=day("02/01/2024"),
        apology_slips=(day("02/01/2024"),),
        new_appointed_returns=(day("05/01/2024"),),
        resolved=at("04/01/2024 10:00"),
        returned=at("05/01/2024 08:00"),
    )
    assert rules_tripped(record) == {"apology_too_late"}


def test_a_second_slip_is_judged_against_the_date_the_first_gave() -> None:
    record = dossier(
        apology_slips=(day("06/03/2024"), day("12/03/2024")),
        new_appointed_returns=(day("12/03/2024"), day("15/03/2024")),
        resolved=at("14/03/2024 10:00"),
        returned=at("15/03/2024 08:00"),
    )
    assert rules_tripped(record) == {"apology_too_late", "rescheduled_more_than_once"}


def test_rescheduled_twice_with_timely_slips() -> None:
    record = dossier(
        apology_slips=(day("06/03/2024"), day("11/03/2024")),
        new_appointed_returns=(day("12/03/2024"), day("15/03/2024")),
        resolved=at("14/03/2024 10:00"),
        returned=at("15/03/2024 08:00"),
    )
    assert rules_tripped(record) == {"rescheduled_more_than_once"}


# --- files --------------------------------------------------------------------------------------


def test_resolved_with_no_result_file() -> None:
    assert rules_tripped(dossier(result_file_present=False)) == {"resolved_without_result_file"}


def test_unknown_result_file_and_a_refused_dossier_are_not_flagged() -> None:
    assert rules_tripped(dossier(result_file_present=None)) == set()
    refused = dossier(
        resolved=None, returned=None, status=DossierStatus.rejected, result_file_present=False
    )
    assert rules_tripped(refused) == set()


def test_online_with_no_component_files_but_in_person_or_unknown_is_fine() -> None:
    assert rules_tripped(dossier(component_files=0)) == {"online_without_component_files"}
    assert rules_tripped(dossier(component_files=0, channel=Channel.in_person)) == set()
    assert rules_tripped(dossier(component_files=None)) == set()


# --- sequences ----------------------------------------------------------------------------------


def test_resolved_an_hour_before_it_was_received_is_impossible() -> None:
    record = dossier(resolved=at("05/03/2024 07:30"), transferred=None)
    flags = check_dossier(record, CONTEXT)
    assert [flag.rule for flag in flags] == ["impossible_sequence"]
    assert flags[0].severity is Severity.critical
    assert "resolved 05/03/2024 07:30 before received 05/03/2024 08:30" in flags[0].detail.en
    assert flags[0].detail.vi == (
        "thời điểm có kết quả (05/03/2024 07:30) trước thời điểm tiếp nhận (05/03/2024 08:30)"
    )


def test_a_date_only_resolution_on_the_day_received_is_not_before_it() -> None:
    record = dossier(resolved=day("05/03/2024"), transferred=None)
    assert rules_tripped(record) == set()


def test_returned_before_resolved_is_impossible() -> None:
    record = dossier(resolved=at("06/03/2024 15:00"), returned=at("06/03/2024 14:00"))
    assert rules_tripped(record) == {"impossible_sequence"}


# --- returned late ------------------------------------------------------------------------------


def test_returned_the_day_after_the_date_in_force() -> None:
    assert rules_tripped(dossier(returned=at("08/03/2024 08:00"))) == {"returned_late"}


def test_returned_after_the_appointment_but_by_the_rescheduled_date_is_not_late() -> None:
    record = dossier(
        apology_slips=(day("06/03/2024"),),
        new_appointed_returns=(day("12/03/2024"),),
        returned=at("12/03/2024 16:59"),
    )
    assert rules_tripped(record) == set()


# --- backlog ------------------------------------------------------------------------------------


def test_unresolved_and_overdue_at_the_period_end_is_backlog() -> None:
    record = dossier(resolved=None, returned=None, status=DossierStatus.processing)
    assert rules_tripped(record) == {"backlog_at_period_end"}


def test_waiting_for_the_applicants_supplement_is_not_backlog() -> None:
    record = dossier(resolved=None, returned=None, status=DossierStatus.awaiting_supplement)
    assert rules_tripped(record) == set()


def test_due_on_the_last_day_of_the_period_is_not_backlog_yet() -> None:
    record = dossier(
        appointed_return=day("31/03/2024"),
        resolved=None,
        returned=None,
        status=DossierStatus.processing,
    )
    assert rules_tripped(record) == set()


def test_resolved_after_the_period_counts_as_backlog_at_its_end() -> None:
    record = dossier(resolved=at("02/04/2024 10:00"), returned=None, status=DossierStatus.resolved)
    assert "backlog_at_period_end" in rules_tripped(record)


def test_no_period_end_no_backlog_rule() -> None:
    record = dossier(resolved=None, returned=None, status=DossierStatus.processing)
    assert rules_tripped(record, RuleContext(shipped_calendar())) == set()


# --- fees ---------------------------------------------------------------------------------------


def test_a_fee_for_a_free_procedure() -> None:
    assert rules_tripped(dossier(fee=50_000)) == {"fee_not_due"}


def test_a_fee_other_than_the_posted_one() -> None:
    copy = dict(procedure_code="2.000986")
    assert rules_tripped(dossier(fee=10_000, **copy)) == {"fee_differs"}
    assert rules_tripped(dossier(fee=8_000, **copy)) == set()


def test_fees_are_not_judged_without_a_catalogue_or_for_an_unlisted_procedure() -> None:
    assert rules_tripped(dossier(fee=50_000), RuleContext(shipped_calendar())) == set()
    assert rules_tripped(dossier(fee=50_000, procedure_code="9.999999")) == set()


def test_supplement_requested_twice() -> None:
    assert rules_tripped(dossier(supplement_requests=2)) == {"supplement_requested_more_than_once"}
    assert rules_tripped(dossier(supplement_requests=1)) == set()


# --- legal bases and counts ---------------------------------------------------------------------


def test_the_legal_basis_is_the_one_in_force_when_the_dossier_was_received() -> None:
    before = dossier(result_file_present=False)
    after = dossier(
        received=at("01/07/2025 08:00"),
        transferred=at("01/07/2025 09:00"),
        appointed_return=day("03/07/2025"),
        resolved=at("02/07/2025 10:00"),
        returned=at("03/07/2025 10:00"),
        result_file_present=False,
    )
    (flag_before,) = check_dossier(before, CONTEXT)
    (flag_after,) = check_dossier(after, RuleContext(shipped_calendar()))
    assert "107/2021" in (flag_before.legal_basis or "")
    assert "118/2025" in (flag_after.legal_basis or "")


def test_counts_per_unit_rule_and_severity() -> None:
    records = [
        dossier(dossier_code="A-1", handling_agency="UBND xã"),
        dossier(dossier_code="A-2", handling_agency="UBND xã", result_file_present=False),
        dossier(
            dossier_code="B-1",
            handling_agency="Phòng Kinh tế",
            resolved=at("05/03/2024 07:00"),
            result_file_present=False,
        ),
    ]
    result = check_ledger(records, CONTEXT, unit_of=lambda record: record.handling_agency or "")

    assert set(result.flags) == {"A-2", "B-1"}
    assert result.totals.dossiers == 3 and result.totals.flagged_dossiers == 2
    assert result.totals.by_rule == {"resolved_without_result_file": 2, "impossible_sequence": 1}
    assert result.totals.by_severity == {"major": 2, "critical": 1}
    assert result.by_unit["UBND xã"].dossiers == 2
    assert result.by_unit["UBND xã"].by_rule == {"resolved_without_result_file": 1}
    assert result.by_unit["Phòng Kinh tế"].flagged_dossiers == 1


@pytest.mark.parametrize("code", list(CHECKS))
def test_every_rule_names_a_legal_basis_for_both_periods(code: str) -> None:
    info = rule_catalogue()[code]
    assert info.basis_on(date(2024, 1, 1)) is not None
    assert info.basis_on(date(2026, 1, 1)) is not None
    assert info.title_vi and info.title_en
