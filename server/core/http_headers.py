"""HTTP header values built from data: one place that makes them safe.

Every download names its file through :func:`content_disposition`, so a unit's name or code (or
anything else that ends up in a file name) can never break out of the header: no quote, backslash,
``;``, CR, LF or other control character reaches it unencoded.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

FALLBACK_NAME = "download"
MAX_NAME_LENGTH = 150

# Letters that Unicode does not decompose into an ASCII base letter, transliterated by hand.
_ASCII_LOOKALIKES = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss"})
_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")
_PATH_AND_CONTROL = re.compile(r"[\x00-\x1f\x7f/\\]+")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="ascii-fallback"; filename*=UTF-8''percent-encoded`` (RFC 6266,
    RFC 5987). ``inline`` asks the browser to show the file (PDFs) instead of saving it.

    The quoted fallback keeps only ``A-Z a-z 0-9 . _ -`` (Vietnamese letters lose their marks);
    the encoded form keeps the real name, with control characters and path separators removed.
    """
    name = _clean(filename)
    fallback = _ascii_fallback(name)
    encoded = quote(name, safe="")
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _clean(filename: str) -> str:
    name = unicodedata.normalize("NFC", filename)
    name = _PATH_AND_CONTROL.sub("_", name).strip().lstrip(".")
    return name[:MAX_NAME_LENGTH] or FALLBACK_NAME


def _ascii_fallback(name: str) -> str:
    stripped = unicodedata.normalize("NFKD", name.translate(_ASCII_LOOKALIKES))
    ascii_only = stripped.encode("ascii", "ignore").decode("ascii")
    safe = _UNSAFE_IN_FALLBACK.sub("_", ascii_only).strip("_").lstrip(".")
    return safe or FALLBACK_NAME
