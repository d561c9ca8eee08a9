"""The storage contract, run against both implementations: the local media directory (the
embedded default) and an S3 bucket on a real S3-protocol server (moto's, in a process of its own).

What every storage promises: a put stores the bytes whole under the key, after checking their
SHA-256; a key is written once (a second put, with the same bytes or different ones, is
*ignored*: it reports False and the first bytes stay); a missing key is StoredObjectMissing; the
objects live where the configuration says (the media directory's relative paths as they always
were, or below the bucket's prefix)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.core import storage
from server.core.errors import ServiceUnavailable
from server.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.s3_peer import S3Peer
from tests.server.peers import free_port


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_for(data: bytes, kind: str = "originals") -> str:
    return storage.content_key(kind, sha(data))


def settings_for(media_dir: Path, **storage_env: str) -> Settings:
    values: dict[str, Any] = {
        key.removeprefix("SPOTCHECK_").lower(): value for key, value in storage_env.items()
    }
    return Settings(
        environment="test",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        media_dir=media_dir,
        **values,
    )


@dataclass
class Place:
    """A storage under test, and its objects read without going through it."""

    files: storage.ObjectStorage
    keys: Callable[[], list[str]]
    read: Callable[[str], bytes]


@pytest.fixture(params=["local", "s3"])
async def place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    if request.param == "local":
        files = storage.for_settings(settings_for(tmp_path))

        def local_keys() -> list[str]:
            return sorted(
                str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()
            )

        yield Place(files, local_keys, lambda key: (tmp_path / key).read_bytes())
    else:
        s3: S3Peer = request.getfixturevalue("s3_server")
        bucket = s3.new_bucket()
        files = storage.for_settings(settings_for(tmp_path, **s3.settings_env(bucket, "site/a")))
        yield Place(files, lambda: s3.keys(bucket), lambda key: s3.read(bucket, key))


def stored_path(place: Place, key: str) -> str:
    """The key as the place spells it: the relative path, or the bucket key with its prefix."""
    return key if isinstance(place.files, storage.LocalDirectoryStorage) else f"site/a/{key}"


async def test_a_put_stores_the_bytes_whole_and_they_read_back(place: Place) -> None:
    data = os.urandom(3000)
    key = key_for(data)

    assert not await place.files.exists(key)
    assert await place.files.put(key, data, sha256=sha(data)) is True

    assert await place.files.exists(key)
    assert await place.files.get(key) == data
    assert place.keys() == [stored_path(place, key)]
    assert place.read(stored_path(place, key)) == data


async def test_keys_keep_the_media_directory_layout(place: Place) -> None:
    data = os.urandom(100)
    digest = sha(data)

    await place.files.put(storage.content_key("minutes", digest, ".pdf"), data, sha256=digest)

    expected = f"minutes/{digest[:2]}/{digest[2:4]}/{digest}.pdf"
    assert place.keys() == [stored_path(place, expected)]


async def test_putting_the_same_bytes_again_is_a_no_op(place: Place) -> None:
    data = os.urandom(500)
    key = key_for(data)

    assert await place.files.put(key, data, sha256=sha(data)) is True
    assert await place.files.put(key, data, sha256=sha(data)) is False

    assert await place.files.get(key) == data
    assert len(place.keys()) == 1


async def test_a_taken_key_is_never_rewritten_the_second_put_is_ignored(place: Place) -> None:
    first, second = os.urandom(400), os.urandom(400)
    # A derivative's key names its original, not its own bytes: a later, different rendering of
    # it (a new Pillow) must not replace what documents already embed.
    key = storage.content_key("derivatives", sha(b"the original"), ".jpg")

    assert await place.files.put(key, first, sha256=sha(first)) is True
    assert await place.files.put(key, second, sha256=sha(second)) is False

    assert await place.files.get(key) == first
    assert place.read(stored_path(place, key)) == first


async def test_of_two_puts_at_once_exactly_one_writes(place: Place) -> None:
    candidates = [os.urandom(200_000) for _ in range(4)]
    key = storage.content_key("derivatives", sha(b"raced"), ".jpg")
    results: list[bool] = []

    async def put(data: bytes) -> None:
        results.append(await place.files.put(key, data, sha256=sha(data)))

    async with anyio.create_task_group() as group:
        for data in candidates:
            group.start_soon(put, data)

    assert sorted(results) == [False, False, False, True]
    assert await place.files.get(key) in candidates  # whole: one writer's bytes, not a mix


async def test_bytes_that_do_not_match_their_hash_are_refused_and_nothing_is_stored(
    place: Place,
) -> None:
    data = os.urandom(300)
    key = key_for(data)

    with pytest.raises(storage.StorageIntegrityError):
        await place.files.put(key, data + b"!", sha256=sha(data))

    assert not await place.files.exists(key)
    assert place.keys() == []


async def test_a_missing_key_is_reported_as_missing(place: Place) -> None:
    key = key_for(b"never stored")

    assert await place.files.exists(key) is False
    with pytest.raises(storage.StoredObjectMissing) as missing:
        await place.files.get(key)
    assert missing.value.key == key
    with pytest.raises(storage.StoredObjectMissing):
        await place.files.open(key)


async def test_a_large_object_streams_back_in_chunks_with_its_size(place: Place) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    key = key_for(data)
    await place.files.put(key, data, sha256=sha(data))

    reader = await place.files.open(key)
    chunks = [chunk async for chunk in reader.chunks]

    assert reader.size == len(data)
    assert len(chunks) > 1
    assert b"".join(chunks) == data


@pytest.mark.parametrize("key", ["../outside", "originals/../../etc/passwd", "/absolute", ""])
async def test_a_key_that_could_leave_its_place_is_refused(place: Place, key: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        await place.files.put(key, b"x", sha256=sha(b"x"))
    with pytest.raises(ValueError, match="not a storage key"):
        await place.files.get(key)


async def test_two_prefixes_in_one_bucket_do_not_see_each_other(
    s3_server: S3Peer, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    north = storage.for_settings(settings_for(tmp_path, **s3_server.settings_env(bucket, "north")))
    south = storage.for_settings(settings_for(tmp_path, **s3_server.settings_env(bucket, "south")))
    data = os.urandom(100)
    key = key_for(data)

    await north.put(key, data, sha256=sha(data))

    assert await north.exists(key)
    assert not await south.exists(key)
    assert s3_server.keys(bucket) == [f"north/{key}"]
    assert north.location == f"s3://{bucket}/north"


async def test_an_unreachable_bucket_is_a_503_with_retry_after_not_a_crash(
    tmp_path: Path,
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    files = storage.for_settings(
        settings_for(
            tmp_path,
            SPOTCHECK_STORAGE_URL="s3://spotcheck/unreachable",
            SPOTCHECK_STORAGE_ENDPOINT_URL=nobody,
            SPOTCHECK_STORAGE_ACCESS_KEY_ID="key",
            SPOTCHECK_STORAGE_SECRET_ACCESS_KEY="secret",
        )
    )
    data = b"evidence"

    with pytest.raises(ServiceUnavailable) as refused:
        await files.put(key_for(data), data, sha256=sha(data))
    assert refused.value.retry_after_seconds
    assert "nothing was changed" in str(refused.value.detail)
    with pytest.raises(ServiceUnavailable):
        await files.get(key_for(data))
