"""PUT /mobile/v1/evidence/{sha256} over HTTP: content-addressed, idempotent, checked before
anything is written, with EXIF location recorded and a derivative made for images only."""

from __future__ import annotations

import io
import os
import stat
import struct
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image, ImageFile

from server.core.settings import Settings
from server.evidence.tables import Evidence
from tests.conftest import World, problem_detail
from tests.helpers import sha256_hex


async def login(client: httpx.AsyncClient, world: World, name: str = "inspector") -> dict[str, str]:
    """Log in once per user and test: Argon2 makes every login cost real time."""
    cache: dict[str, dict[str, str]] = world.__dict__.setdefault("_headers", {})
    if name not in cache:
        cache[name] = await world.login(client, name)
    return cache[name]


def unique_jpeg(size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    """Random pixels, so no other test (the media directory lives for the session) has it."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, **save)
    return buffer.getvalue()


def geotagged_jpeg() -> bytes:
    """As a phone writes it: capture time with offset, and the position, in EXIF."""
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = "2025:03:14 09:26:53"
    exif_ifd[ExifTags.Base.OffsetTimeOriginal] = "+07:00"
    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps_ifd[ExifTags.GPS.GPSLatitude] = (21.0, 1.0, 30.5)  # 21°01'30.5"
    gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps_ifd[ExifTags.GPS.GPSLongitude] = (105.0, 51.0, 17.2)  # 105°51'17.2"
    return unique_jpeg((2400, 1200), exif=exif)


def unique_pdf() -> bytes:
    return (
        b"%PDF-1.4\n%" + uuid.uuid4().hex.encode() + b"\n"
        b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header announcing a huge canvas, with no pixel data: a decompression bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    salt = chunk(b"tEXt", b"Comment\x00" + uuid.uuid4().hex.encode())
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + salt + chunk(b"IEND", b"")


def files_under(media_dir: Path) -> list[Path]:
    return sorted(path for path in media_dir.rglob("*") if path.is_file())


def named(media_dir: Path, *digests: str) -> list[Path]:
    return [path for path in files_under(media_dir) if any(d in path.name for d in digests)]


async def put(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None,
    data: bytes,
    digest: str | None = None,
) -> httpx.Response:
    return await client.put(
        f"/mobile/v1/evidence/{digest or sha256_hex(data)}", content=data, headers=headers or {}
    )


async def evidence_row(digest: str) -> dict[str, Any] | None:
    return await Evidence.select().where(Evidence.sha256 == digest).first()


async def assert_refused(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    data: bytes,
    status: int,
    *expected: str,
) -> None:
    """Refused with a clear detail, and neither a row nor a file was written."""
    before = files_under(settings.media_dir)
    response = await put(client, await login(client, world), data)
    assert response.status_code == status, response.text
    detail = problem_detail(response)
    for fragment in expected:
        assert fragment in detail, detail
    assert await evidence_row(sha256_hex(data)) is None
    assert files_under(settings.media_dir) == before


# --- accepted uploads -------------------------------------------------------------------------------


async def test_photo_is_stored_once_and_a_second_upload_is_a_no_op(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    headers = await login(client, world)
    photo = unique_jpeg((64, 48))
    digest = sha256_hex(photo)
    before = files_under(settings.media_dir)

    first = await put(client, headers, photo)

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["stored"] is True
    assert (body["sha256"], body["media_type"], body["size_bytes"]) == (
        digest,
        "image/jpeg",
        len(photo),
    )
    assert (body["width"], body["height"]) == (64, 48)
    written = named(settings.media_dir, digest)
    assert len(written) == 2  # the original and its derivative
    assert len(files_under(settings.media_dir)) == len(before) + 2

    again = await put(client, headers, photo)

    assert again.status_code == 200, again.text
    assert again.json()["stored"] is False
    assert again.json()["uploaded_at"] == body["uploaded_at"]
    assert len(files_under(settings.media_dir)) == len(before) + 2
    assert await Evidence.count().where(Evidence.sha256 == digest) == 1


async def test_original_is_kept_byte_for_byte_and_read_only(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    photo = unique_jpeg((80, 60))
    response = await put(client, await login(client, world), photo)
    assert response.status_code == 200, response.text

    row = await evidence_row(sha256_hex(photo))
    assert row is not None
    original = settings.media_dir / row["original_path"]
    assert original.read_bytes() == photo
    # No write permission for anyone (root ignores it, so the mode is what can be checked).
    assert stat.S_IMODE(original.stat().st_mode) & 0o222 == 0, oct(original.stat().st_mode)


async def test_exif_location_lands_in_the_evidence_row_and_not_in_the_derivative(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    photo = geotagged_jpeg()
    response = await put(client, await login(client, world), photo)
    assert response.status_code == 200, response.text
    body = response.json()
    expected_latitude = 21 + 1 / 60 + 30.5 / 3600
    expected_longitude = 105 + 51 / 60 + 17.2 / 3600
    assert body["latitude"] == pytest.approx(expected_latitude, abs=1e-6)
    assert body["longitude"] == pytest.approx(expected_longitude, abs=1e-6)
    assert body["taken_at"].startswith("2025-03-14T02:26:53")  # 09:26:53 at +07:00, in UTC

    row = await evidence_row(sha256_hex(photo))
    assert row is not None
    assert row["latitude"] == pytest.approx(expected_latitude, abs=1e-6)
    assert row["longitude"] == pytest.approx(expected_longitude, abs=1e-6)

    # The derivative is a small JPEG for screens and PDFs, with the location stripped.
    assert row["derivative_path"] is not None
    with Image.open(settings.media_dir / row["derivative_path"]) as derivative:
        assert derivative.format == "JPEG"
        assert max(derivative.size) <= 1600 and derivative.size[0] > derivative.size[1]
        assert not derivative.getexif().get_ifd(ExifTags.IFD.GPSInfo)


async def test_pdf_is_stored_without_a_derivative(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    document = unique_pdf()
    response = await put(client, await login(client, world), document)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["media_type"] == "application/pdf"
    assert body["width"] is None and body["height"] is None and body["stored"] is True
    row = await evidence_row(sha256_hex(document))
    assert row is not None and row["derivative_path"] is None
    assert [path.read_bytes() for path in named(settings.media_dir, sha256_hex(document))] == [
        document
    ]


# --- refusals ---------------------------------------------------------------------------------------


async def test_body_that_does_not_match_the_url_hash_is_refused(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    headers = await login(client, world)
    announced, sent = unique_jpeg(), unique_jpeg()
    before = files_under(settings.media_dir)

    response = await put(client, headers, sent, digest=sha256_hex(announced))

    assert response.status_code == 409, response.text
    assert "Nothing was stored" in problem_detail(response)
    assert files_under(settings.media_dir) == before
    assert await evidence_row(sha256_hex(announced)) is None
    assert await evidence_row(sha256_hex(sent)) is None

    # Also when a file with the announced hash is already stored: it stays as it was.
    assert (await put(client, headers, announced)).status_code == 200
    stored = files_under(settings.media_dir)
    response = await put(client, headers, sent, digest=sha256_hex(announced))
    assert response.status_code == 409, response.text
    assert files_under(settings.media_dir) == stored
    row = await evidence_row(sha256_hex(announced))
    assert row is not None
    assert (settings.media_dir / row["original_path"]).read_bytes() == announced


@pytest.mark.parametrize(
    ("data", "named_type"),
    [
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + uuid.uuid4().bytes, "image/gif"),
        ("Biên bản kiểm tra ".encode() + uuid.uuid4().bytes, None),
    ],
    ids=["gif", "text"],
)
async def test_types_other_than_photos_and_pdf_are_refused(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    data: bytes,
    named_type: str | None,
) -> None:
    expected = ["JPEG, PNG or WebP photo or a PDF"] + ([named_type] if named_type else [])
    await assert_refused(client, world, settings, data, 415, *expected)


@pytest.fixture
def small_evidence_limit(settings: Settings) -> Iterator[int]:
    limit = 4096
    original = settings.evidence_max_bytes
    settings.evidence_max_bytes = limit
    try:
        yield limit
    finally:
        settings.evidence_max_bytes = original


async def test_file_over_the_size_limit_is_refused(
    client: httpx.AsyncClient, world: World, settings: Settings, small_evidence_limit: int
) -> None:
    big = unique_jpeg((200, 200))
    assert len(big) > small_evidence_limit
    await assert_refused(
        client, world, settings, big, 413, str(len(big)), f"at most {small_evidence_limit} bytes"
    )


async def test_file_over_the_size_limit_without_content_length_is_refused(
    client: httpx.AsyncClient, world: World, settings: Settings, small_evidence_limit: int
) -> None:
    big = unique_jpeg((200, 200))
    before = files_under(settings.media_dir)

    async def chunks():  # a streamed body: no Content-Length header to check up front
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    response = await client.put(
        f"/mobile/v1/evidence/{sha256_hex(big)}",
        content=chunks(),
        headers=await login(client, world),
    )

    assert response.status_code == 413, response.text
    assert f"at most {small_evidence_limit} bytes" in problem_detail(response)
    assert await evidence_row(sha256_hex(big)) is None
    assert files_under(settings.media_dir) == before


async def test_pixel_bomb_is_refused_before_decoding(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    bomb = png_claiming(100_000, 100_000)
    assert len(bomb) < 200
    await assert_refused(client, world, settings, bomb, 413, "100000×100000", "Nothing was stored")


def unique_png() -> bytes:
    image = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("pillow_pads_truncated_images", [False, True], ids=["strict", "padding"])
@pytest.mark.parametrize("make", [unique_jpeg, unique_png], ids=["jpeg", "png"])
async def test_truncated_photo_is_refused(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    make: Any,
    pillow_pads_truncated_images: bool,
) -> None:
    """Also when Pillow's process-wide LOAD_TRUNCATED_IMAGES is on, as WeasyPrint (the PDF
    renderer, in the same process) turns it on when imported."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pillow_pads_truncated_images)
    photo = make()
    await assert_refused(
        client,
        world,
        settings,
        photo[: len(photo) // 2],
        422,
        "The file cannot be read: ",
        "truncated",
        "Send the original file again.",
    )
    response = await put(client, await login(client, world), photo[: len(photo) // 2])
    assert problem_detail(response).count("cannot be read") == 1


@pytest.mark.parametrize(
    "path_hash", ["abc", "g" * 64, "a" * 63, "a" * 65, "0" * 63 + "-"], ids=str
)
async def test_path_that_is_not_a_sha256_is_refused(
    client: httpx.AsyncClient, world: World, settings: Settings, path_hash: str
) -> None:
    before = files_under(settings.media_dir)
    response = await put(client, await login(client, world), unique_jpeg(), digest=path_hash)
    assert response.status_code == 422, response.text
    assert "64 hex characters" in problem_detail(response)
    assert files_under(settings.media_dir) == before


async def test_upload_without_a_token_is_refused(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    photo = unique_jpeg()
    before = files_under(settings.media_dir)

    response = await put(client, None, photo)

    assert response.status_code == 401, response.text
    problem_detail(response)
    assert await evidence_row(sha256_hex(photo)) is None
    assert files_under(settings.media_dir) == before
