"""Domain errors, and the kinds of RFC 9457 problem+json they become.

Services raise these; controllers never build error responses themselves. The one mapping to
responses is :mod:`server.core.problems`, apart from this module so that what raises these (every
service, the worker, the command line) does not import the web framework. Anything unexpected
becomes a 500 problem whose detail is generic: the traceback goes to the log, never to the client.

Every problem names its kind with a ``type`` URI and a ``title``, both taken from one table keyed by
the status (:data:`PROBLEM_KINDS`), so the framework's own errors (an unknown route, a wrong method,
a body that does not parse) read exactly like the app's. docs/errors.md lists the kinds.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Absolute and independent of where the server runs, so a client compares one string whatever the
# deployment; under the reserved `.example` domain, so it never resolves to someone else's page.
PROBLEM_TYPE_BASE = "https://spotcheck.example/problems/"

# status -> (kind, title). A status not listed is `about:blank` with the HTTP reason phrase.
PROBLEM_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Invalid input"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal", "Internal server error"),
    503: ("service-unavailable", "Service unavailable"),
}

# How long a client should wait when the database is briefly unreachable (restart, failover).
DATABASE_RETRY_AFTER_SECONDS = 5


def problem_type(status: int) -> str:
    kind = PROBLEM_KINDS.get(status)
    return PROBLEM_TYPE_BASE + kind[0] if kind else "about:blank"


def problem_title(status: int) -> str:
    kind = PROBLEM_KINDS.get(status)
    if kind:
        return kind[1]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# The body of every problem, as the OpenAPI document states it (server/core/openapi.py).
class InvalidParam(BaseModel):
    name: str = Field(description="The field or parameter, e.g. `teams.0.head_id` or `limit`")
    reason: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: what went wrong (`detail`) and of which kind (`type`, `title`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="A URI naming the kind of problem, one per status (docs/errors.md lists them)"
    )
    title: str = Field(description="The kind of problem in a few words, the same for every one")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What was wrong with this request and what to do about it")
    instance: str = Field(description="The path of the request")
    invalid_params: list[InvalidParam] | None = Field(
        default=None, description="On a 422: every field that was refused, with the reason"
    )
    retry_after_seconds: int | None = Field(
        default=None,
        description="On a 429 or 503: how long to wait (also the `Retry-After` header)",
    )


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class InvalidInput(DomainError):
    status_code = 422


class NotAuthenticated(DomainError):
    status_code = 401


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class PayloadTooLarge(DomainError):
    status_code = 413


class UnsupportedMedia(DomainError):
    status_code = 415


class ServiceUnavailable(DomainError):
    status_code = 503

    def __init__(
        self,
        detail: str,
        *,
        retry_after_seconds: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        extra = dict(extra or {})
        if retry_after_seconds is not None:
            extra["retry_after_seconds"] = retry_after_seconds
        super().__init__(detail, extra=extra)
        # Also sent as `Retry-After` when set (here or in `extra`): the wait is worth it.
        self.retry_after_seconds: int | None = extra.get("retry_after_seconds")


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, extra={"retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds
