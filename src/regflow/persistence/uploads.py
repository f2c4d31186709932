"""Uploaded files' records: claimed once by an organization, swept when they expire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.uploads import Upload
from regflow.persistence.tables import uploads as t


def _row(m: Any) -> Upload:
    return Upload(
        key=m["key"],
        kind=m["kind"],
        file_name=m["file_name"],
        content_type=m["content_type"],
        size=m["size"],
        width=m["width"],
        height=m["height"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        claimed_at=m["claimed_at"],
        organization_id=m["organization_id"],
    )


class SqlUploads:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, u: Upload) -> None:
        await self._conn.execute(
            insert(t).values(
                key=u.key,
                kind=u.kind,
                file_name=u.file_name,
                content_type=u.content_type,
                size=u.size,
                width=u.width,
                height=u.height,
                created_at=u.created_at,
                expires_at=u.expires_at,
                claimed_at=u.claimed_at,
                organization_id=u.organization_id,
            )
        )

    async def get(self, key: str) -> Upload | None:
        row = (await self._conn.execute(select(t).where(t.c.key == key))).first()
        return _row(row._mapping) if row else None

    async def claim(self, key: str, organization_id: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(t)
            .where(t.c.key == key, t.c.claimed_at.is_(None), t.c.expires_at > now)
            .values(claimed_at=now, organization_id=organization_id)
        )
        return result.rowcount == 1

    async def expired(self, now: datetime, limit: int) -> list[Upload]:
        rows = await self._conn.execute(
            select(t)
            .where(t.c.claimed_at.is_(None), t.c.expires_at <= now)
            .order_by(t.c.expires_at)
            .limit(limit)
        )
        return [_row(r._mapping) for r in rows]

    async def delete(self, key: str) -> bool:
        result = await self._conn.execute(delete(t).where(t.c.key == key, t.c.claimed_at.is_(None)))
        return result.rowcount == 1
