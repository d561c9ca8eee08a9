"""The one mapping of errors to RFC 9457 problem+json responses (the app's exception handlers).

The domain errors and the kinds of problem (``type`` and ``title`` by status) are in
:mod:`server.core.errors`, which does not import the web framework: the services, the worker and
the command line raise them without loading it.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from server.core import db
from server.core.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    PROBLEM_MEDIA_TYPE,
    DomainError,
    NotAuthenticated,
    ServiceUnavailable,
    TooManyRequests,
    problem_title,
    problem_type,
)

log = logging.getLogger("spotcheck.errors")


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """The one problem+json response; its `type` and `title` follow from the status."""
    body: dict[str, Any] = {
        "type": problem_type(status),
        "title": problem_title(status),
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
    if isinstance(error, TooManyRequests | ServiceUnavailable) and error.retry_after_seconds:
        headers = {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, NotAuthenticated):
        headers = {"WWW-Authenticate": 'Bearer realm="spotcheck"'}
    return problem(
        request,
        status=error.status_code,
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
        detail=detail,
        extra={"invalid_params": invalid_params},
    )


def handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """The framework's own errors: unknown route, wrong method, a body that does not parse."""
    headers = dict(error.headers or {})
    status = error.status_code
    detail = str(error.detail) or problem_title(status)
    if status == 413:
        detail = "The request body is larger than this endpoint accepts."
    elif isinstance(error.__cause__, SerializationException):
        # msgspec's reason ("Input data was truncated", "JSON is malformed: …") says where.
        detail = f"The request body is not well-formed JSON: {error.detail}."
    elif status == 404 and detail == "Not Found":
        # No route matched (an id-typed path with a malformed id lands here too).
        detail = (
            f"Nothing is at {request.url.path}: check the address (and that any id in it is a "
            "UUID); the API's routes are listed at /schema."
        )
    elif status == 405 and detail == "Method Not Allowed":
        allowed = headers.get("allow") or headers.get("Allow")
        detail = f"{request.method} is not allowed on {request.url.path}" + (
            f"; use {allowed}." if allowed else "."
        )
    elif status >= 500:
        log.error("server error on %s %s: %s", request.method, request.url.path, error.detail)
        detail = INTERNAL_DETAIL if status == 500 else problem_title(status)
    return problem(request, status=status, detail=detail, headers=headers or None)


TOO_DEEP = (
    "The request body is nested too deeply to read (arrays or objects inside one another "
    "hundreds of levels deep); no real document needs that."
)
NOT_UTF8 = "The request body is not valid UTF-8 text{where}."
INTERNAL_DETAIL = (
    "The server could not complete this request because of an error on its side; it has been "
    "logged. Reload to see what was saved, then try again, and tell an administrator if it keeps "
    "happening."
)
NUL_IN_TEXT = (
    "A text in the request contains the NUL character (\\u0000), which cannot be stored. Remove "
    "it and send the request again; nothing was saved."
)
UNAVAILABLE_DETAIL = (
    "The database cannot be reached for a moment (it may be restarting). Try again in "
    f"{DATABASE_RETRY_AFTER_SECONDS} seconds."
)


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if db.is_unavailable(error):
        # Not a bug: the operator sees it in the log, the client waits and tries again.
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, error)
        return problem(
            request,
            status=503,
            detail=UNAVAILABLE_DETAIL,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    if db.is_unique_violation(error):
        # A race lost to another writer at a unique constraint (services check first, so this
        # is the rare concurrent case): the transaction was rolled back, nothing was written.
        return problem(
            request,
            status=409,
            detail="This conflicts with a record written at the same moment (a code, name or "
            "version that must be unique). Nothing was saved; reload and try again.",
        )
    if db.is_text_the_database_refuses(error):
        # Input, not a bug: a text with a NUL character (\u0000) reached a query. The statement
        # failed, so its transaction was rolled back and nothing was written.
        return problem(request, status=400, detail=NUL_IN_TEXT)
    # Two decode failures that escape the framework's own (msgspec raises them as they are):
    # malformed input, never a bug, and nothing has been written yet when a body is decoded.
    if isinstance(error, RecursionError):
        # A decoder (JSON, YAML) recursed once per level of a deeply nested body.
        log.warning("too deeply nested input on %s %s", request.method, request.url.path)
        return problem(request, status=400, detail=TOO_DEEP)
    if isinstance(error, UnicodeDecodeError):
        where = f" (byte {error.object[error.start]:#04x} at offset {error.start})"
        return problem(request, status=400, detail=NOT_UTF8.format(where=where))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(request, status=HTTP_500_INTERNAL_SERVER_ERROR, detail=INTERNAL_DETAIL)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
