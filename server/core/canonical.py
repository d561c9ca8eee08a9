"""Canonical JSON and its SHA-256: the bytes behind every hash the system stores.

Checklist content hashes, the audit chain and its head MAC, plan commitments, the phone's sync
payload hashes and the minutes' content hashes are all written down and checked again later, so
the rules that turn a value into bytes are fixed by a named version. All versions sort keys, write
real characters (not ``\\u`` escapes) and encode as UTF-8; they differ as below. A version is never
changed, or hashes already stored would no longer verify: new rules are a new version.

- ``CANONICAL_V1``: plain JSON values only (anything else is a ``TypeError``), compact. Checklist
  content (after ``model_dump(mode="json")``), audit events and the audit head.
- ``CANONICAL_V2``: typed and strict, compact. Aware datetimes in UTC with ``Z``, dates in ISO form,
  UUIDs and finite ``Decimal`` values as strings, Pydantic models as their fields; naive datetimes,
  NaN, infinities, non-string keys and keys that collide once turned into strings are refused.
  Plan commitments; the one to choose for a new kind of hash.
- ``CANONICAL_V3``: anything that is not plain JSON written as its ``str()``, compact. Sync
  payload hashes.
- ``CANONICAL_V4``: as V3 but with ``json.dumps``'s default ``", "`` and ``": "`` separators.
  Minutes content hashes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from pydantic import BaseModel

COMPACT: Final = (",", ":")
SPACED: Final = (", ", ": ")


@dataclass(frozen=True, kw_only=True)
class CanonicalVersion:
    """One fixed set of serialisation rules. ``prepare`` turns the whole value into plain JSON
    first; ``fallback`` is ``json.dumps``'s ``default`` for what is still not plain JSON."""

    tag: str
    separators: tuple[str, str]
    allow_nan: bool
    prepare: Callable[[Any], Any] | None = None
    fallback: Callable[[Any], Any] | None = None


def _to_json_native(value: Any) -> Any:
    """Turn the types a typed document may hold into plain JSON values, deterministically."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value  # json.dumps(allow_nan=False) refuses NaN and infinities
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Cannot put {value} in canonical JSON.")
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive time means different instants on different servers: refuse it.
            raise ValueError(f"Datetime {value.isoformat()} has no time zone.")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return _to_json_native(value.model_dump(mode="python"))
    if isinstance(value, Mapping):
        native: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, uuid.UUID):
                key = str(key)
            if not isinstance(key, str):
                raise TypeError(f"Canonical JSON keys must be strings, got {key!r}.")
            if key in native:
                raise ValueError(f"Key {key!r} appears twice after conversion to a string.")
            native[key] = _to_json_native(item)
        return native
    if isinstance(value, list | tuple):
        return [_to_json_native(item) for item in value]
    raise TypeError(f"Cannot put a {type(value).__name__} in canonical JSON.")


CANONICAL_V1: Final = CanonicalVersion(
    tag="spotcheck-canonical/v1:plain-compact", separators=COMPACT, allow_nan=True
)
CANONICAL_V2: Final = CanonicalVersion(
    tag="spotcheck-canonical/v2:typed-strict-compact",
    separators=COMPACT,
    allow_nan=False,
    prepare=_to_json_native,
)
CANONICAL_V3: Final = CanonicalVersion(
    tag="spotcheck-canonical/v3:str-fallback-compact",
    separators=COMPACT,
    allow_nan=True,
    fallback=str,
)
CANONICAL_V4: Final = CanonicalVersion(
    tag="spotcheck-canonical/v4:str-fallback-spaced",
    separators=SPACED,
    allow_nan=True,
    fallback=str,
)


def one_shot_encoder(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode`` with its C encoder built once, writing the same text:
    ``JSONEncoder.encode`` builds a new one on every call, which is about half the time of the
    small values the sync path hashes and stores. Without the circular-reference check: a value
    that holds itself fails with RecursionError instead of ValueError (none is ever stored or
    hashed). An encoder with `indent` is returned as it is."""
    make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_c_encoder is None or encoder.indent is not None:  # no _json accelerator
        return encoder.encode
    c_encoder = make_c_encoder(
        None,  # no markers: no circular-reference check
        encoder.default,
        json.encoder.encode_basestring_ascii
        if encoder.ensure_ascii
        else json.encoder.encode_basestring,
        None,  # indent
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return encoder.encode(value)
        return "".join(c_encoder(value, 0))

    return encode


@functools.cache
def _encode(version: CanonicalVersion) -> Callable[[Any], str]:
    """The encoding ``json.dumps`` would do for ``version``, its encoder built once: the sync
    path hashes every op's payload and the sealer every audit event. Same rules, same bytes."""
    return one_shot_encoder(
        json.JSONEncoder(
            sort_keys=True,
            separators=version.separators,
            ensure_ascii=False,
            allow_nan=version.allow_nan,
            default=version.fallback,
        )
    )


def canonical_json(value: Any, *, version: CanonicalVersion) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value`` under ``version``'s rules."""
    if version.prepare is not None:
        value = version.prepare(value)
    return _encode(version)(value).encode("utf-8")


def canonical_sha256(value: Any, *, version: CanonicalVersion, prefix: bytes = b"") -> str:
    """Hex SHA-256 of ``prefix`` followed by ``canonical_json(value, version=version)``. The
    prefix chains a hash to what came before it (the audit chain's previous hash)."""
    return hashlib.sha256(prefix + canonical_json(value, version=version)).hexdigest()
