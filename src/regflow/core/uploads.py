"""Uploaded logos: what is accepted, and the record kept of each.

The type is decided by the file's first bytes, never by its name or declared
content type: JPEG, PNG and GIF only (no SVG: it is a document that can carry
script). The bytes are then re-encoded by an ``ImageSanitizer`` adapter, which
drops metadata and anything appended after the image, and stored under a
server-chosen name: the random upload key plus the extension of the format
written. The key is handed back to the uploader as the temporary reference
that a registration's ``logo`` field carries; completion claims it for the new
organization. Unclaimed uploads expire.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from regflow.core import cryptokit
from regflow.errors import ErrorCode, ValidationFailed

UPLOAD_KEY_BYTES = 24
UPLOAD_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


class ImageKind(enum.StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    GIF = "gif"


_MAGIC: tuple[tuple[bytes, ImageKind], ...] = (
    (b"\xff\xd8\xff", ImageKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", ImageKind.PNG),
    (b"GIF87a", ImageKind.GIF),
    (b"GIF89a", ImageKind.GIF),
)


@dataclass(frozen=True)
class SanitizedImage:
    """Re-encoded image bytes, ready to store and serve."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass
class Upload:
    key: str
    kind: str  # what it is for: "logo"
    file_name: str
    content_type: str
    size: int
    width: int
    height: int
    created_at: datetime
    expires_at: datetime
    claimed_at: datetime | None = None
    organization_id: str | None = None

    def available(self, now: datetime) -> bool:
        """Claimable: not claimed yet and not expired."""
        return self.claimed_at is None and now < self.expires_at

    def visible(self, now: datetime) -> bool:
        """Servable: claimed by an organization, or still waiting for its registration."""
        return self.claimed_at is not None or now < self.expires_at


def sniff(head: bytes) -> ImageKind:
    """The image kind of a file by its first bytes; ``IMAGE_TYPE_UNSUPPORTED`` otherwise."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    raise ValidationFailed.single(
        "logo",
        ErrorCode.IMAGE_TYPE_UNSUPPORTED,
        "Upload a JPEG, PNG or GIF image (SVG is not accepted).",
    )


def new_key() -> str:
    """A random upload key: 24 bytes from ``secrets``, URL- and file-name-safe (32 chars)."""
    return cryptokit.new_token(UPLOAD_KEY_BYTES)


def is_key(value: str) -> bool:
    return UPLOAD_KEY_PATTERN.fullmatch(value) is not None
