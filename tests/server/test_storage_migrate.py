"""`spotcheck storage migrate` moves an installation's files from its media directory into the
bucket of SPOTCHECK_STORAGE_URL (moto's S3 server here): every file under the same key, the
bytes unchanged; a key already there is compared by SHA-256 and skipped, so a second run (or one
after an interrupted run) copies only what is missing; a dry run copies nothing; a file that
cannot be copied is named and makes the exit status non-zero; nothing in the bucket is ever
overwritten."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from uuid import uuid4

import pytest

from server.core import storage
from server.core.scopes import Principal, Role
from server.core.settings import Settings
from server.core.storage.migration import stated_sha256
from server.evidence import services as evidence_service
from server.evidence.tables import Evidence
from tests.conftest import TEST_SECRET, CommandResult, Spotcheck, World
from tests.helpers import photo_bytes
from tests.s3_peer import S3Peer
from tests.server.peers import free_port

PREFIX = "site/media"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def media_directory(root: Path) -> dict[str, bytes]:
    """A media directory as the local storage writes it: two originals, the derivative of one
    (keyed by its original), a stored minutes PDF. Returns its keys and bytes."""
    files = storage.LocalDirectoryStorage(root)
    photo, scan = os.urandom(2000), os.urandom(1500)
    small, minutes = os.urandom(300), b"%PDF-1.7 " + os.urandom(700)
    written = {
        storage.content_key("originals", sha(photo)): photo,
        storage.content_key("originals", sha(scan)): scan,
        storage.content_key("derivatives", sha(photo), ".jpg"): small,
        storage.content_key("minutes", sha(minutes), ".pdf"): minutes,
    }
    for key, data in written.items():
        await files.put(key, data, sha256=sha(data))
    return written


def bucket_contents(s3: S3Peer, bucket: str) -> dict[str, bytes]:
    return {key.removeprefix(f"{PREFIX}/"): s3.read(bucket, key) for key in s3.keys(bucket)}


def migrate(spotcheck: Spotcheck, media: Path, env: dict[str, str], *args: str) -> CommandResult:
    return spotcheck("storage", "migrate", *args, SPOTCHECK_MEDIA_DIR=str(media), **env)


async def test_every_file_is_copied_under_its_key_and_the_switch_is_explained(
    spotcheck: Spotcheck, s3_server: S3Peer, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)
    bucket = s3_server.new_bucket()

    result = migrate(spotcheck, tmp_path, s3_server.settings_env(bucket, PREFIX))

    assert result.returncode == 0, result.stderr
    assert bucket_contents(s3_server, bucket) == written
    assert "4 files: 4 copied" in result.stdout
    assert "0 failed" in result.stdout
    assert f"SPOTCHECK_STORAGE_URL=s3://{bucket}/{PREFIX}" in result.stdout
    assert "restart" in result.stdout


async def test_evidence_stored_before_the_move_is_served_from_the_bucket_after_the_switch(
    spotcheck: Spotcheck, s3_server: S3Peer, world: World, tmp_path: Path
) -> None:
    before = Settings(
        environment="test",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        media_dir=tmp_path,
    )
    bucket = s3_server.new_bucket()
    env = s3_server.settings_env(bucket, PREFIX)
    after = Settings(
        environment="test",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        media_dir=tmp_path,
        **{key.removeprefix("SPOTCHECK_").lower(): value for key, value in env.items()},  # type: ignore[arg-type]
    )
    photo = photo_bytes((90, 140, 30))
    inspector = Principal(
        user_id=world.users["inspector"],
        username="inspector",
        role=Role.inspector,
        home_unit_id=world.units["D1"],
        home_unit_path=f"/{uuid4()}/",
    )
    await evidence_service.store(
        sha256=sha(photo), data=photo, principal=inspector, settings=before
    )
    row = await Evidence.select().where(Evidence.sha256 == sha(photo)).first()
    assert row is not None
    derivative = (tmp_path / row["derivative_path"]).read_bytes()

    result = migrate(spotcheck, tmp_path, env)

    assert result.returncode == 0, result.stderr
    # The rows name the same keys; the switched server finds both files in the bucket.
    files = storage.for_settings(after)
    assert await files.get(row["original_path"]) == photo
    found = await evidence_service.derivatives_for_print([sha(photo)], settings=after)
    assert found == {sha(photo): derivative}


async def test_a_second_run_copies_only_what_is_missing(
    spotcheck: Spotcheck, s3_server: S3Peer, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)
    bucket = s3_server.new_bucket()
    env = s3_server.settings_env(bucket, PREFIX)
    # An interrupted first run: one file made it.
    first_key = sorted(written)[0]
    s3_server.client().put_object(
        Bucket=bucket, Key=f"{PREFIX}/{first_key}", Body=written[first_key]
    )

    resumed = migrate(spotcheck, tmp_path, env)
    again = migrate(spotcheck, tmp_path, env)

    assert resumed.returncode == 0, resumed.stderr
    assert "4 files: 3 copied" in resumed.stdout
    assert "1 already in the bucket with the same bytes" in resumed.stdout
    assert again.returncode == 0, again.stderr
    assert "4 files: 0 copied (0 bytes), 4 already in the bucket" in again.stdout
    assert bucket_contents(s3_server, bucket) == written


async def test_a_dry_run_copies_nothing_and_says_what_it_would_copy(
    spotcheck: Spotcheck, s3_server: S3Peer, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)
    bucket = s3_server.new_bucket()

    result = migrate(spotcheck, tmp_path, s3_server.settings_env(bucket, PREFIX), "--dry-run")

    assert result.returncode == 0, result.stderr
    size = sum(len(data) for data in written.values())
    assert f"4 files: 4 would be copied ({size} bytes)" in result.stdout
    assert "nothing was copied" in result.stdout
    assert s3_server.keys(bucket) == []


async def test_different_bytes_under_a_taken_key_fail_by_name_and_stay_as_they_are(
    spotcheck: Spotcheck, s3_server: S3Peer, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)
    bucket = s3_server.new_bucket()
    derivative = next(key for key in written if key.startswith("derivatives/"))
    s3_server.client().put_object(
        Bucket=bucket, Key=f"{PREFIX}/{derivative}", Body=b"another rendering"
    )

    result = migrate(spotcheck, tmp_path, s3_server.settings_env(bucket, PREFIX))

    assert result.returncode == 1
    assert f"{derivative}: the bucket already holds different bytes" in result.stderr
    assert "1 file(s) not in the bucket" in result.stderr
    copied = bucket_contents(s3_server, bucket)
    assert copied[derivative] == b"another rendering"  # never overwritten
    assert {key: copied[key] for key in written if key != derivative} == {
        key: data for key, data in written.items() if key != derivative
    }


async def test_a_damaged_local_file_is_named_and_not_copied(
    spotcheck: Spotcheck, s3_server: S3Peer, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)
    original = next(key for key in written if key.startswith("originals/"))
    (tmp_path / original).chmod(0o644)
    (tmp_path / original).write_bytes(b"bit rot")
    bucket = s3_server.new_bucket()

    result = migrate(spotcheck, tmp_path, s3_server.settings_env(bucket, PREFIX))

    assert result.returncode == 1
    assert f"{original}: the local file is damaged" in result.stderr
    assert original not in bucket_contents(s3_server, bucket)
    assert len(s3_server.keys(bucket)) == 3


async def test_leftovers_and_strangers_in_the_directory_are_ignored_not_copied(
    spotcheck: Spotcheck, s3_server: S3Peer, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)
    (tmp_path / "originals" / ".incoming-abc123").write_bytes(b"half a crashed write")
    (tmp_path / "README.txt").write_bytes(b"an operator's file")
    bucket = s3_server.new_bucket()

    result = migrate(spotcheck, tmp_path, s3_server.settings_env(bucket, PREFIX))

    assert result.returncode == 0, result.stderr
    assert "2 ignored" in result.stdout
    assert "ignored originals/.incoming-abc123" in result.stdout
    assert bucket_contents(s3_server, bucket) == written


async def test_a_store_that_does_not_answer_fails_every_file_by_name(
    spotcheck: Spotcheck, tmp_path: Path
) -> None:
    written = await media_directory(tmp_path)

    result = migrate(
        spotcheck,
        tmp_path,
        {
            "SPOTCHECK_STORAGE_URL": "s3://spotcheck/media",
            "SPOTCHECK_STORAGE_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            "SPOTCHECK_STORAGE_ACCESS_KEY_ID": "key",
            "SPOTCHECK_STORAGE_SECRET_ACCESS_KEY": "secret",
        },
    )

    assert result.returncode == 1
    for key in written:
        assert f"{key}: The file store cannot be reached" in result.stderr
    assert "4 failed" in result.stdout


async def test_without_a_bucket_named_it_refuses_and_says_what_to_set(
    spotcheck: Spotcheck, tmp_path: Path
) -> None:
    result = migrate(spotcheck, tmp_path, {})

    assert result.returncode == 2
    assert "SPOTCHECK_STORAGE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    ("key", "stated"),
    [
        ("originals/ab/cd/" + "ab" * 32, "ab" * 32),
        ("minutes/ab/cd/" + "cd" * 32 + ".pdf", "cd" * 32),
        ("derivatives/ab/cd/" + "ab" * 32 + ".jpg", None),  # names its original, not itself
        ("originals/ab/cd/not-a-digest", None),
    ],
)
def test_only_originals_and_minutes_state_the_hash_of_their_own_bytes(
    key: str, stated: str | None
) -> None:
    assert stated_sha256(key) == stated
