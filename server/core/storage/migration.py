"""Moving an installation's files from the media directory into a bucket (`spotcheck storage
migrate`): every file of the directory's tree is copied under its relative path, which is its key
under either storage.

It copies the directory as it is, not what the database references: the directory is exactly
what the local storage serves, so every key a record can name (an original, its derivative, whose
key names the original and not its own bytes, a stored minutes PDF) is in it; it needs no
database, so it can run before the switch, again after it, and on a copy of the directory; and a
file no record names costs a little space in the bucket, never a missing file.

Objects are written once, so a run can be stopped and started again: a key the bucket already
holds is read back and compared by SHA-256, and skipped when the bytes are the same. Different
bytes under a taken key, a local file whose bytes do not match the SHA-256 its name states, or a
store that fails are failures, named in the report; nothing is ever overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.to_thread

from server.core.errors import DomainError
from server.core.storage.base import ObjectStorage, checked_key, is_sha256

# Left behind by a write that crashed before its link (local.write_immutable): never a stored file.
# Kinds whose file names are the SHA-256 of their own bytes (a derivative's names its original).
SELF_NAMED_KINDS = ("originals", "minutes")


@dataclass(frozen=True)
class Failure:
    key: str
    reason: str


@dataclass
class MigrationReport:
    source: str
    target: str
    dry_run: bool
    copied: list[str] = field(default_factory=list)  # or, on a dry run, would be
    already_there: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # not files the server stores
    failed: list[Failure] = field(default_factory=list)
    bytes_copied: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def files_seen(self) -> int:
        return len(self.copied) + len(self.already_there) + len(self.failed)


def stated_sha256(key: str) -> str | None:
    """The SHA-256 a key's file name states of the file's own bytes (originals and minutes);
    None for keys whose name states none (derivatives)."""
    kind, _, rest = key.partition("/")
    if kind not in SELF_NAMED_KINDS:
        return None
    digest = rest.rsplit("/", 1)[-1].split(".", 1)[0]
    return digest if is_sha256(digest) else None


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every file under the media directory, in a stable order."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def _read_and_hash(path: Path) -> tuple[bytes, str]:
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


async def _digest_of_stored(target: ObjectStorage, key: str) -> str:
    data = await target.get(key)
    return await anyio.to_thread.run_sync(lambda: hashlib.sha256(data).hexdigest())


async def copy_media_directory(
    source: Path,
    target: ObjectStorage,
    *,
    dry_run: bool = False,
    jobs: int = 4,
    on_file: Callable[[MigrationReport], None] | None = None,
) -> MigrationReport:
    """Copies every file under `source` to `target` under the same key; see the module's
    docstring. `on_file` is called after each file (for progress)."""
    report = MigrationReport(source=str(source), target=target.location, dry_run=dry_run)
    limiter = anyio.CapacityLimiter(max(1, jobs))

    async def one(key: str, path: Path) -> None:
        async with limiter:
            try:
                outcome = await _copy_one(key, path, target, dry_run=dry_run)
            except (OSError, ValueError, LookupError, DomainError) as error:
                outcome = Failure(key, getattr(error, "detail", None) or str(error))
            if isinstance(outcome, Failure):
                report.failed.append(outcome)
            elif outcome is None:
                report.already_there.append(key)
            else:
                report.copied.append(key)
                report.bytes_copied += outcome
            if on_file is not None:
                on_file(report)

    async with anyio.create_task_group() as group:
        for key, path in media_files(source):
            try:
                checked_key(key)  # also refuses a crashed write's ".incoming-…" leftover
            except ValueError:
                report.ignored.append(key)
                continue
            group.start_soon(one, key, path)
    for listed in (report.copied, report.already_there, report.ignored):
        listed.sort()
    report.failed.sort(key=lambda failure: failure.key)
    return report


async def _copy_one(
    key: str, path: Path, target: ObjectStorage, *, dry_run: bool
) -> Failure | int | None:
    """Bytes copied (or to be), None when the bucket holds the same bytes, or the failure."""
    data, digest = await anyio.to_thread.run_sync(_read_and_hash, path)
    stated = stated_sha256(key)
    if stated is not None and stated != digest:
        return Failure(key, f"the local file is damaged: its bytes hash to {digest}; not copied")
    if dry_run:
        if not await target.exists(key):
            return len(data)
    elif await target.put(key, data, sha256=digest):  # put looks before it writes: no HEAD here
        return len(data)
    # Already there (or taken between put's look and its write): compare the bytes.
    if await _digest_of_stored(target, key) != digest:
        return Failure(
            key, "the bucket already holds different bytes under this key; left as it is"
        )
    return None
