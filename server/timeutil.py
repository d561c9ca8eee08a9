"""Times are timezone-aware UTC everywhere; this guards values read back from the database."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: datetime) -> datetime:
    """The same instant as an aware datetime (a naive value from storage is UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
