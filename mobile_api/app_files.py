"""Serves the built web app at /app/ (a plain static route, not litestar-vite: see the README).

The app is a single page: any path under /app/ that is not a built file answers index.html, so a
link to /app/actions/… opens the app, which routes on the client. Files whose names carry Vite's
content hash never change and are cached for a year; index.html, the service worker and the
manifest must be revalidated on every load, or a phone would keep an old app forever.
"""

from __future__ import annotations

import gzip
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File, Redirect
from litestar.status_codes import HTTP_302_FOUND

from server.core.errors import ServiceUnavailable
from server.core.settings import Settings

# What the built app needs and nothing more: its own scripts, styles, worker and manifest, photos
# shown from blob: and data: URLs, and calls to its own origin. No inline script or style exists in
# the build (vite-plugin-pwa's `injectRegister: false`; the app registers its worker from its
# bundle), so none is allowed.
APP_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASHED_ASSET_DIR = "assets"

# Text files go out gzipped: the phone's first load is what a weak network feels most.
COMPRESSIBLE = frozenset({".js", ".css", ".html", ".webmanifest", ".svg", ".json"})

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


def _built_file(app_dir: Path, relative: str) -> Path | None:
    """The file under `app_dir` that `relative` names, or None (never a path outside it)."""
    root = app_dir.resolve()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    return candidate if candidate.is_file() else None


@lru_cache(maxsize=64)
def _gzipped(path: Path, modified_ns: int, size: int) -> bytes:
    """A built file, gzipped once per version of it (name, time and size key the cache)."""
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


async def _serve(app_dir: Path, relative: str, accept_encoding: str) -> Response[bytes] | File:
    index = app_dir / "index.html"
    if not index.is_file():
        raise ServiceUnavailable(
            f"The web app is not built: {app_dir} has no index.html. Run `make run` (or "
            "`npm ci && npm run build` in mobile_app/)."
        )
    found = _built_file(app_dir, relative) if relative else None
    path = found or index
    cache = IMMUTABLE if found and relative.startswith(f"{HASHED_ASSET_DIR}/") else REVALIDATE
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {
        "cache-control": cache,
        "x-content-type-options": "nosniff",
        "vary": "accept-encoding",
        "content-security-policy": APP_CSP,
    }
    if path.name == "sw.js":
        # The worker controls /app/ only; a stricter scope would not cover the deep links.
        headers["service-worker-allowed"] = "/app/"
    if path.suffix in COMPRESSIBLE and "gzip" in accept_encoding.lower():
        stat = path.stat()
        return Response(
            # Compressed once per file version, in a thread: the event loop serves the API.
            content=await anyio.to_thread.run_sync(_gzipped, path, stat.st_mtime_ns, stat.st_size),
            media_type=media_type,
            headers={**headers, "content-encoding": "gzip"},
        )
    return File(
        path=path, media_type=media_type, headers=headers, content_disposition_type="inline"
    )


class AppFilesController(Controller):
    include_in_schema = False

    @get("/", operation_id="rootRedirect", status_code=HTTP_302_FOUND)
    async def root(self) -> Redirect:
        return Redirect(path="/app/", status_code=HTTP_302_FOUND)

    @get("/app/", operation_id="appIndex")
    async def index(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[bytes] | File:
        return await _serve(settings.app_dir, "", request.headers.get("accept-encoding", ""))

    @get("/app/{path:path}", operation_id="appFile")
    async def file(
        self,
        path: FromPath[str],
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
    ) -> Response[bytes] | File:
        return await _serve(
            settings.app_dir, path.lstrip("/"), request.headers.get("accept-encoding", "")
        )
