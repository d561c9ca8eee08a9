"""Domain errors and their one mapping to RFC 9457 problem+json.

Services raise these; controllers never build error responses themselves. Anything unexpected
becomes a 500 problem whose detail is generic: the traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("spotcheck.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Not authenticated"


class PermissionDenied(DomainError):
    status_code = 403
    title = "Forbidden"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    title = "Payload too large"


class UnsupportedMedia(DomainError):
    status_code = 415
    title = "Unsupported media type"


class ServiceUnavailable(DomainError):
    status_code = 503
    title = "Service unavailable"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, extra={"retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extra or {})
    return Response(
        content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def handle_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    headers = None
    if isinstance(error, TooManyRequests):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, NotAuthenticated):
        headers = {"WWW-Authenticate": 'Bearer realm="spotcheck"'}
    return problem(
        request,
        status=error.status_code,
        title=error.title,
        detail=error.detail,
        extra=error.extra,
        headers=headers,
    )


def handle_validation_error(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Any]:
    invalid_params = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            invalid_params.append(
                {"name": item.get("key") or item.get("source") or "body", "reason": item["message"]}
            )
    if invalid_params:
        names = ", ".join(str(param["name"]) for param in invalid_params)
        detail = f"The request has invalid fields: {names}. " + "; ".join(
            f"{param['name']}: {param['reason']}" for param in invalid_params
        )
    else:
        detail = str(error.detail)
    return problem(
        request,
        status=422,
        title="Invalid input",
        detail=detail,
        extra={"invalid_params": invalid_params},
    )


def handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    headers = dict(error.headers or {})
    detail = str(error.detail)
    if error.status_code == 413:
        detail = "The request body is larger than this endpoint accepts."
    return problem(
        request,
        status=error.status_code,
        title=_reason(error.status_code),
        detail=detail,
        headers=headers or None,
    )


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    from server.db import is_unique_violation

    if is_unique_violation(error):
        # A race lost to another writer at a unique constraint (services check first, so this
        # is the rare concurrent case): the transaction was rolled back, nothing was written.
        return problem(
            request,
            status=409,
            title="Conflict",
            detail="This conflicts with a record written at the same moment (a code, name or "
            "version that must be unique). Nothing was saved; reload and try again.",
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        title="Internal server error",
        detail="Something went wrong on the server. Nothing was saved by this request; "
        "try again, and tell an administrator if it keeps happening.",
    )


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
