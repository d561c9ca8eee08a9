"""Paging of the lists that grow: ``limit`` and ``offset`` in, one page of rows out, the total in
the ``X-Total-Count`` header.

The body stays a plain JSON array, so a client that reads the whole list keeps working; a screen
that pages reads the total from the header. Services return a :class:`Page` (and order their rows
by a unique tie-breaker, so no row is shown twice or skipped between pages); controllers take
``limit`` and ``offset`` and turn the page into the response with
:mod:`server.core.pagination_http` (kept apart so that services, the worker and the command line
do not import the web framework).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Q = TypeVar("Q", bound=Any)

DEFAULT_LIMIT = 200
MAX_LIMIT = 500
TOTAL_COUNT_HEADER = "X-Total-Count"
# Bounded so the database never sees an offset beyond a 32-bit integer (a larger one is an error
# there, not an empty page).
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


def paged(query: Q, *, limit: int | None, offset: int) -> Q:
    """Apply ``limit`` (None: every row) and ``offset`` to a Piccolo select. SQLite takes an
    offset only with a limit, so none is given when there is nothing to skip."""
    if limit is not None:
        query = query.limit(limit)
    if offset:
        if limit is None:
            raise ValueError("An offset needs a limit.")
        query = query.offset(offset)
    return query
