"""Evidence files: type sniffing, size and pixel-bomb guards, EXIF metadata, derivatives."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from server.evidence.files import (
    CorruptEvidence,
    EvidenceRejected,
    EvidenceTooLarge,
    ImageTooLarge,
    UnsupportedMediaType,
    inspect_evidence,
    make_derivative,
    sniff_media_type,
)

MAX_BYTES = 5_000_000
MAX_PIXELS = 40_000_000
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
HANOI = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")


def encode_image(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def plain_jpeg(width: int = 64, height: int = 48, color: str = "green") -> bytes:
    return encode_image(Image.new("RGB", (width, height), color), "JPEG")


def geotagged_jpeg(
    *,
    latitude_reference: str = "N",
    longitude_reference: str = "E",
    offset: str | None = "+07:00",
    orientation: int | None = None,
) -> bytes:
    """A photo as a phone writes it: capture time, offset and position in EXIF."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = "2025:03:14 09:26:53"
    if offset is not None:
        exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps_ifd[ExifTags.GPS.GPSLatitudeRef] = latitude_reference
    gps_ifd[ExifTags.GPS.GPSLatitude] = (21.0, 1.0, 30.5)  # 21°01'30.5"
    gps_ifd[ExifTags.GPS.GPSLongitudeRef] = longitude_reference
    gps_ifd[ExifTags.GPS.GPSLongitude] = (105.0, 51.0, 17.2)  # 105°51'17.2"
    return encode_image(Image.new("RGB", (120, 80), "orange"), "JPEG", exif=exif)


def png_chunk(chunk_type: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + payload)
    return struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header announcing a huge canvas, with no pixel data at all."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to announce another size."""
    data = bytearray(plain_jpeg())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended-format (VP8X) WebP header announcing a huge canvas."""
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + canvas
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def inspect(data: bytes, **limits: int) -> Any:
    return inspect_evidence(
        data,
        max_bytes=limits.get("max_bytes", MAX_BYTES),
        max_pixels=limits.get("max_pixels", MAX_PIXELS),
    )


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (plain_jpeg(), "image/jpeg"),
        (encode_image(Image.new("RGB", (4, 4)), "PNG"), "image/png"),
        (encode_image(Image.new("RGB", (4, 4)), "WEBP"), "image/webp"),
        (MINIMAL_PDF, "application/pdf"),
        (encode_image(Image.new("P", (4, 4)), "GIF"), None),
        (b"Bien ban kiem tra", None),
        (b"", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    ],
)
def test_sniff_media_type_uses_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_media_type(data) == expected


# --- inspect: accepted files ---------------------------------------------------------------------


def test_jpeg_with_exif_time_and_position() -> None:
    data = geotagged_jpeg()

    info = inspect(data)

    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert info.media_type == "image/jpeg"
    assert (info.width, info.height) == (120, 80)
    assert info.exif_taken_at == dt.datetime(2025, 3, 14, 9, 26, 53, tzinfo=HANOI)
    assert info.exif_taken_at.utcoffset() == dt.timedelta(hours=7)
    assert info.exif_time_is_local is False
    assert info.taken_at_utc(dt.UTC) == dt.datetime(2025, 3, 14, 2, 26, 53, tzinfo=dt.UTC)
    assert info.exif_latitude == pytest.approx(21 + 1 / 60 + 30.5 / 3600, abs=1e-6)
    assert info.exif_longitude == pytest.approx(105 + 51 / 60 + 17.2 / 3600, abs=1e-6)


def test_southern_and_western_positions_are_negative() -> None:
    info = inspect(geotagged_jpeg(latitude_reference="S", longitude_reference="W"))
    assert info.exif_latitude == pytest.approx(-21.0251389, abs=1e-6)
    assert info.exif_longitude == pytest.approx(-105.8547778, abs=1e-6)


def test_capture_time_without_offset_is_flagged_local() -> None:
    info = inspect(geotagged_jpeg(offset=None))

    assert info.exif_taken_at == dt.datetime(2025, 3, 14, 9, 26, 53)
    assert info.exif_taken_at.tzinfo is None
    assert info.exif_time_is_local is True
    # The caller supplies the unit's zone to turn it into a storable instant.
    assert info.taken_at_utc(HANOI) == dt.datetime(2025, 3, 14, 2, 26, 53, tzinfo=dt.UTC)


def test_photo_without_exif_has_no_metadata() -> None:
    info = inspect(plain_jpeg(30, 20))
    assert (info.width, info.height) == (30, 20)
    assert info.exif_taken_at is None
    assert info.exif_time_is_local is False
    assert info.exif_latitude is None and info.exif_longitude is None


def test_dimensions_are_reported_upright() -> None:
    info = inspect(geotagged_jpeg(orientation=6))
    assert (info.width, info.height) == (80, 120)


def test_png_and_webp_are_accepted() -> None:
    png = inspect(encode_image(Image.new("RGBA", (33, 17), (0, 0, 0, 0)), "PNG"))
    webp = inspect(encode_image(Image.new("RGB", (40, 25), "blue"), "WEBP", quality=80))
    lossless_webp = inspect(encode_image(Image.new("RGB", (41, 26), "red"), "WEBP", lossless=True))

    assert (png.media_type, png.width, png.height) == ("image/png", 33, 17)
    assert (webp.media_type, webp.width, webp.height) == ("image/webp", 40, 25)
    assert (lossless_webp.width, lossless_webp.height) == (41, 26)


def test_pdf_is_accepted_without_dimensions() -> None:
    info = inspect(MINIMAL_PDF)
    assert info.media_type == "application/pdf"
    assert info.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert info.width is None and info.height is None
    assert info.exif_taken_at is None and info.exif_latitude is None


# --- inspect: refused files ----------------------------------------------------------------------


def test_gif_is_refused_and_named() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        inspect(encode_image(Image.new("P", (4, 4)), "GIF"))
    assert refused.value.detected == "image/gif"
    assert "JPEG, PNG or WebP" in str(refused.value)


def test_text_is_refused() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        inspect("Biên bản kiểm tra".encode())
    assert refused.value.detected is None


def test_too_many_bytes_are_refused_before_anything_else() -> None:
    with pytest.raises(EvidenceTooLarge) as refused:
        inspect(b"\x00" * 1001, max_bytes=1000)
    assert (refused.value.size, refused.value.limit) == (1001, 1000)
    assert inspect(MINIMAL_PDF, max_bytes=len(MINIMAL_PDF)).size == len(MINIMAL_PDF)


@pytest.mark.parametrize(
    "bomb",
    [png_claiming(100_000, 100_000), jpeg_claiming(60_000, 60_000), webp_claiming(16_000, 16_000)],
    ids=["png", "jpeg", "webp"],
)
def test_pixel_bombs_are_refused_before_pillow_sees_them(
    bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse_to_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow must not be asked to open a pixel bomb")

    monkeypatch.setattr(Image, "open", refuse_to_open)
    with pytest.raises(ImageTooLarge) as refused:
        inspect(bomb)
    assert refused.value.width * refused.value.height > MAX_PIXELS
    assert refused.value.limit == MAX_PIXELS
    with pytest.raises(ImageTooLarge):
        make_derivative(bomb, max_pixels=MAX_PIXELS)


def test_png_bomb_names_its_claimed_size() -> None:
    with pytest.raises(ImageTooLarge) as refused:
        inspect(png_claiming(100_000, 100_000))
    assert (refused.value.width, refused.value.height) == (100_000, 100_000)
    assert "100000 × 100000" in str(refused.value)


def test_real_image_over_the_pixel_limit_is_refused() -> None:
    with pytest.raises(ImageTooLarge) as refused:
        inspect(plain_jpeg(100, 100), max_pixels=9_999)
    assert (refused.value.width, refused.value.height, refused.value.limit) == (100, 100, 9_999)
    assert inspect(plain_jpeg(100, 100), max_pixels=10_000).width == 100


def test_pillows_own_limit_applies_when_lower(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)
    with pytest.raises(ImageTooLarge) as refused:
        inspect(plain_jpeg(100, 100))
    assert refused.value.limit == 5_000


def test_pillows_decompression_bomb_error_becomes_image_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def bomb_error(*args: object, **kwargs: object) -> None:
        raise Image.DecompressionBombError("Image size exceeds limit")

    monkeypatch.setattr(Image, "open", bomb_error)
    with pytest.raises(ImageTooLarge):
        inspect(plain_jpeg())


def test_truncated_jpeg_is_corrupt() -> None:
    photo = encode_image(Image.effect_noise((300, 200), 60).convert("RGB"), "JPEG")
    with pytest.raises(CorruptEvidence):
        inspect(photo[: len(photo) // 2])
    with pytest.raises(CorruptEvidence):
        make_derivative(photo[: len(photo) // 2])


@pytest.mark.parametrize(
    "broken",
    [
        png_claiming(50, 50),  # header only, no pixel data
        b"\x89PNG\r\n\x1a\n",  # signature only
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # JPEG without a frame header
        b"RIFF\x10\x00\x00\x00WEBPVP8 ",  # WebP without a bitstream
    ],
    ids=["png-without-data", "png-signature", "jpeg-header", "webp-header"],
)
def test_images_that_do_not_decode_are_corrupt(broken: bytes) -> None:
    with pytest.raises(CorruptEvidence):
        inspect(broken)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(
        [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", b"RIFF\x00\x00\x00\x00WEBP"]
    ),
    body=st.binary(max_size=300),
)
def test_garbage_behind_image_magic_is_refused_cleanly(prefix: bytes, body: bytes) -> None:
    """Whatever arrives, the only outcomes are a result or one of our refusals."""
    try:
        inspect(prefix + body)
    except EvidenceRejected:
        pass


# --- derivatives ---------------------------------------------------------------------------------


def open_jpeg(data: bytes | None) -> Image.Image:
    assert data is not None
    assert sniff_media_type(data) == "image/jpeg"
    return Image.open(io.BytesIO(data))


def test_derivative_is_downscaled_to_the_longest_side() -> None:
    derivative = open_jpeg(make_derivative(plain_jpeg(4000, 3000), max_side=1600))
    assert derivative.size == (1600, 1200)


def test_derivative_never_upscales() -> None:
    derivative = open_jpeg(make_derivative(plain_jpeg(800, 600), max_side=1600))
    assert derivative.size == (800, 600)


def test_derivative_strips_exif_and_applies_orientation() -> None:
    # Left half red, right half blue; orientation 6 means "turn 90° clockwise to display".
    source = Image.new("RGB", (200, 100), "blue")
    source.paste((255, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (21.0, 1.0, 30.5)
    data = encode_image(source, "JPEG", exif=exif, quality=95)
    assert b"Exif" in data

    derivative_bytes = make_derivative(data, max_side=1600)
    derivative = open_jpeg(derivative_bytes)

    assert derivative_bytes is not None and b"Exif" not in derivative_bytes
    assert len(derivative.getexif()) == 0
    assert derivative.size == (100, 200)
    top_red, _, top_blue = derivative.getpixel((50, 30))  # type: ignore[misc]
    bottom_red, _, bottom_blue = derivative.getpixel((50, 170))  # type: ignore[misc]
    assert top_red > 200 and top_blue < 60
    assert bottom_blue > 200 and bottom_red < 60


def test_derivative_of_geotagged_photo_has_no_position() -> None:
    derivative_bytes = make_derivative(geotagged_jpeg())
    assert derivative_bytes is not None
    assert inspect(derivative_bytes).exif_latitude is None
    assert inspect(derivative_bytes).exif_taken_at is None


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA"])
def test_transparency_becomes_white(mode: str) -> None:
    transparent = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    if mode == "P":
        source = transparent.convert("P")
        source.info["transparency"] = 0
    else:
        source = transparent.convert(mode)
    derivative = open_jpeg(make_derivative(encode_image(source, "PNG")))

    assert derivative.mode == "RGB"
    assert derivative.size == (50, 40)
    assert all(channel > 245 for channel in derivative.getpixel((25, 20)))  # type: ignore[union-attr]


def test_sixteen_bit_grayscale_keeps_its_tone() -> None:
    source = Image.new("I;16", (20, 10), 40_000)  # about 61 % grey
    derivative = open_jpeg(make_derivative(encode_image(source, "PNG")))
    assert derivative.getpixel((5, 5)) == pytest.approx(40_000 / 256, abs=3)


def test_derivative_of_webp_is_jpeg() -> None:
    webp = encode_image(Image.new("RGB", (3000, 1000), "blue"), "WEBP")
    assert open_jpeg(make_derivative(webp, max_side=600)).size == (600, 200)


def test_pdf_has_no_derivative() -> None:
    assert make_derivative(MINIMAL_PDF) is None


def test_derivative_refuses_unsupported_files_and_bad_options() -> None:
    with pytest.raises(UnsupportedMediaType):
        make_derivative(b"GIF89a...")
    with pytest.raises(ValueError):
        make_derivative(plain_jpeg(), max_side=0)
    with pytest.raises(ValueError):
        make_derivative(plain_jpeg(), quality=0)
