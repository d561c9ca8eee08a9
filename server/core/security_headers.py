"""Security headers on every HTTP response, errors and unknown routes included.

Set from a ``before_send`` hook, which wraps the app's ``send`` itself: route middleware would miss
the framework's 404 and 405 answers. A header a handler already set wins, so the web app at /app/
sends its own Content-Security-Policy (``mobile_api.app_files.APP_CSP``).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# Data (JSON, problem+json, PDFs, photos, exports): served with nosniff under their own types, so a
# browser never runs them; they only may not be framed. A stricter `default-src 'none'` would add
# nothing, and would stop a PDF viewer or a page opened on an API URL (the browser tests do) from
# working.
DATA_CSP = "frame-ancestors 'none'"
# Any other HTML the server might send (none today besides the app and the docs): nothing runs.
HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive API docs at /schema load their scripts and styles from a CDN and inline code,
# so they get no script policy; they still may not be framed.
SCHEMA_CSP = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def content_security_policy(path: str, content_type: str) -> str:
    if path == "/schema" or path.startswith("/schema/"):
        return SCHEMA_CSP
    if content_type.startswith("text/html"):
        return HTML_CSP
    return DATA_CSP


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in ALWAYS.items():
        if headers.get(name) is None:
            headers[name] = value
    if headers.get("content-security-policy") is None:
        headers["content-security-policy"] = content_security_policy(
            scope.get("path", ""), headers.get("content-type") or ""
        )
