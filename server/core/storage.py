"""Content-addressed, immutable files under the media directory (evidence, stored minutes).

Blocking: call from a worker thread.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def content_path(kind: str, sha256: str, suffix: str = "") -> str:
    """Where a file of `kind` ('originals', 'derivatives', 'minutes') lives, relative to media."""
    return f"{kind}/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def write_immutable(target: Path, data: bytes) -> None:
    """Write once, atomically (temporary name, fsync, rename) and read-only: a crash never leaves
    half a file under a real name, and an existing file is never rewritten."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
