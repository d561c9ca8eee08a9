"""GET /api/v1/evidence/{sha256}: the photo a screen shows (the downscaled JPEG, or the original),
only to those who may see an inspection or a corrective action that references it; everyone else
gets the same 404 whether the file exists or not."""

from __future__ import annotations

import io
from uuid import UUID

from PIL import Image

from server.inspections.tables import Answer, Signature
from tests.conftest import World, problem_detail
from tests.helpers import photo_bytes, run_to_signed, sha256_hex, upload_evidence
from tests.server.peers import login

CACHE = "private, max-age=31536000, immutable"


def png_bytes(size: tuple[int, int] = (2400, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 160, 60)).save(buffer, "PNG")
    return buffer.getvalue()


async def get(client, headers, sha256: str, **params):
    return await client.get(f"/api/v1/evidence/{sha256}", params=params, headers=headers)


async def move(client, headers, action_id: str, to: str, **extra) -> dict:
    response = await client.post(
        f"/api/v1/actions/{action_id}/transitions", json={"to": to, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def answer_photo(inspection_id: str) -> str:
    rows = (
        await Answer.select(Answer.evidence)
        .where(Answer.inspection_id == UUID(inspection_id))
        .output(load_json=True)
    )
    return str(next(sha for row in rows for sha in row["evidence"]))


async def signature_image(inspection_id: str) -> str:
    row = (
        await Signature.select(Signature.image_sha256)
        .where(Signature.inspection_id == UUID(inspection_id))
        .first()
    )
    return str(row["image_sha256"])


async def test_screen_variant_is_a_downscaled_jpeg_and_the_original_is_byte_identical(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    leader = await login(client, world, "leader_d1")
    # A large PNG, added to the signed record in an addendum.
    original = png_bytes()
    digest = await upload_evidence(client, leader, original)
    response = await client.post(
        f"/api/v1/inspections/{inspection_id}/addenda",
        json={"text": "Ảnh bổ sung quầy tiếp nhận", "evidence": [digest]},
        headers=leader,
    )
    assert response.status_code in (200, 201), response.text

    screen = await get(client, leader, digest)
    assert screen.status_code == 200, screen.text
    assert screen.headers["content-type"] == "image/jpeg"
    assert screen.headers["cache-control"] == CACHE
    assert screen.headers["x-content-type-options"] == "nosniff"
    assert screen.headers["content-disposition"].startswith("inline")
    with Image.open(io.BytesIO(screen.content)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 1600  # the long side, downscaled from 2400

    whole = await get(client, leader, digest, variant="original")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["cache-control"] == CACHE
    assert whole.content == original
    assert sha256_hex(whole.content) == digest

    assert (await get(client, leader, digest, variant="thumbnail")).status_code in (400, 422)
    malformed = await get(client, leader, "not-a-hash")
    assert malformed.status_code == 422


async def test_who_may_see_an_inspection_sees_its_photos_and_nobody_else(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    photo = await answer_photo(inspection_id)
    signature = await signature_image(inspection_id)
    for username in ("leader_d1", "leader_p", "admin", "head_c1", "head_d1", "inspector"):
        headers = await login(client, world, username)
        for sha in (photo, signature):
            response = await get(client, headers, sha)
            assert response.status_code == 200, (username, response.text)

    # Outside the scope, not on the team, or not referenced at all: one and the same 404.
    inspector = await login(client, world, "inspector")
    unreferenced = await upload_evidence(client, inspector, photo_bytes((1, 2, 3)))
    unknown = "0" * 64
    for username in ("head_c2", "head_c3", "inspector2"):
        headers = await login(client, world, username)
        hidden = await get(client, headers, photo)
        missing = await get(client, headers, unknown)
        assert hidden.status_code == missing.status_code == 404
        assert problem_detail(hidden).replace(photo, "#") == problem_detail(missing).replace(
            unknown, "#"
        )
        assert "cache-control" not in hidden.headers or "immutable" not in hidden.headers.get(
            "cache-control", ""
        )
    # Even the uploader does not get a file that nothing they can see references.
    assert (await get(client, inspector, unreferenced)).status_code == 404


async def test_an_action_shows_its_before_and_after_photos_to_the_unit_it_was_handed_to(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"})
    before = await answer_photo(inspection_id)
    signature = await signature_image(inspection_id)
    leader = await login(client, world, "leader_d1")
    actions = await client.get(f"/api/v1/actions?inspection_id={inspection_id}", headers=leader)
    (action,) = actions.json()
    response = await client.patch(
        f"/api/v1/actions/{action['id']}/responsible-unit",
        json={"responsible_unit_id": str(world.units["C2"])},
        headers=leader,
    )
    assert response.status_code == 200, response.text

    head_c2 = await login(client, world, "head_c2")
    first_fix = await upload_evidence(client, head_c2, photo_bytes((10, 200, 10)))
    second_fix = await upload_evidence(client, head_c2, photo_bytes((10, 10, 200)))
    await move(client, head_c2, action["id"], "acknowledged")
    await move(client, head_c2, action["id"], "in_progress")
    await move(client, head_c2, action["id"], "submitted", report="Đã sửa", evidence=[first_fix])
    await move(client, leader, action["id"], "returned", comment="Chưa đủ")
    await move(client, head_c2, action["id"], "in_progress")
    detail = await move(
        client, head_c2, action["id"], "submitted", report="Đã sửa lại", evidence=[second_fix]
    )
    assert detail["evidence"] == [second_fix]  # the first fix is only in the history now
    assert detail["finding_evidence"] == [before]

    # The unit it was handed to sees the before, the after and the earlier after, but not the
    # rest of an inspection of another unit.
    for sha in (before, first_fix, second_fix):
        assert (await get(client, head_c2, sha)).status_code == 200, sha
    assert (await get(client, head_c2, signature)).status_code == 404
    # The inspected unit and the team see everything; a unit with neither sees nothing.
    for username in ("head_c1", "inspector", "leader_d1"):
        headers = await login(client, world, username)
        for sha in (before, first_fix, second_fix, signature):
            assert (await get(client, headers, sha)).status_code == 200, (username, sha)
    head_c3 = await login(client, world, "head_c3")
    for sha in (before, first_fix, second_fix, signature):
        assert (await get(client, head_c3, sha)).status_code == 404
