"""Times are timezone-aware UTC everywhere; this guards values read back from the database and
bounds every date that comes in to a range the database and the time arithmetic can hold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from server.core.errors import InvalidInput

# Inspections happen now and in the years ahead. Bounding what comes in keeps values such as
# year 1 or 9999, which pass the type but break PostgreSQL storage or `+ timedelta`, out of the
# services: they are refused as bad input at the boundary.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
_END_INSTANT = datetime(2101, 1, 1, tzinfo=UTC)
SANE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def aware(value: datetime) -> datetime:
    """The same instant as an aware datetime (a naive value from storage is UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_sane_instant(value: datetime) -> bool:
    """An aware datetime within the range (compared as instants, with no conversion, so an
    extreme offset cannot overflow here)."""
    return value.tzinfo is not None and _EARLIEST_INSTANT <= value < _END_INSTANT


def _sane_datetime(value: datetime) -> datetime:
    if not is_sane_instant(value):
        raise ValueError(f"must be a time {SANE_RANGE} (UTC)")
    return value


def _sane_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be a date {SANE_RANGE}")
    return value


SaneDatetime = Annotated[AwareDatetime, AfterValidator(_sane_datetime)]
"""An aware datetime (with its UTC offset) from 2000-01-01T00:00Z up to the end of 2100 (UTC)."""

SaneDate = Annotated[date, AfterValidator(_sane_date)]
"""A calendar date from 2000-01-01 to 2100-12-31."""


def require_sane_date(value: date | None, name: str) -> None:
    """The same bound for a date query parameter (Litestar parses those itself, not through
    Pydantic): a date outside it is bad input, answered 422."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise InvalidInput(f"{name} ({value}) is out of range: give a date {SANE_RANGE}.")
