"""Paging of the lists that grow: ``limit`` and ``offset`` in, one page of rows out, the total in
the ``X-Total-Count`` header.

The body stays a plain JSON array, so a client that reads the whole list keeps working; a screen
that pages reads the total from the header. Services return a :class:`Page` (and order their rows
by a unique tie-breaker, so no row is shown twice or skipped between pages); controllers turn it
into the response with :func:`page_response`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

T = TypeVar("T")
Q = TypeVar("Q", bound=Any)

DEFAULT_LIMIT = 200
MAX_LIMIT = 500
TOTAL_COUNT_HEADER = "X-Total-Count"

Limit = Annotated[
    int,
    QueryParameter(
        ge=1, le=MAX_LIMIT, description=f"Rows per page (1–{MAX_LIMIT}, default {DEFAULT_LIMIT})"
    ),
]
# Bounded so the database never sees an offset beyond a 32-bit integer (a larger one is an error
# there, not an empty page).
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip (default 0)")]

# For the OpenAPI document: the header is set by page_response, not by the framework.
TOTAL_COUNT_HEADERS = [
    ResponseHeader(
        name=TOTAL_COUNT_HEADER,
        documentation_only=True,
        description="How many rows match the filters in all pages together",
    )
]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


def page_response(page: Page[T]) -> Response[list[T]]:
    return Response(page.items, headers={TOTAL_COUNT_HEADER: str(page.total)})


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
