"""PillowImages: header checks before decoding, and clean re-encoded copies."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from regflow.core.uploads import ImageKind, sniff
from regflow.errors import ValidationFailed
from regflow.media.images import PillowImages
from support.images import HTML_PAYLOAD, SVG, gif, jpeg_with_exif, png, png_header


@pytest.fixture
def images() -> PillowImages:
    return PillowImages()


def code(failure: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return failure.value.problems[0].code


async def test_png_with_appended_html_comes_back_without_it(images: PillowImages) -> None:
    dirty = png(64, 32) + HTML_PAYLOAD
    clean = await images.sanitize(dirty, sniff(dirty))
    assert clean.content_type == "image/png" and clean.extension == "png"
    assert (clean.width, clean.height) == (64, 32)
    assert b"<html" not in clean.data and b"script" not in clean.data
    assert clean.data.endswith(b"IEND\xaeB`\x82")  # nothing after the PNG's last chunk
    with Image.open(io.BytesIO(clean.data)) as decoded:
        assert decoded.size == (64, 32) and decoded.getpixel((0, 0)) == (200, 30, 30, 255)


async def test_jpeg_loses_exif_and_comments_but_stays_upright(images: PillowImages) -> None:
    dirty = jpeg_with_exif(40, 20)
    assert b"SecretCam" in dirty and b"private comment" in dirty
    clean = await images.sanitize(dirty, ImageKind.JPEG)
    assert clean.content_type == "image/jpeg"
    assert b"SecretCam" not in clean.data and b"private comment" not in clean.data
    assert b"Exif" not in clean.data
    assert (clean.width, clean.height) == (20, 40)  # the orientation was applied, then dropped


async def test_gif_becomes_a_png_of_its_first_frame(images: PillowImages) -> None:
    clean = await images.sanitize(gif(), ImageKind.GIF)
    assert clean.content_type == "image/png" and (clean.width, clean.height) == (16, 16)


@pytest.mark.parametrize("size", [(50_000, 50_000), (5000, 10), (4097, 4097), (0, 10)])
async def test_dimensions_are_refused_from_the_header(
    images: PillowImages, size: tuple[int, int]
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        await images.sanitize(png_header(*size), ImageKind.PNG)
    assert code(failed) in {"IMAGE_DIMENSIONS_TOO_LARGE", "IMAGE_INVALID"}
    if size != (0, 10):
        assert code(failed) == "IMAGE_DIMENSIONS_TOO_LARGE"


async def test_damaged_files_are_refused(images: PillowImages) -> None:
    whole = png(32, 32)
    for broken, kind in (
        (whole[: len(whole) // 2], ImageKind.PNG),
        (b"\xff\xd8\xff" + b"\x00" * 100, ImageKind.JPEG),
        (b"GIF89a" + b"\x01" * 5, ImageKind.GIF),
        (whole, ImageKind.JPEG),  # only the sniffed format is tried
    ):
        with pytest.raises(ValidationFailed) as failed:
            await images.sanitize(broken, kind)
        assert code(failed) == "IMAGE_INVALID"


def test_type_comes_from_magic_bytes_only() -> None:
    assert sniff(png()) is ImageKind.PNG
    assert sniff(jpeg_with_exif()) is ImageKind.JPEG
    assert sniff(gif()) is ImageKind.GIF
    for not_an_image in (SVG, b"just text, named logo.png", b"", b"<svg></svg>"):
        with pytest.raises(ValidationFailed) as failed:
            sniff(not_an_image)
        assert code(failed) == "IMAGE_TYPE_UNSUPPORTED"
