"""Logo uploads: checked, re-encoded, stored under a server-chosen name, claimed or swept.

An upload is refused unless its first bytes say JPEG, PNG or GIF; the image
sanitizer then checks its dimensions from the header and writes a clean copy,
which is what gets stored and served. The answer's ``key`` is what the
organization flow's ``logo`` field carries; completion claims it for the new
organization. Unclaimed uploads expire (``REGFLOW_UPLOAD_TTL_SECONDS``): each
new upload sweeps a few expired ones (rows and files), and an expired one is
never served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regflow.core import uploads
from regflow.core.ports import BlobStore, ImageSanitizer
from regflow.core.uploads import Upload
from regflow.services.context import ServiceContext

SWEEP_BATCH = 20


@dataclass(frozen=True)
class StoredLogo:
    """A logo stored and waiting for the organization that claims it by ``key``."""

    key: str
    content_type: str
    width: int
    height: int
    size: int
    url: str
    expires_at: datetime


class Uploads:
    def __init__(self, ctx: ServiceContext, images: ImageSanitizer, store: BlobStore) -> None:
        self.ctx = ctx
        self.images = images
        self.store = store

    async def logo(self, data: bytes) -> StoredLogo:
        """Store a logo; its key, type, size and when it expires unless claimed."""
        kind = uploads.sniff(data[:16])
        clean = await self.images.sanitize(data, kind)
        now = self.ctx.clock()
        key = uploads.new_key()
        upload = Upload(
            key=key,
            kind="logo",
            file_name=f"{key}.{clean.extension}",
            content_type=clean.content_type,
            size=len(clean.data),
            width=clean.width,
            height=clean.height,
            created_at=now,
            expires_at=now + self.ctx.organizations.upload_ttl,
        )
        await self.store.put(upload.file_name, clean.data)
        try:
            async with self.ctx.uow() as uow:
                await uow.uploads.add(upload)
                await uow.commit()
        except BaseException:
            await self.store.delete(upload.file_name)  # no row, no file
            raise
        await self.sweep()
        return StoredLogo(
            key=key,
            content_type=upload.content_type,
            width=upload.width,
            height=upload.height,
            size=upload.size,
            url=self.ctx.links.logo(key),
            expires_at=upload.expires_at,
        )

    async def read(self, key: str) -> tuple[Upload, bytes] | None:
        """A claimed logo, or one still waiting for its registration; None otherwise."""
        if not uploads.is_key(key):
            return None
        async with self.ctx.uow(read_only=True) as uow:
            upload = await uow.uploads.get(key)
        if upload is None or not upload.visible(self.ctx.clock()):
            return None
        data = await self.store.get(upload.file_name)
        return (upload, data) if data is not None else None

    async def sweep(self, limit: int = SWEEP_BATCH) -> int:
        """Delete up to ``limit`` expired, unclaimed uploads; how many went."""
        async with self.ctx.uow() as uow:
            expired = await uow.uploads.expired(self.ctx.clock(), limit)
            gone = [u for u in expired if await uow.uploads.delete(u.key)]
            await uow.commit()
        for upload in gone:
            await self.store.delete(upload.file_name)
        return len(gone)
