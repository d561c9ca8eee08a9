"""The working-day calendar: known days of 2024–2027 (Tết, swapped Saturdays, compensatory days)
and the laws that adding and counting working days must keep."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.dossiers.workdays import (
    CalendarInvalid,
    CalendarNotCovered,
    parse_calendar,
    shipped_calendar,
)

CALENDAR = shipped_calendar()
covered = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 2, 7), True),  # the last working day before Tết Giáp Thìn
        (date(2024, 2, 9), False),  # Tết
        (date(2024, 2, 14), False),  # mùng 5
        (date(2024, 2, 15), True),
        (date(2024, 4, 29), False),  # Monday swapped with …
        (date(2024, 5, 4), True),  # … this Saturday, worked
        (date(2024, 9, 3), False),
        (date(2025, 1, 27), False),
        (date(2025, 4, 26), True),  # Saturday worked for Fri 2 May 2025
        (date(2025, 5, 2), False),
        (date(2026, 4, 27), False),  # Hùng Kings' day fell on a Sunday: Monday off
        (date(2027, 5, 3), False),  # 1 May 2027 is a Saturday: Monday off
        (date(2024, 3, 9), False),  # an ordinary Saturday
        (date(2024, 3, 11), True),
    ],
)
def test_known_days(day: date, working: bool) -> None:
    assert CALENDAR.is_working_day(day) is working


def test_one_working_day_after_the_eve_of_tet_is_the_day_after_it() -> None:
    assert CALENDAR.add_working_days(date(2024, 2, 7), 1) == date(2024, 2, 15)
    assert CALENDAR.add_working_days(date(2024, 2, 15), -1) == date(2024, 2, 7)
    assert CALENDAR.working_days_between(date(2024, 2, 7), date(2024, 2, 15)) == 1


def test_a_swapped_saturday_counts() -> None:
    assert CALENDAR.add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)


def test_a_year_has_the_working_days_it_should() -> None:
    # 2024: 262 weekdays, 11 weekday holidays (incl. the swapped Monday), +1 worked Saturday.
    assert (
        CALENDAR.working_days_between(date(2023, 12, 31) + timedelta(days=1), date(2024, 12, 31))
        == 251
    )


def test_a_day_outside_the_calendar_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarNotCovered, match="covers 2024–2027"):
        CALENDAR.is_working_day(date(2028, 1, 3))
    with pytest.raises(CalendarNotCovered):
        CALENDAR.add_working_days(date(2027, 12, 30), 5)


def test_a_province_may_count_saturdays() -> None:
    text = (
        "calendar: saturday-mornings\nyears: [2024, 2024]\nweekend: [sunday]\n"
        "holidays:\n  - {date: 2024-01-01, name: Tết Dương lịch}\n"
    )
    calendar = parse_calendar(text)
    assert calendar.is_working_day(date(2024, 3, 9))
    assert calendar.add_working_days(date(2024, 3, 8), 1) == date(2024, 3, 9)


def test_a_calendar_listing_days_outside_its_years_is_refused() -> None:
    text = "calendar: x\nyears: [2024, 2024]\nweekend: [saturday, sunday]\nholidays: [2025-01-01]\n"
    with pytest.raises(CalendarInvalid, match="2025-01-01"):
        parse_calendar(text)


@given(covered, st.integers(-40, 40))
def test_counting_undoes_adding(day: date, count: int) -> None:
    try:
        target = CALENDAR.add_working_days(day, count)
    except CalendarNotCovered:
        return
    # Counting is over (start, end]: backwards from a holiday, that holiday itself is not
    # counted, so the law holds going back only from a working day.
    if count >= 0 or CALENDAR.is_working_day(day):
        assert CALENDAR.working_days_between(day, target) == count
    if count:
        assert CALENDAR.is_working_day(target)
        assert (target > day) == (count > 0)


@given(covered, covered, covered)
def test_counts_add_up_and_reverse(first: date, second: date, third: date) -> None:
    between = CALENDAR.working_days_between
    assert between(first, second) + between(second, third) == between(first, third)
    assert between(first, second) == -between(second, first)


@given(covered, st.integers(0, 30), st.integers(0, 30))
def test_adding_twice_is_adding_the_sum(day: date, first: int, second: int) -> None:
    try:
        assert CALENDAR.add_working_days(
            CALENDAR.add_working_days(day, first), second
        ) == CALENDAR.add_working_days(day, first + second) or not CALENDAR.is_working_day(day)
    except CalendarNotCovered:
        return


@given(covered)
def test_the_count_agrees_with_walking_day_by_day(day: date) -> None:
    end = min(day + timedelta(days=45), date(2027, 12, 31))
    walked = sum(
        CALENDAR.is_working_day(day + timedelta(days=offset))
        for offset in range(1, (end - day).days + 1)
    )
    assert CALENDAR.working_days_between(day, end) == walked


@given(covered, covered)
def test_working_days_from_counts_the_start_and_not_the_end(start: date, end: date) -> None:
    expected = sum(
        CALENDAR.is_working_day(start + timedelta(days=offset))
        for offset in range(max((end - start).days, 0))
    )
    assert CALENDAR.working_days_from(start, end) == expected
