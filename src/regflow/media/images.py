"""Re-encoding uploaded images with Pillow: header checks first, then a clean copy.

``Image.open`` reads only the header, so the dimensions are checked before a
single pixel is decoded: past ``max_side`` on either side the image is refused
(``IMAGE_DIMENSIONS_TOO_LARGE``), and Pillow's own decompression-bomb guard is
set to the same bound (``Image.MAX_IMAGE_PIXELS``, process-wide). Only the
format the magic bytes named is tried. The decoded image is then written anew:
EXIF orientation applied, then every metadata block (EXIF, ICC, text chunks,
comments) dropped, and nothing that followed the image data in the upload (an
appended HTML page, a ZIP) survives. JPEG stays JPEG; PNG and GIF (first
frame) become PNG. Decoding runs in threads, a few at a time, so a burst of
uploads cannot take all memory (a 4096x4096 RGBA image is 64 MiB decoded).
"""

from __future__ import annotations

import asyncio
import io
import struct

from PIL import Image, ImageOps

from regflow.core.uploads import ImageKind, SanitizedImage
from regflow.errors import ErrorCode, ValidationFailed

MAX_SIDE = 4096
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE

_FORMATS = {ImageKind.JPEG: "JPEG", ImageKind.PNG: "PNG", ImageKind.GIF: "GIF"}
# What Pillow raises on a truncated or malformed file, depending on the decoder.
_BROKEN = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
)


def _too_large(max_side: int) -> ValidationFailed:
    message = f"The image must be at most {max_side}x{max_side} pixels."
    return ValidationFailed.single("logo", ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE, message)


def _broken() -> ValidationFailed:
    return ValidationFailed.single("logo", ErrorCode.IMAGE_INVALID, "The image file is damaged.")


class PillowImages:
    """The ``ImageSanitizer`` port, with Pillow."""

    def __init__(self, *, max_side: int = MAX_SIDE, concurrency: int = 2) -> None:
        self.max_side = max_side
        self._slots = asyncio.Semaphore(concurrency)

    async def sanitize(self, data: bytes, kind: ImageKind) -> SanitizedImage:
        async with self._slots:
            return await asyncio.to_thread(self._sanitize, data, kind)

    def _sanitize(self, data: bytes, kind: ImageKind) -> SanitizedImage:
        try:
            with Image.open(io.BytesIO(data), formats=[_FORMATS[kind]]) as image:
                width, height = image.size  # from the header: nothing decoded yet
                if not (0 < width <= self.max_side and 0 < height <= self.max_side):
                    raise _too_large(self.max_side)
                image.load()
                return self._encode(image, kind)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(self.max_side) from None
        except ValidationFailed:
            raise
        except _BROKEN:
            raise _broken() from None

    def _encode(self, image: Image.Image, kind: ImageKind) -> SanitizedImage:
        upright = ImageOps.exif_transpose(image)  # a copy: keeps photos the right way up
        transparency = upright.info.get("transparency")
        upright.info = {"transparency": transparency} if transparency is not None else {}
        out = io.BytesIO()
        if kind is ImageKind.JPEG:
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            upright.save(out, format="JPEG", quality=90, optimize=True)
            content_type, extension = "image/jpeg", "jpg"
        else:
            if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                upright = upright.convert("RGBA")
            upright.save(out, format="PNG", optimize=True)
            content_type, extension = "image/png", "png"
        return SanitizedImage(out.getvalue(), content_type, extension, *upright.size)
