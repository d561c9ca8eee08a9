"""The working-day calendar: which days count in a procedure's processing time, kept as data
(``calendars/<key>.yaml``: weekends, public holidays with compensatory days off, and Saturdays
worked in exchange for a bridged weekday).

Working days inside the calendar's years are listed once, so counting and adding working days is
a binary search, whatever the distance. A date outside those years raises
:class:`CalendarNotCovered` rather than guessing: a wrong count would flag dossiers that were on
time.

- ``add_working_days(day, n)``: the n-th working day after ``day`` (before it when n < 0), not
  counting ``day`` itself; 0 gives ``day``.
- ``working_days_between(start, end)``: the working days in ``(start, end]``, negative when
  ``end`` is before ``start`` (then minus those in ``(end, start]``). So counts add up along a
  chain of dates, and ``working_days_between(d, add_working_days(d, n)) == n`` for n ≥ 0, and
  for n < 0 from a working day ``d``.
- ``working_days_from(start, end)``: the working days in ``[start, end)``, what is left to act
  between two dates (an apology slip and the date it reschedules).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from server.core.errors import InvalidInput
from server.dossiers.texts import Text, day_text, refusal

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CalendarNotCovered(InvalidInput):
    """A date outside the years the calendar lists."""


class CalendarInvalid(InvalidInput):
    """A calendar file that cannot be used."""


@dataclass(frozen=True)
class WorkingCalendar:
    key: str
    first_year: int
    last_year: int
    weekend: frozenset[int]  # date.weekday() numbers, Monday = 0
    holidays: frozenset[date]
    extra_working_days: frozenset[date]
    _working: tuple[date, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        key: str,
        first_year: int,
        last_year: int,
        weekend: frozenset[int],
        holidays: frozenset[date],
        extra_working_days: frozenset[date] = frozenset(),
    ) -> WorkingCalendar:
        working = []
        day = date(first_year, 1, 1)
        end = date(last_year, 12, 31)
        while day <= end:
            if day in extra_working_days or (day.weekday() not in weekend and day not in holidays):
                working.append(day)
            day += timedelta(days=1)
        return cls(
            key, first_year, last_year, weekend, holidays, extra_working_days, tuple(working)
        )

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def _check(self, day: date) -> None:
        if not self.covers(day):
            years = f"{self.first_year}–{self.last_year}"
            raise refusal(
                CalendarNotCovered,
                Text(
                    vi=f"Lịch ngày làm việc «{self.key}» chỉ có các năm {years}; ngày "
                    f"{day_text(day)} nằm ngoài lịch. Cần bổ sung ngày nghỉ lễ của năm đó vào "
                    "tệp lịch.",
                    en=f"The working-day calendar {self.key!r} covers {years}; "
                    f"{day.isoformat()} is outside it. Add that year's holidays to its calendar "
                    "file.",
                ),
                "en",
            )

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        index = bisect.bisect_left(self._working, day)
        return index < len(self._working) and self._working[index] == day

    def working_days_between(self, start: date, end: date) -> int:
        self._check(start)
        self._check(end)
        return bisect.bisect_right(self._working, end) - bisect.bisect_right(self._working, start)

    def working_days_from(self, start: date, end: date) -> int:
        """The working days in ``[start, end)``: those a person has from ``start`` until
        ``end`` comes; 0 when ``end`` is not after ``start``."""
        self._check(start)
        self._check(end)
        if end <= start:
            return 0
        return bisect.bisect_left(self._working, end) - bisect.bisect_left(self._working, start)

    def add_working_days(self, day: date, count: int) -> date:
        self._check(day)
        if count == 0:
            return day
        if count > 0:
            index = bisect.bisect_right(self._working, day) + count - 1
        else:
            index = bisect.bisect_left(self._working, day) + count
        if not 0 <= index < len(self._working):
            years = f"{self.first_year}–{self.last_year}"
            raise refusal(
                CalendarNotCovered,
                Text(
                    vi=f"{abs(count)} ngày làm việc {'sau' if count > 0 else 'trước'} ngày "
                    f"{day_text(day)} nằm ngoài lịch «{self.key}» ({years}).",
                    en=f"{abs(count)} working days {'after' if count > 0 else 'before'} "
                    f"{day.isoformat()} fall outside the calendar {self.key!r} ({years}).",
                ),
                "en",
            )
        return self._working[index]


def parse_calendar(text: str, source: str = "<calendar>") -> WorkingCalendar:
    try:
        data: Any = yaml.safe_load(text)
        first_year, last_year = (int(year) for year in data["years"])
        weekend = frozenset(WEEKDAYS.index(str(name).lower()) for name in data["weekend"])
        holidays = frozenset(_day(entry) for entry in data.get("holidays") or [])
        extra = frozenset(_day(entry) for entry in data.get("working_days") or [])
        key = str(data["calendar"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as error:
        raise CalendarInvalid(f"The calendar {source} cannot be read: {error!s}.") from None
    outside = sorted(
        day.isoformat() for day in holidays | extra if not first_year <= day.year <= last_year
    )
    if outside or first_year > last_year:
        raise CalendarInvalid(
            f"The calendar {source} lists days outside its years {first_year}–{last_year}: "
            + ", ".join(outside)
        )
    return WorkingCalendar.build(
        key=key,
        first_year=first_year,
        last_year=last_year,
        weekend=weekend,
        holidays=holidays,
        extra_working_days=extra,
    )


def _day(entry: Any) -> date:
    value = entry["date"] if isinstance(entry, dict) else entry
    if not isinstance(value, date):
        raise ValueError(f"{value!r} is not a date (write yyyy-mm-dd)")
    return value


@cache
def shipped_calendar(key: str = "vn") -> WorkingCalendar:
    try:
        text = (
            resources.files("server.dossiers").joinpath(f"calendars/{key}.yaml").read_text("utf-8")
        )
    except FileNotFoundError:
        raise CalendarInvalid(f"No shipped working-day calendar {key!r}.") from None
    return parse_calendar(text, f"calendars/{key}.yaml")
