"""Storing evidence files (content-addressed, immutable originals plus a downscaled derivative)
and finding the file a screen may show.

Keys (under the media directory or the bucket's prefix, ``server.core.storage``):
``originals/ab/cd/<sha256>`` and ``derivatives/ab/cd/<sha256>.jpg``. The hash is checked against
the bytes before anything is stored; the files are stored before the row is written, so a failed
upload leaves no row (at most an unreferenced file, which the next upload of the same file keeps).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import anyio
import anyio.to_thread
from pydantic import BaseModel

from server.core import db, storage
from server.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from server.core.scopes import Principal
from server.core.settings import Settings
from server.evidence import files as evidence_files
from server.evidence.tables import Evidence

MAX_PIXELS = 60_000_000  # a 60-megapixel photo is already more than any phone takes

log = logging.getLogger("spotcheck.evidence")


class EvidenceOut(BaseModel):
    sha256: str
    media_type: str
    size_bytes: int
    width: int | None
    height: int | None
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    stored: bool
    uploaded_at: datetime


def _key(sha256: str, kind: str) -> str:
    return storage.content_key(kind, sha256, ".jpg" if kind == "derivatives" else "")


@dataclass(frozen=True)
class _Checked:
    info: evidence_files.EvidenceInfo
    derivative: bytes | None
    derivative_sha256: str | None


def _check(data: bytes, sha256: str, settings: Settings) -> _Checked:
    """Check the bytes and make the derivative. Runs in a worker thread (CPU)."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise Conflict(
            f"The body's SHA-256 is {actual}, not {sha256} as the URL says; the upload was "
            "damaged or the wrong file was sent. Nothing was stored."
        )
    try:
        info = evidence_files.inspect_evidence(
            data, max_bytes=settings.evidence_max_bytes, max_pixels=MAX_PIXELS
        )
    except evidence_files.EvidenceTooLarge as error:
        raise PayloadTooLarge(
            f"The file has {error.size} bytes; evidence files may have at most {error.limit} "
            "bytes. Send a smaller photo or a shorter PDF."
        ) from error
    except evidence_files.UnsupportedMediaType as error:
        seen = f" (this looks like {error.detected})" if error.detected else ""
        raise UnsupportedMedia(
            f"Evidence must be a JPEG, PNG or WebP photo or a PDF{seen}."
        ) from error
    except evidence_files.ImageTooLarge as error:
        raise PayloadTooLarge(
            f"The image claims {error.width}×{error.height} pixels, more than the "
            f"{error.limit} allowed; it may be a decompression bomb. Nothing was stored."
        ) from error
    except evidence_files.CorruptEvidence as error:
        # str(error) is already a whole sentence with what to do: "The file cannot be read: …".
        raise InvalidInput(str(error)) from error
    derivative = evidence_files.make_derivative(data, max_pixels=MAX_PIXELS)
    return _Checked(
        info=info,
        derivative=derivative,
        derivative_sha256=hashlib.sha256(derivative).hexdigest() if derivative else None,
    )


def checked_sha256(text: str) -> str:
    """An evidence address as given in a path, lower-cased; a clear 422 when it is not one."""
    sha256 = text.lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InvalidInput("Give the evidence file's SHA-256 as 64 hex characters.")
    return sha256


async def store(
    *, sha256: str, data: bytes, principal: Principal, settings: Settings
) -> EvidenceOut:
    sha256 = sha256.lower()
    existing = await Evidence.select().where(Evidence.sha256 == sha256).first()
    if existing is not None:
        actual = await anyio.to_thread.run_sync(lambda: hashlib.sha256(data).hexdigest())
        if actual != sha256:
            raise Conflict(f"The body's SHA-256 does not match {sha256}. Nothing was stored.")
        return _out(existing, stored=False)
    checked = await anyio.to_thread.run_sync(_check, data, sha256, settings)
    info = checked.info
    files = storage.for_settings(settings)
    original = _key(sha256, "originals")
    await files.put(original, data, sha256=sha256)
    derivative = None
    if checked.derivative is not None and checked.derivative_sha256 is not None:
        derivative = _key(sha256, "derivatives")
        await files.put(derivative, checked.derivative, sha256=checked.derivative_sha256)
    taken_at = info.taken_at_utc(ZoneInfo(settings.time_zone))
    now = datetime.now(UTC)
    async with db.write_transaction():
        # Two phones may send the same photo at once; the first row wins, the other is a no-op.
        again = await Evidence.select().where(Evidence.sha256 == sha256).first()
        if again is not None:
            return _out(again, stored=False)
        row: dict[str, Any] = {
            "id": uuid4(),
            "sha256": sha256,
            "media_type": info.media_type,
            "size_bytes": info.size,
            "width": info.width,
            "height": info.height,
            "taken_at": taken_at,
            "taken_at_is_local": info.exif_time_is_local,
            "latitude": info.exif_latitude,
            "longitude": info.exif_longitude,
            "original_path": original,
            "derivative_path": derivative,
            "uploaded_by": principal.user_id,
            "uploaded_at": now,
        }
        await Evidence.insert(Evidence(**row))
    return _out(row, stored=True)


def _out(row: dict[str, Any], *, stored: bool) -> EvidenceOut:
    return EvidenceOut(
        **{key: row[key] for key in EvidenceOut.model_fields if key in row}, stored=stored
    )


async def missing(sha256s: list[str]) -> list[str]:
    """Those of the given hashes whose files have not arrived."""
    if not sha256s:
        return []
    present = {
        row["sha256"]
        for row in await Evidence.select(Evidence.sha256).where(
            Evidence.sha256.is_in(list(sha256s))
        )
    }
    return [sha for sha in sha256s if sha not in present]


async def metadata(sha256s: list[str]) -> dict[str, dict[str, Any]]:
    if not sha256s:
        return {}
    rows = await Evidence.select(
        Evidence.sha256,
        Evidence.media_type,
        Evidence.taken_at,
        Evidence.latitude,
        Evidence.longitude,
    ).where(Evidence.sha256.is_in(list(sha256s)))
    return {row["sha256"]: dict(row) for row in rows}


class EvidenceVariant(StrEnum):
    screen = "screen"  # the downscaled JPEG (a PDF has none: its original is what is shown)
    original = "original"  # the bytes as uploaded


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence file opened for a download: its bytes come in `content.chunks`."""

    content: storage.StoredObjectReader
    media_type: str
    filename: str


# Asks whether the principal may see something that references this evidence hash.
VisibilityCheck = Callable[[str, Principal], Awaitable[bool]]
_visibility_checks: list[VisibilityCheck] = []


def register_visibility_check(check: VisibilityCheck) -> None:
    """Packages whose records reference evidence (inspections, corrective actions) say here
    whether a principal may see a referencing record; wired once in the app factory."""
    if check not in _visibility_checks:
        _visibility_checks.append(check)


async def _referenced_visibly(sha256: str, principal: Principal) -> bool:
    for check in _visibility_checks:
        if await check(sha256, principal):
            return True
    return False


async def file_for_screen(
    *, sha256: str, variant: EvidenceVariant, principal: Principal, settings: Settings
) -> EvidenceFile:
    """The file a screen shows for an evidence hash, if the principal may see an inspection or a
    corrective action that references it. Otherwise not found, and the same answer whether the
    file exists or not: a hash must not tell that an unannounced inspection is under way."""
    sha256 = checked_sha256(sha256)
    hidden = NotFound(f"No evidence file {sha256} visible to you.")
    if not await _referenced_visibly(sha256, principal):
        raise hidden
    row = await Evidence.select().where(Evidence.sha256 == sha256).first()
    if row is None:  # referenced, but the phone has not uploaded it yet
        raise hidden
    if variant == EvidenceVariant.screen and row["derivative_path"]:
        relative, media_type, suffix = row["derivative_path"], "image/jpeg", ".jpg"
    else:
        relative, media_type = row["original_path"], row["media_type"]
        suffix = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(
            media_type, ".pdf"
        )
    files = storage.for_settings(settings)
    try:
        content = await files.open(relative)
    except storage.StoredObjectMissing as error:
        log.error(
            "evidence %s is recorded but its file %s is missing from %s",
            sha256,
            relative,
            files.location,
        )
        raise hidden from error
    return EvidenceFile(content=content, media_type=media_type, filename=f"{sha256}{suffix}")


# Photos fetched at once for one PDF: enough to hide the round trips to a bucket, few enough
# not to crowd the store (a minutes document cites at most a few dozen).
DERIVATIVE_FETCHES_AT_ONCE = 8


async def derivatives_for_print(sha256s: list[str], *, settings: Settings) -> dict[str, bytes]:
    """The downscaled JPEGs of those of the given evidence files that have one, for a PDF to
    embed (the render processes read no storage: they are handed these bytes). The caller has
    already decided that the document may show them. A file recorded but missing is left out,
    and logged: the document shows no image there rather than failing."""
    wanted = sorted({sha for sha in sha256s if len(sha) == 64})
    if not wanted:
        return {}
    rows = await Evidence.select(Evidence.sha256, Evidence.derivative_path).where(
        Evidence.sha256.is_in(wanted), Evidence.derivative_path.is_not_null()
    )
    files = storage.for_settings(settings)
    found: dict[str, bytes] = {}
    limiter = anyio.CapacityLimiter(DERIVATIVE_FETCHES_AT_ONCE)

    async def fetch(sha256: str, key: str) -> None:
        async with limiter:
            try:
                found[sha256] = await files.get(key)
            except storage.StoredObjectMissing:
                log.error("evidence %s: derivative %s missing from %s", sha256, key, files.location)

    async with anyio.create_task_group() as group:
        for row in rows:
            group.start_soon(fetch, row["sha256"], row["derivative_path"])
    return found
