"""Checks and metadata for uploaded evidence files, and the downscaled derivative of photos.

Pure functions over bytes (Pillow for images; no storage, no HTTP). The upload handler calls
``inspect_evidence`` on the raw body and maps the exceptions below to HTTP (413, 415, 422); the
original bytes are kept as evidence, content-addressed by the ``sha256`` returned here, and
``make_derivative`` produces the small JPEG used in PDFs and on screens.

Accepted types are decided from magic bytes only, never from a file name or a Content-Type
header: JPEG, PNG, WebP and PDF.

Pixel bombs. A small file can claim a huge canvas (a PNG of a few hundred bytes can announce
100000 × 100000 pixels, 30 GB once decoded). The dimensions are therefore read by the small
header parsers in this module *before Pillow is given the bytes*, and the image is refused when
``width × height`` exceeds ``max_pixels`` or Pillow's own ``Image.MAX_IMAGE_PIXELS``, whichever is
smaller. This matters for WebP in particular, whose Pillow plugin allocates the canvas while
opening. Pillow's ``DecompressionBombError`` / ``DecompressionBombWarning`` (should they fire
anyway, e.g. when Pillow disagrees with our header reading) become ``ImageTooLarge`` too. We do
not touch Pillow's globals or the warnings filters: both are process-wide, and evidence is
processed in worker threads.

PDFs are checked by their magic bytes only; they are not parsed and get no derivative
(``make_derivative`` returns ``None``): the original PDF is what gets shown and attached.

Truncated files. Pillow's process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES`` makes it pad a
truncated JPEG or PNG with grey instead of failing, and WeasyPrint (the PDF renderer, in the same
process) sets it to True when imported. So completeness is checked here, from the bytes, before
Pillow decodes: a JPEG must have its end-of-image marker after the start of its scan data, a PNG
its IEND chunk. (libwebp refuses truncated WebP files by itself.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import struct
from dataclasses import dataclass
from typing import Any, Final

from PIL import ExifTags, Image, ImageOps
from pydantic import BaseModel, ConfigDict

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
WEBP: Final = "image/webp"
PDF: Final = "application/pdf"

ACCEPTED_MEDIA_TYPES: Final = frozenset({JPEG, PNG, WEBP, PDF})

_PILLOW_FORMAT: Final = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}

# What Pillow raises on broken input differs by plugin (SyntaxError from the PNG reader,
# struct.error from TIFF/EXIF parsing, OSError for truncated data, …). At this trust boundary
# every one of them means "the file is broken", not "our code is broken".
_DECODER_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    ZeroDivisionError,
)

_EXIF_DATETIME_FORMAT: Final = "%Y:%m:%d %H:%M:%S"
_EXIF_OFFSET_PATTERN: Final = re.compile(r"^([+-])(\d{2}):(\d{2})$")
# EXIF orientations 5–8 are rotated by a quarter turn: displayed width is the stored height.
_QUARTER_TURN_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})


class EvidenceRejected(Exception):
    """Base of the reasons an evidence file is refused; ``str()`` is a message for the user."""


class EvidenceTooLarge(EvidenceRejected):
    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"The file has {size} bytes; the limit is {limit} bytes. "
            "Send a smaller photo (lower the camera resolution) or split the document."
        )


class UnsupportedMediaType(EvidenceRejected):
    def __init__(self, detected: str | None) -> None:
        self.detected = detected
        what = f"A {detected} file" if detected else "This file type"
        super().__init__(
            f"{what} is not accepted as evidence. Send a JPEG, PNG or WebP photo or a PDF."
        )


class ImageTooLarge(EvidenceRejected):
    def __init__(self, width: int, height: int, limit: int) -> None:
        self.width = width
        self.height = height
        self.limit = limit
        super().__init__(
            f"The image is {width} × {height} pixels; at most {limit} pixels are accepted. "
            "Send a smaller photo."
        )


class CorruptEvidence(EvidenceRejected):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"The file cannot be read: {reason}. Send the original file again.")


class EvidenceInfo(BaseModel):
    """What the server records about an evidence file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str
    size: int
    media_type: str
    # As displayed, i.e. after the EXIF orientation is applied; None for PDF.
    width: int | None
    height: int | None
    # Aware (in the offset the camera recorded) when OffsetTimeOriginal is present. Otherwise
    # the camera's naive wall-clock time and exif_time_is_local=True: the caller must attach a
    # time zone (the unit's), e.g. with taken_at_utc(), before storing it.
    exif_taken_at: dt.datetime | None
    exif_time_is_local: bool = False
    exif_latitude: float | None
    exif_longitude: float | None

    def taken_at_utc(self, local_zone: dt.tzinfo) -> dt.datetime | None:
        """The EXIF capture time in UTC, reading a zone-less time as ``local_zone`` time."""
        if self.exif_taken_at is None:
            return None
        taken_at = self.exif_taken_at
        if self.exif_time_is_local:
            taken_at = taken_at.replace(tzinfo=local_zone)
        return taken_at.astimezone(dt.UTC)


# --- media type ---------------------------------------------------------------------------------


def sniff_media_type(data: bytes) -> str | None:
    """The accepted media type announced by the first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    # Strict: the header must open the file (readers tolerate leading junk; we need not).
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _name_refused_type(data: bytes) -> str | None:
    """Name a few common refused types so that the user learns what they sent."""
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypheif"):
        return "image/heic"  # iPhones: Settings › Camera › Formats › Most Compatible gives JPEG
    return None


# --- dimensions from headers, without decoding --------------------------------------------------


def _png_dimensions(data: bytes) -> tuple[int, int]:
    # The PNG specification requires IHDR to be the first chunk, right after the signature.
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise CorruptEvidence("the PNG header is missing")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# Start-of-frame markers (they carry the dimensions); C4, C8 and CC share the range but are not.
_JPEG_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_JPEG_STANDALONE_MARKERS: Final = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg_dimensions(data: bytes) -> tuple[int, int]:
    position = 2  # after SOI
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise CorruptEvidence("the JPEG header is damaged")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _JPEG_STANDALONE_MARKERS:
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        (segment_length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if segment_length < 2:
            raise CorruptEvidence("the JPEG header is damaged")
        if marker in _JPEG_SOF_MARKERS:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + segment_length
    raise CorruptEvidence("the JPEG has no frame header")


def _webp_dimensions(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # extended format: canvas size, minus one, 24 bits
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":  # lossy
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise CorruptEvidence("the WebP header is damaged")


def _header_dimensions(data: bytes, media_type: str) -> tuple[int, int]:
    if media_type == PNG:
        width, height = _png_dimensions(data)
    elif media_type == JPEG:
        width, height = _jpeg_dimensions(data)
    else:
        width, height = _webp_dimensions(data)
    if width == 0 or height == 0:
        raise CorruptEvidence("the image header announces no pixels")
    return width, height


def _effective_pixel_limit(max_pixels: int | None) -> int:
    pillow_limit = Image.MAX_IMAGE_PIXELS  # read, never changed: it is process-wide
    limits = [limit for limit in (max_pixels, pillow_limit) if limit is not None]
    return int(min(limits)) if limits else 2**63


def _jpeg_scan_start(data: bytes) -> int:
    """Offset of the first start-of-scan marker, walking the segments as _jpeg_dimensions does
    (an EXIF thumbnail inside APP1 has its own end-of-image marker, so searching from 0 is wrong)."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise CorruptEvidence("the JPEG header is damaged")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in _JPEG_STANDALONE_MARKERS:
            position += 2
            continue
        if marker == 0xDA:
            return position
        if marker == 0xD9:
            break
        (segment_length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if segment_length < 2:
            raise CorruptEvidence("the JPEG header is damaged")
        position += 2 + segment_length
    raise CorruptEvidence("the JPEG has no image data (the file is truncated)")


def _png_has_end(data: bytes) -> bool:
    position = 8  # after the signature
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        if data[position + 4 : position + 8] == b"IEND":
            return True
        position += 12 + length  # length, type, payload, CRC
    return False


def _require_complete(data: bytes, media_type: str) -> None:
    """Refuse a file cut short, whatever LOAD_TRUNCATED_IMAGES says (see the module docstring)."""
    if media_type == JPEG:
        # Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so the
        # first FF D9 after the scan starts is the real end of the image.
        if data.find(b"\xff\xd9", _jpeg_scan_start(data)) < 0:
            raise CorruptEvidence("the JPEG ends before its image data does (it is truncated)")
    elif media_type == PNG and not _png_has_end(data):
        raise CorruptEvidence("the PNG has no IEND chunk (it is truncated)")


def _open_image(data: bytes, media_type: str, max_pixels: int | None) -> Image.Image:
    """Open lazily (header only) after refusing pixel bombs and truncated files; the caller
    decodes."""
    width, height = _header_dimensions(data, media_type)
    limit = _effective_pixel_limit(max_pixels)
    if width * height > limit:
        raise ImageTooLarge(width, height, limit)
    _require_complete(data, media_type)
    try:
        # formats=[…]: only the plugin the magic bytes announced gets to parse the file.
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[media_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLarge(width, height, limit) from error
    except _DECODER_ERRORS as error:
        raise CorruptEvidence(f"the {_PILLOW_FORMAT[media_type]} image cannot be opened") from error
    # Defence in depth: Pillow's idea of the size is what it will allocate.
    if image.width * image.height > limit:
        image.close()
        raise ImageTooLarge(image.width, image.height, limit)
    return image


def _decode(image: Image.Image) -> None:
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLarge(image.width, image.height, _effective_pixel_limit(None)) from error
    except _DECODER_ERRORS as error:
        raise CorruptEvidence(f"the image does not decode ({error})") from error


# --- EXIF ------------------------------------------------------------------------------------


def _exif_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ") or None


def _exif_taken_at(exif_ifd: dict[int, Any]) -> tuple[dt.datetime | None, bool]:
    """(time, is_local) from DateTimeOriginal and OffsetTimeOriginal; (None, False) if unusable."""
    text = _exif_text(exif_ifd.get(ExifTags.Base.DateTimeOriginal))
    if text is None:
        return None, False
    try:
        # Cameras without a set clock write "0000:00:00 00:00:00", which fails here too.
        taken_at = dt.datetime.strptime(text[:19], _EXIF_DATETIME_FORMAT)
    except ValueError:
        return None, False
    offset_text = _exif_text(exif_ifd.get(ExifTags.Base.OffsetTimeOriginal))
    match = _EXIF_OFFSET_PATTERN.match(offset_text) if offset_text else None
    if match is None:
        return taken_at, True
    sign = -1 if match.group(1) == "-" else 1
    offset = dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    if offset >= dt.timedelta(hours=24):
        return taken_at, True
    return taken_at.replace(tzinfo=dt.timezone(sign * offset)), False


def _gps_degrees(value: Any, reference: Any, negative_reference: str) -> float | None:
    """Degrees/minutes/seconds rationals and their N/S or E/W reference → signed degrees."""
    reference_text = _exif_text(reference)
    if reference_text is None or not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None  # without the reference the hemisphere, hence the sign, is unknown
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    degrees = sum(part / 60**index for index, part in enumerate(parts))
    if reference_text.upper().startswith(negative_reference):
        degrees = -degrees
    return round(degrees, 7)  # about 1 cm: enough, and no float noise in stored metadata


def _exif_location(gps_ifd: dict[int, Any]) -> tuple[float | None, float | None]:
    latitude = _gps_degrees(
        gps_ifd.get(ExifTags.GPS.GPSLatitude), gps_ifd.get(ExifTags.GPS.GPSLatitudeRef), "S"
    )
    longitude = _gps_degrees(
        gps_ifd.get(ExifTags.GPS.GPSLongitude), gps_ifd.get(ExifTags.GPS.GPSLongitudeRef), "W"
    )
    if latitude is None or longitude is None:
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


@dataclass(frozen=True)
class _ExifFacts:
    orientation: int = 1
    taken_at: dt.datetime | None = None
    time_is_local: bool = False
    latitude: float | None = None
    longitude: float | None = None


def _read_exif(image: Image.Image) -> _ExifFacts:
    # A photo with broken metadata is still a valid photo: metadata errors mean "no metadata".
    try:
        exif = image.getexif()
        orientation = exif.get(ExifTags.Base.Orientation, 1)
        exif_ifd = dict(exif.get_ifd(ExifTags.IFD.Exif))
        gps_ifd = dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except _DECODER_ERRORS:
        return _ExifFacts()
    taken_at, time_is_local = _exif_taken_at(exif_ifd)
    latitude, longitude = _exif_location(gps_ifd)
    return _ExifFacts(
        orientation=orientation if isinstance(orientation, int) else 1,
        taken_at=taken_at,
        time_is_local=time_is_local,
        latitude=latitude,
        longitude=longitude,
    )


# --- public API ----------------------------------------------------------------------------------


def inspect_evidence(data: bytes, *, max_bytes: int, max_pixels: int) -> EvidenceInfo:
    """Check an uploaded file and read its metadata.

    Raises EvidenceTooLarge, UnsupportedMediaType, ImageTooLarge or CorruptEvidence (all
    EvidenceRejected). Images are fully decoded once to prove they are not corrupt; memory is
    bounded by ``max_pixels``. Run it in a worker thread, not on the event loop.
    """
    size = len(data)
    if size > max_bytes:
        raise EvidenceTooLarge(size, max_bytes)
    media_type = sniff_media_type(data)
    if media_type is None:
        raise UnsupportedMediaType(_name_refused_type(data))
    sha256 = hashlib.sha256(data).hexdigest()

    if media_type == PDF:
        return EvidenceInfo(
            sha256=sha256,
            size=size,
            media_type=media_type,
            width=None,
            height=None,
            exif_taken_at=None,
            exif_latitude=None,
            exif_longitude=None,
        )

    with _open_image(data, media_type, max_pixels) as image:
        _decode(image)
        facts = _read_exif(image)
        width, height = image.size
    if facts.orientation in _QUARTER_TURN_ORIENTATIONS:
        width, height = height, width
    return EvidenceInfo(
        sha256=sha256,
        size=size,
        media_type=media_type,
        width=width,
        height=height,
        exif_taken_at=facts.taken_at,
        exif_time_is_local=facts.time_is_local,
        exif_latitude=facts.latitude,
        exif_longitude=facts.longitude,
    )


def _flatten_for_jpeg(image: Image.Image) -> Image.Image:
    """JPEG has no transparency and no palette: put transparent pixels on white."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("I;16", "I;16L", "I;16B", "I"):
        # 16-bit grayscale (scanners, some PNG exports): convert() would clip it to white.
        # Scale to 0–255 first; point() keeps the 16-bit mode, so convert afterwards.
        return image.point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def make_derivative(
    data: bytes, *, max_side: int = 1600, quality: int = 82, max_pixels: int | None = None
) -> bytes | None:
    """A JPEG for screens and PDFs: upright, longest side ≤ ``max_side``, no metadata.

    Returns None for a PDF, which has no derivative. Never upscales. EXIF (including the GPS
    position) and XMP are dropped; the ICC colour profile is kept when the pixels are still in
    the colour space it describes, because it is colour information, not personal data.
    Raises the same exceptions as ``inspect_evidence`` (no size limit is applied here).
    """
    if max_side < 1:
        raise ValueError("max_side must be at least 1.")
    if not 1 <= quality <= 95:
        raise ValueError("quality must be between 1 and 95 (Pillow's useful JPEG range).")
    media_type = sniff_media_type(data)
    if media_type is None:
        raise UnsupportedMediaType(_name_refused_type(data))
    if media_type == PDF:
        return None

    with _open_image(data, media_type, max_pixels) as image:
        source_mode = image.mode
        icc_profile = image.info.get("icc_profile")
        try:
            # Shrink first (lets libjpeg decode at 1/2, 1/4, 1/8 scale), then turn upright:
            # the bound is square, so turning afterwards keeps both sides within it.
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageTooLarge(
                image.width, image.height, _effective_pixel_limit(max_pixels)
            ) from error
        except _DECODER_ERRORS as error:
            raise CorruptEvidence(f"the image does not decode ({error})") from error

    flattened = _flatten_for_jpeg(upright)
    save_options: dict[str, Any] = {"quality": quality, "optimize": True}
    if icc_profile and flattened.mode == source_mode:
        save_options["icc_profile"] = icc_profile
    output = io.BytesIO()
    # Only what is passed here is written: Pillow does not copy EXIF or XMP from image.info.
    flattened.save(output, format="JPEG", **save_options)
    return output.getvalue()
