"""The HTTP side of paging (:mod:`server.core.pagination`): the ``limit`` and ``offset`` query
parameters of a list route, and its response, one page of rows with the total in the
``X-Total-Count`` header."""

from __future__ import annotations

from typing import Annotated, TypeVar

from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

from server.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, TOTAL_COUNT_HEADER, Page

T = TypeVar("T")

Limit = Annotated[
    int,
    QueryParameter(
        ge=1, le=MAX_LIMIT, description=f"Rows per page (1–{MAX_LIMIT}, default {DEFAULT_LIMIT})"
    ),
]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip (default 0)")]

# For the OpenAPI document: the header is set by page_response, not by the framework.
TOTAL_COUNT_HEADERS = [
    ResponseHeader(
        name=TOTAL_COUNT_HEADER,
        documentation_only=True,
        description="How many rows match the filters in all pages together",
    )
]


def page_response(page: Page[T]) -> Response[list[T]]:
    return Response(page.items, headers={TOTAL_COUNT_HEADER: str(page.total)})
