"""Which of a unit's ledger imports is "the latest": one rule for every reader (the import's race
check, the flagged list's default period, the indicators' cache key, the pre-filled figures)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from server.dossiers.services import _newest_import

EARLY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
LOW = UUID("10000000-0000-4000-8000-000000000000")
HIGH = UUID("f0000000-0000-4000-8000-000000000000")


def test_the_last_imported_is_the_latest_whatever_the_ids() -> None:
    rows = [{"id": HIGH, "imported_at": EARLY}, {"id": LOW, "imported_at": LATE}]
    assert _newest_import(rows) == rows[1]
    assert _newest_import(list(reversed(rows))) == rows[1]


def test_imports_made_at_the_same_moment_are_told_apart_by_the_larger_id_in_any_order() -> None:
    rows = [{"id": LOW, "imported_at": LATE}, {"id": HIGH, "imported_at": LATE}]
    assert _newest_import(rows)["id"] == HIGH  # type: ignore[index]
    assert _newest_import(list(reversed(rows)))["id"] == HIGH  # type: ignore[index]


def test_a_naive_time_as_sqlite_returns_it_is_read_as_utc() -> None:
    rows = [
        {"id": LOW, "imported_at": LATE.replace(tzinfo=None)},
        {"id": HIGH, "imported_at": EARLY},
    ]
    assert _newest_import(rows)["id"] == LOW  # type: ignore[index]


def test_no_import_is_none() -> None:
    assert _newest_import([]) is None
