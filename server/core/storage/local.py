"""Objects as read-only files under the media directory (the embedded default): the key is the
path below it, as it always was (``originals/ab/cd/<sha256>``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread

from server.core.storage.base import (
    StoredObjectMissing,
    StoredObjectReader,
    checked_key,
    verified,
)

CHUNK_BYTES = 256 * 1024


def write_immutable(target: Path, data: bytes) -> bool:
    """Write once, atomically and read-only: the bytes go to a temporary name (fsynced), which is
    then hard-linked to the real name. A crash never leaves half a file under a real name, and
    the link fails if the name is taken, so of two writers at once exactly one writes and an
    existing file is never rewritten (a rename would replace it). True when this call wrote."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return False
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o444)
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False
    finally:
        Path(temporary).unlink(missing_ok=True)
    return True


class LocalDirectoryStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def location(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        return self.root / checked_key(key)

    async def put(self, key: str, data: bytes, *, sha256: str) -> bool:
        target = self.path(key)

        def check_and_write() -> bool:
            verified(data, sha256)
            return write_immutable(target, data)

        return await anyio.to_thread.run_sync(check_and_write)

    async def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError as error:
            raise StoredObjectMissing(key) from error

    async def open(self, key: str) -> StoredObjectReader:
        path = self.path(key)

        def open_with_size() -> tuple[BinaryIO, int]:
            stream = path.open("rb")
            return stream, os.fstat(stream.fileno()).st_size

        try:
            stream, size = await anyio.to_thread.run_sync(open_with_size)
        except FileNotFoundError as error:
            raise StoredObjectMissing(key) from error
        return StoredObjectReader(size=size, chunks=_chunks(stream))

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(key).is_file)

    async def ping(self) -> None:
        # The directory is made on the first write; until then there is nothing to be missing,
        # but something else under its name (a file, a directory no one may write) is.
        def check() -> None:
            if self.root.exists() and not (self.root.is_dir() and os.access(self.root, os.W_OK)):
                raise OSError(f"{self.root} is not a directory this server can write")

        await anyio.to_thread.run_sync(check)


async def _chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    # Closed however the reader ends: read to the end, or dropped when the client went away.
    try:
        while chunk := await anyio.to_thread.run_sync(stream.read, CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()
