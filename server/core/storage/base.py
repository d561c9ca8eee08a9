"""What every object storage promises (the contract tests/server/test_object_storage.py runs
against each implementation), the keys of content-addressed files, and the errors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

# Keys are made by the server (content_key), never taken from a request; this pattern is a second
# line of defence, so that no key can climb out of the media directory or the bucket's prefix.
_KEY = re.compile(r"^[a-z0-9_-]+(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(text: str) -> bool:
    """Whether `text` is a SHA-256 as keys carry it: 64 lowercase hexadecimal characters."""
    return _SHA256.match(text) is not None


class StoredObjectMissing(LookupError):
    """No object under this key (never stored, or removed behind the server's back)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object {key}")
        self.key = key


class StorageIntegrityError(ValueError):
    """The bytes handed to put() do not have the SHA-256 the caller said they have."""


def content_key(kind: str, sha256: str, suffix: str = "") -> str:
    """Where a file of `kind` ('originals', 'derivatives', 'minutes') lives: the same relative
    path under the media directory and under the bucket's prefix."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return checked_key(f"{kind}/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}")


def checked_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


def verified(data: bytes, sha256: str) -> None:
    """Blocking (hashes the bytes): call from a worker thread for anything large."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise StorageIntegrityError(f"the bytes for this key hash to {actual}, not {sha256}")


@dataclass(frozen=True)
class StoredObjectReader:
    """An object being read: its size is known before the first byte is sent, so a download
    can say Content-Length, and a missing object is an error before any response starts."""

    size: int
    chunks: AsyncIterator[bytes]


class ObjectStorage(Protocol):
    """Immutable, write-once objects under server-made keys. Every method is a coroutine that
    keeps blocking work (disk, hashing) off the event loop."""

    @property
    def location(self) -> str:
        """Where the objects are, for logs and messages (never with credentials)."""
        ...

    async def put(self, key: str, data: bytes, *, sha256: str) -> bool:
        """Store `data` under `key` unless something is already there, after checking that
        `data` hashes to `sha256` (StorageIntegrityError otherwise, nothing stored).

        True when this call stored it; False when the key was taken, in which case the object
        already there is kept as it is, whatever `data` holds: objects are never rewritten.
        Never leaves half an object under the key."""
        ...

    async def get(self, key: str) -> bytes:
        """The whole object; StoredObjectMissing when there is none."""
        ...

    async def open(self, key: str) -> StoredObjectReader:
        """The object in chunks, for downloads; StoredObjectMissing when there is none."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def ping(self) -> None:
        """Returns when the storage answers (one cheap request, a short timeout, no retries);
        raises otherwise. For /health, which says whether files can be stored and read."""
        ...
