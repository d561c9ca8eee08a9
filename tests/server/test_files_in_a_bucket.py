"""With SPOTCHECK_STORAGE_URL set, a real `spotcheck serve` keeps evidence files and minutes in
the bucket (moto's S3 server here, MinIO in compose) and nothing in its media directory: uploads
through the phone API land in the bucket and download back, signed minutes are stored there and
served from there, and the minutes' PDF embeds the evidence photos read from the bucket (the PDF
render processes read no storage themselves)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader

from server.core.errors import ServiceUnavailable
from server.core.scopes import Principal, Role
from server.core.settings import Settings
from server.evidence import services as evidence_service
from server.evidence.tables import Evidence
from tests.conftest import TEST_SECRET, World
from tests.helpers import photo_bytes, run_to_signed, sha256_hex
from tests.live_server import ServerProcess, serving
from tests.s3_peer import S3Peer
from tests.server.peers import free_port

PREFIX = "province/media"
# What run_to_signed uploads: three photos (one per colour), and one signature image.
PHOTOS = [photo_bytes((i * 40, 10, 10)) for i in range(3)]
SIGNATURE = photo_bytes((0, 0, 0), (120, 40))


@pytest.fixture(scope="module")
def bucket(s3_server: S3Peer) -> str:
    return s3_server.new_bucket()


@pytest.fixture(scope="module")
def server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, s3_server: S3Peer, bucket: str
) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("bucket-server")
    with serving(
        database_url,
        workdir,
        # The tests empty the tables between them; no sealer may be chaining meanwhile.
        SPOTCHECK_AUDIT_SEAL_INTERVAL_SECONDS="0",
        **s3_server.settings_env(bucket, PREFIX),
    ) as running:
        yield running
    media = workdir / "media"
    assert not media.exists() or not [path for path in media.rglob("*") if path.is_file()]


@pytest.fixture
async def live(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        yield client


def key(kind: str, digest: str, suffix: str = "") -> str:
    return f"{PREFIX}/{kind}/{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


def media_files(server: ServerProcess) -> list[Path]:
    media = Path(server.env["SPOTCHECK_MEDIA_DIR"])
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


async def test_uploaded_evidence_lands_in_the_bucket_and_downloads_back(
    live: httpx.AsyncClient, world: World, server: ServerProcess, s3_server: S3Peer, bucket: str
) -> None:
    await run_to_signed(live, world, "C1", {"C1"})  # the phone uploads its photos over HTTP
    photo = PHOTOS[0]  # cited by every answer (the others only where an item asks for more)
    digest = sha256_hex(photo)

    keys = s3_server.keys(bucket)
    assert key("originals", digest) in keys
    assert key("derivatives", digest, ".jpg") in keys
    assert s3_server.read(bucket, key("originals", digest)) == photo
    assert media_files(server) == []

    leader = await world.login(live, "leader_d1")
    original = await live.get(f"/api/v1/evidence/{digest}?variant=original", headers=leader)
    assert original.status_code == 200, original.text
    assert original.content == photo
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["content-length"] == str(len(photo))
    screen = await live.get(f"/api/v1/evidence/{digest}", headers=leader)
    assert screen.status_code == 200, screen.text
    assert screen.content == s3_server.read(bucket, key("derivatives", digest, ".jpg"))


async def test_signed_minutes_are_stored_in_the_bucket_and_served_from_it(
    live: httpx.AsyncClient, world: World, server: ServerProcess, s3_server: S3Peer, bucket: str
) -> None:
    inspection_id = await run_to_signed(live, world, "C1", {"A5"})
    leader = await world.login(live, "leader_d1")
    path = f"/api/v1/inspections/{inspection_id}/minutes.pdf"

    first = await live.get(path, headers=leader)
    assert first.status_code == 200, first.text
    stored_key = key("minutes", sha256_hex(first.content), ".pdf")
    assert s3_server.read(bucket, stored_key) == first.content
    assert media_files(server) == []

    # Swap the stored object behind the server's back: what it serves next is the bucket's
    # object (not a local copy, not a new rendering).
    replaced = first.content.replace(b"%PDF", b"%PDF", 1) + b"\n% read back from the bucket\n"
    s3_server.client().put_object(Bucket=bucket, Key=stored_key, Body=replaced)
    again = await live.get(path, headers=leader)
    assert again.status_code == 200, again.text
    assert again.content == replaced


async def test_the_minutes_embed_the_evidence_photos_read_from_the_bucket(
    live: httpx.AsyncClient, world: World, server: ServerProcess
) -> None:
    inspection_id = await run_to_signed(live, world, "C2", {"C1"})
    leader = await world.login(live, "leader_d1")

    response = await live.get(f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=leader)

    assert response.status_code == 200, response.text
    embedded = [
        image.image
        for page in PdfReader(io.BytesIO(response.content)).pages
        for image in page.images
    ]
    sizes = {picture.size for picture in embedded if picture is not None}
    assert (120, 40) in sizes  # the signatures
    assert (64, 48) in sizes  # the annexed photos
    colours = {
        picture.convert("RGB").getpixel((32, 24))
        for picture in embedded
        if picture is not None and picture.size == (64, 48)
    }
    expected = [Image.open(io.BytesIO(photo)).convert("RGB").getpixel((32, 24)) for photo in PHOTOS]
    # The photos' own colours, give or take JPEG's rounding in the downscaled copy.
    assert any(
        max(abs(a - b) for a, b in zip(seen, wanted, strict=True)) <= 4
        for seen in colours
        for wanted in expected
    ), (colours, expected)
    assert media_files(server) == []


async def test_an_upload_the_bucket_cannot_take_is_a_503_and_leaves_no_row(
    world: World, tmp_path: Path
) -> None:
    unreachable = Settings(
        environment="test",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        media_dir=tmp_path,
        storage_url="s3://spotcheck/nowhere",
        storage_endpoint_url=f"http://127.0.0.1:{free_port()}",
        storage_access_key_id="key",
        storage_secret_access_key="secret",  # type: ignore[arg-type]
    )
    photo = photo_bytes((7, 7, 7))
    inspector = Principal(
        user_id=world.users["inspector"],
        username="inspector",
        role=Role.inspector,
        home_unit_id=world.units["D1"],
        home_unit_path=f"/{uuid4()}/",
    )

    with pytest.raises(ServiceUnavailable):
        await evidence_service.store(
            sha256=sha256_hex(photo), data=photo, principal=inspector, settings=unreachable
        )

    assert await Evidence.select().where(Evidence.sha256 == sha256_hex(photo)).first() is None
    assert list(tmp_path.rglob("*")) == []
