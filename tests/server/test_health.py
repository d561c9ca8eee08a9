"""/health says whether the database and the file store answer: 200 when both do, 503 naming the
one that does not. The file store is asked with one cheap request and a short timeout, and its
answer is kept a few seconds, so a load balancer asking often costs the store little."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from obstore.exceptions import BaseError

from server import ops
from server.core import storage
from server.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.s3_peer import S3Peer
from tests.server.peers import HOST, free_port


@pytest.fixture(autouse=True)
def fresh_storage_check() -> Iterator[None]:
    ops.storage_check.forget()
    yield
    ops.storage_check.forget()


def bucket_storage(tmp_path: Path, **storage_env: str) -> storage.ObjectStorage:
    values = {key.removeprefix("SPOTCHECK_").lower(): value for key, value in storage_env.items()}
    return storage.for_settings(
        Settings(
            environment="test",
            secret_key=TEST_SECRET,  # type: ignore[arg-type]
            media_dir=tmp_path,
            **values,  # type: ignore[arg-type]
        )
    )


def unreachable_bucket(tmp_path: Path) -> storage.ObjectStorage:
    return bucket_storage(
        tmp_path,
        SPOTCHECK_STORAGE_URL="s3://spotcheck/media",
        SPOTCHECK_STORAGE_ENDPOINT_URL=f"http://{HOST}:{free_port()}",
        SPOTCHECK_STORAGE_ACCESS_KEY_ID="key",
        SPOTCHECK_STORAGE_SECRET_ACCESS_KEY="secret",
    )


class CountingStorage:
    """A store whose ping is counted, and answers, fails or hangs as told."""

    location = "counting://store"

    def __init__(self, behaviour: str = "answers") -> None:
        self.behaviour = behaviour
        self.pings = 0

    async def ping(self) -> None:
        self.pings += 1
        if self.behaviour == "fails":
            raise OSError("no route to the store")
        if self.behaviour == "hangs":
            await anyio.sleep_forever()


async def test_health_reports_the_database_and_the_media_directory(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


async def test_a_store_that_does_not_answer_makes_health_503_and_says_which(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = unreachable_bucket(tmp_path)
    monkeypatch.setattr(storage, "for_settings", lambda settings: dead)

    response = await client.get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "storage": "unreachable"}


async def test_the_answer_is_kept_a_few_seconds_then_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = CountingStorage()
    clock = [1000.0]
    monkeypatch.setattr(ops.time, "monotonic", lambda: clock[0])

    answers = [await ops.storage_check.answers(store) for _ in range(5)]  # type: ignore[arg-type]
    clock[0] += ops.STORAGE_CHECK_CACHE_SECONDS + 0.1
    store.behaviour = "fails"
    later = await ops.storage_check.answers(store)  # type: ignore[arg-type]

    assert answers == [True] * 5
    assert later is False
    assert store.pings == 2


async def test_a_store_that_hangs_is_unreachable_after_the_timeout_not_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ops, "STORAGE_CHECK_TIMEOUT_SECONDS", 0.2)
    store = CountingStorage("hangs")

    started = time.monotonic()
    answered = await ops.storage_check.answers(store)  # type: ignore[arg-type]

    assert answered is False
    assert time.monotonic() - started < 2


async def test_a_bucket_answers_the_probe(s3_server: S3Peer, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    files = bucket_storage(tmp_path, **s3_server.settings_env(bucket, "media"))

    await files.ping()  # raises if not

    assert s3_server.keys(bucket) == []  # the probe stores nothing


async def test_a_missing_bucket_fails_the_probe(s3_server: S3Peer, tmp_path: Path) -> None:
    files = bucket_storage(tmp_path, **s3_server.settings_env("no-such-bucket", "media"))

    with pytest.raises(BaseError, match=r"(?i)bucket"):
        await files.ping()


async def test_the_bucket_probe_gives_up_quickly_on_a_store_that_never_replies(
    tmp_path: Path,
) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind((HOST, 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        files = bucket_storage(
            tmp_path,
            SPOTCHECK_STORAGE_URL="s3://spotcheck/media",
            SPOTCHECK_STORAGE_ENDPOINT_URL=f"http://{HOST}:{port}",
            SPOTCHECK_STORAGE_ACCESS_KEY_ID="key",
            SPOTCHECK_STORAGE_SECRET_ACCESS_KEY="secret",
        )

        started = time.monotonic()
        with pytest.raises(BaseError):
            await files.ping()

    assert time.monotonic() - started < ops.STORAGE_CHECK_TIMEOUT_SECONDS


async def test_a_media_directory_that_cannot_be_written_fails_the_probe(tmp_path: Path) -> None:
    taken = tmp_path / "media"
    taken.write_text("a file where the directory should be")

    with pytest.raises(OSError, match="not a directory"):
        await storage.LocalDirectoryStorage(taken).ping()
