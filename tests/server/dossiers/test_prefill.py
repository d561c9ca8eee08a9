"""Pre-filled checklist items: each measure on hand-built ledgers, and on random ledgers against
an independent computation written here from the raw fields (not from the rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.format import DOSSIER_LEDGER_MEASURES
from server.dossiers.model import Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.prefill import (
    MEASURES,
    MeasureValue,
    compute_measures,
    prefill_period,
)
from server.dossiers.rules import RuleContext
from server.dossiers.workdays import shipped_calendar
from tests.server.dossiers.builders import at, day, dossier

CALENDAR = shipped_calendar()
CONTEXT = RuleContext(CALENDAR)
MARCH = (date(2024, 3, 1), date(2024, 3, 31))


def measure(records: list[DossierRecord], name: str, period=MARCH) -> MeasureValue | None:
    result = compute_measures(
        records, [name], period_from=period[0], period_to=period[1], context=CONTEXT
    )
    assert result is not None
    return result.values.get(name)


def test_the_measures_are_the_checklist_formats_measures() -> None:
    assert set(MEASURES) == set(DOSSIER_LEDGER_MEASURES)


def period_before(visit: date) -> tuple[date, date]:
    period = prefill_period(visit)
    assert period is not None
    return period


def test_the_period_is_the_90_days_before_the_visit() -> None:
    assert prefill_period(date(2026, 11, 30)) == (date(2026, 9, 1), date(2026, 11, 29))
    start, end = period_before(date(2024, 3, 1))  # across a leap day
    assert (end - start).days + 1 == 90 and end == date(2024, 2, 29)


def test_the_period_stops_where_the_imported_ledger_stops() -> None:
    visit = date(2026, 11, 30)
    assert prefill_period(visit, ledger_covers_until=date(2026, 9, 30)) == (
        date(2026, 9, 1),
        date(2026, 9, 30),
    )
    # A ledger that reaches the visit day or beyond does not stretch the period.
    assert prefill_period(visit, ledger_covers_until=visit) == (
        date(2026, 9, 1),
        date(2026, 11, 29),
    )
    # One that ends the day before the period starts says nothing about it.
    assert prefill_period(visit, ledger_covers_until=date(2026, 8, 31)) is None
    assert prefill_period(visit, ledger_covers_until=date(2026, 9, 1)) == (
        date(2026, 9, 1),
        date(2026, 9, 1),
    )


def test_the_apology_count_is_not_offered_when_a_late_dossier_has_unknown_slips() -> None:
    late = dossier(resolved=at("08/03/2024 10:00"), returned=None, status=DossierStatus.resolved)
    on_time = dossier(dossier_code="PD-0002")
    # A ledger with a slip column that shows none: one late dossier without an apology.
    assert measure([late, on_time], "late_without_proper_apology") == MeasureValue(value=1)
    # Form 06 has no slip column: the late dossier's slips are unknown, so the ledger cannot
    # count it (0 would read as "every late dossier apologised"); D5 is still answered.
    unknown = replace(late, apology_slips=None)
    assert measure([unknown, on_time], "late_without_proper_apology") is None
    assert measure([unknown, on_time], "resolved_late_share") == MeasureValue(
        numerator=1, denominator=2
    )
    # Unknown slips on a dossier that was not late do not matter: none was owed.
    assert measure(
        [late, replace(on_time, apology_slips=None)], "late_without_proper_apology"
    ) == MeasureValue(value=1)


def test_a_ledger_with_no_dossier_received_in_the_period_gives_nothing() -> None:
    only_february = [dossier(received=at("28/02/2024 08:00"), appointed_return=day("01/03/2024"))]
    assert (
        compute_measures(
            only_february, ["backlog"], period_from=MARCH[0], period_to=MARCH[1], context=CONTEXT
        )
        is None
    )


def test_unknown_measures_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown measures: late_share"):
        compute_measures(
            [dossier()], ["late_share"], period_from=MARCH[0], period_to=MARCH[1], context=CONTEXT
        )


def test_the_period_edges_count_the_first_and_last_day_and_nothing_beyond() -> None:
    visit = date(2024, 4, 1)
    first, last = period_before(visit)
    records = [
        dossier(dossier_code="first", received=Moment(first), channel=Channel.online),
        dossier(dossier_code="last", received=Moment(last), channel=Channel.online),
        dossier(dossier_code="before", received=Moment(first - timedelta(days=1))),
        dossier(dossier_code="visit-day", received=Moment(visit), channel=Channel.in_person),
        dossier(
            dossier_code="inside", received=Moment(last - timedelta(days=3)), channel=Channel.post
        ),
    ]
    result = compute_measures(
        records, ["online_share"], period_from=first, period_to=last, context=CONTEXT
    )
    assert result is not None and result.dossiers == 3
    assert result.values["online_share"] == MeasureValue(numerator=2, denominator=3)


def test_days_are_the_units_local_days_not_utc_days() -> None:
    # 17:30 UTC on 31 March is 00:30 on 1 April in Hà Nội: the visit day, outside the period;
    # 16:30 UTC is 23:30 on 31 March, the period's last day, inside it.
    first, last = period_before(date(2024, 4, 1))
    inside = Moment.of(datetime(2024, 3, 31, 16, 30, tzinfo=UTC))
    outside = Moment.of(datetime(2024, 3, 31, 17, 30, tzinfo=UTC))
    assert (inside.day, outside.day) == (date(2024, 3, 31), date(2024, 4, 1))
    records = [
        dossier(dossier_code="in", received=inside, channel=Channel.online),
        dossier(dossier_code="out", received=outside, channel=Channel.in_person),
    ]
    result = compute_measures(
        records, ["online_share"], period_from=first, period_to=last, context=CONTEXT
    )
    assert result is not None
    assert result.values["online_share"] == MeasureValue(numerator=1, denominator=1)


def test_a_hand_built_ledger_gives_each_measure() -> None:
    late = dict(resolved=at("11/03/2024 10:00"), returned=at("12/03/2024 08:00"))
    records = [
        dossier(dossier_code="ok"),  # online, files, result file, on time
        dossier(dossier_code="no-files", component_files=0),
        dossier(dossier_code="files-unknown", component_files=None),
        dossier(dossier_code="no-result", result_file_present=False),
        dossier(dossier_code="late-no-slip", channel=Channel.in_person, **late),
        # Late with a slip two working days ahead and one new date: proper.
        dossier(
            dossier_code="late-proper",
            channel=Channel.in_person,
            apology_slips=(day("05/03/2024"),),
            new_appointed_returns=(day("12/03/2024"),),
            **late,
        ),
        # Late, rescheduled twice: not proper.
        dossier(
            dossier_code="late-twice",
            channel=Channel.post,
            apology_slips=(day("05/03/2024"), day("08/03/2024")),
            new_appointed_returns=(day("11/03/2024"), day("12/03/2024")),
            **late,
        ),
        # Pending and overdue at the end of March: backlog.
        dossier(
            dossier_code="backlog", resolved=None, returned=None, status=DossierStatus.processing
        ),
        # Pending and overdue but waiting for the applicant: not backlog.
        dossier(
            dossier_code="waiting",
            resolved=None,
            returned=None,
            status=DossierStatus.awaiting_supplement,
        ),
        dossier(dossier_code="paid", fee=8_000, paid_online=True),
        dossier(dossier_code="unpaid", fee=8_000, paid_online=False),
    ]
    assert measure(records, "online_share") == MeasureValue(numerator=8, denominator=11)
    assert measure(records, "online_payment_share") == MeasureValue(numerator=1, denominator=2)
    # Online with a known file count: ok, no-files, no-result, backlog, waiting, paid, unpaid.
    assert measure(records, "online_with_component_files_share") == MeasureValue(
        numerator=6, denominator=7
    )
    # Resolved in March with a known result file: all but backlog and waiting.
    assert measure(records, "resolved_with_result_file_share") == MeasureValue(
        numerator=8, denominator=9
    )
    assert measure(records, "resolved_late_share") == MeasureValue(numerator=3, denominator=9)
    assert measure(records, "late_without_proper_apology") == MeasureValue(value=2)
    assert measure(records, "backlog") == MeasureValue(value=1)


def test_a_share_with_nothing_to_divide_by_is_not_offered() -> None:
    records = [dossier(channel=None, component_files=None, fee=0)]
    for name in ("online_share", "online_payment_share", "online_with_component_files_share"):
        assert measure(records, name) is None
    assert measure(records, "backlog") == MeasureValue(value=0)


def test_a_slip_on_saturday_for_a_monday_date_is_not_proper() -> None:
    # Due Monday 11/03/2024; the slip dated Saturday 09/03 leaves no working day.
    record = dossier(
        received=at("05/03/2024 08:30"),
        appointed_return=day("11/03/2024"),
        apology_slips=(day("09/03/2024"),),
        new_appointed_returns=(day("13/03/2024"),),
        resolved=at("13/03/2024 10:00"),
        returned=at("13/03/2024 11:00"),
    )
    assert measure([record], "late_without_proper_apology") == MeasureValue(value=1)
    on_friday = replace(record, apology_slips=(day("08/03/2024"),))
    assert measure([on_friday], "late_without_proper_apology") == MeasureValue(value=0)


# --- random ledgers against an independent computation -------------------------------------------

START = date(2024, 2, 1)


@st.composite
def records(draw: st.DrawFn) -> DossierRecord:
    received = START + timedelta(days=draw(st.integers(0, 80)))
    appointed = received + timedelta(days=draw(st.integers(0, 10)))

    def maybe_day(base: date, low: int, high: int) -> Moment | None:
        if draw(st.booleans()):
            return None
        return Moment(base + timedelta(days=draw(st.integers(low, high))))

    resolved = maybe_day(received, -2, 20)
    slips = tuple(
        Moment(appointed + timedelta(days=offset))
        for offset in draw(st.lists(st.integers(-6, 1), max_size=2))
    )
    new_dates = tuple(
        Moment(appointed + timedelta(days=offset))
        for offset in sorted(draw(st.lists(st.integers(1, 10), max_size=2)))
    )
    return DossierRecord(
        dossier_code=str(draw(st.uuids())),
        received=Moment(received),
        appointed_return=Moment(appointed),
        channel=draw(st.sampled_from([None, *Channel])),
        resolved=resolved,
        returned=maybe_day(received, 0, 25),
        component_files=draw(st.sampled_from([None, 0, 1, 3])),
        result_file_present=draw(st.sampled_from([None, True, False])),
        fee=draw(st.sampled_from([None, 0, 8_000])),
        paid_online=draw(st.sampled_from([None, True, False])),
        apology_slips=slips,
        new_appointed_returns=new_dates,
        status=draw(st.sampled_from([None, *DossierStatus])),
    )


def independent(ledger: list[DossierRecord], start: date, end: date) -> dict[str, MeasureValue]:
    """Every measure, counted from the raw fields as the documentation defines it."""
    received = [r for r in ledger if start <= r.received.day <= end]
    resolved = [r for r in ledger if r.resolved is not None and start <= r.resolved.day <= end]
    late = [
        r for r in resolved if r.resolved is not None and r.resolved.day > r.appointed_return.day
    ]

    def share(numerator: int, denominator: int) -> MeasureValue | None:
        return MeasureValue(numerator=numerator, denominator=denominator) if denominator else None

    def slip_too_late(r: DossierRecord) -> bool:
        targets = [r.appointed_return.day, *(m.day for m in r.new_appointed_returns)]
        for slip, target in zip(r.apology_slips, targets, strict=False):
            days = [slip.day + timedelta(days=n) for n in range((target - slip.day).days)]
            if not any(CALENDAR.is_working_day(d) for d in days):
                return True
        return False

    def improper(r: DossierRecord) -> bool:
        twice = max(len(r.apology_slips), len(r.new_appointed_returns)) > 1
        return not r.apology_slips or twice or slip_too_late(r)

    def in_backlog(r: DossierRecord) -> bool:
        if r.received.day > end:
            return False
        if r.status in (DossierStatus.rejected, DossierStatus.withdrawn):
            return False
        if any(m is not None and m.day <= end for m in (r.resolved, r.returned)):
            return False
        if (
            r.resolved is None
            and r.returned is None
            and r.status
            in (
                DossierStatus.resolved,
                DossierStatus.returned,
            )
        ):
            return False
        due = r.new_appointed_returns[-1].day if r.new_appointed_returns else r.appointed_return.day
        return due < end and r.status is not DossierStatus.awaiting_supplement

    known_channel = [r for r in received if r.channel is not None]
    payable = [r for r in received if r.fee and r.paid_online is not None]
    online_files = [
        r for r in received if r.channel is Channel.online and r.component_files is not None
    ]
    with_result = [
        r
        for r in resolved
        if r.result_file_present is not None
        and r.status not in (DossierStatus.rejected, DossierStatus.withdrawn)
    ]
    values = {
        "online_share": share(
            sum(r.channel is Channel.online for r in known_channel), len(known_channel)
        ),
        "online_payment_share": share(sum(bool(r.paid_online) for r in payable), len(payable)),
        "online_with_component_files_share": share(
            sum(r.component_files != 0 for r in online_files), len(online_files)
        ),
        "resolved_with_result_file_share": share(
            sum(r.result_file_present is True for r in with_result), len(with_result)
        ),
        "resolved_late_share": share(len(late), len(resolved)),
        "late_without_proper_apology": MeasureValue(value=sum(improper(r) for r in late)),
        "backlog": MeasureValue(value=sum(in_backlog(r) for r in ledger)),
    }
    return {name: value for name, value in values.items() if value is not None}


@settings(max_examples=150, deadline=None)
@given(ledger=st.lists(records(), min_size=1, max_size=25), visit_offset=st.integers(20, 100))
def test_prefill_equals_an_independent_computation_from_the_ledger(
    ledger: list[DossierRecord], visit_offset: int
) -> None:
    start, end = period_before(START + timedelta(days=visit_offset))
    result = compute_measures(
        ledger, list(MEASURES), period_from=start, period_to=end, context=CONTEXT
    )
    received = [r for r in ledger if start <= r.received.day <= end]
    if not received:
        assert result is None
        return
    assert result is not None and result.dossiers == len(received)
    assert result.values == independent(ledger, start, end)
