"""Verification challenges: attempts counted and codes consumed atomically in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import Channel, Verification
from regflow.persistence.tables import verifications as t


def _row(m: Any) -> Verification:
    return Verification(
        id=m["id"],
        registration_id=m["registration_id"],
        channel=Channel(m["channel"]),
        target=m["target"],
        code_hmac=m["code_hmac"],
        link_hash=m["link_hash"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        resend_available_at=m["resend_available_at"],
        attempts=m["attempts"],
        sends=m["sends"],
        consumed_at=m["consumed_at"],
    )


class SqlVerifications:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, v: Verification) -> None:
        await self._conn.execute(
            insert(t).values(
                id=v.id,
                registration_id=v.registration_id,
                channel=v.channel.value,
                target=v.target,
                code_hmac=v.code_hmac,
                link_hash=v.link_hash,
                created_at=v.created_at,
                expires_at=v.expires_at,
                resend_available_at=v.resend_available_at,
                attempts=v.attempts,
                sends=v.sends,
                consumed_at=v.consumed_at,
            )
        )

    async def get_current(self, registration_id: str, channel: Channel) -> Verification | None:
        row = (
            await self._conn.execute(
                select(t)
                .where(t.c.registration_id == registration_id, t.c.channel == channel.value)
                .order_by(t.c.created_at.desc())
                .limit(1)
            )
        ).first()
        return _row(row._mapping) if row else None

    async def get_by_link(self, link_hash: str) -> Verification | None:
        row = (await self._conn.execute(select(t).where(t.c.link_hash == link_hash))).first()
        return _row(row._mapping) if row else None

    async def reissue(self, v: Verification) -> None:
        # attempts are deliberately not written: resending never resets the failure count
        await self._conn.execute(
            update(t)
            .where(t.c.id == v.id)
            .values(
                code_hmac=v.code_hmac,
                link_hash=v.link_hash,
                created_at=v.created_at,
                expires_at=v.expires_at,
                resend_available_at=v.resend_available_at,
                sends=t.c.sends + 1,
                consumed_at=None,
            )
        )

    async def count_attempt(
        self, verification_id: str, max_attempts: int, *, used: bool = False
    ) -> int | None:
        unused = [] if used else [t.c.consumed_at.is_(None)]
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == verification_id, t.c.attempts < max_attempts, *unused)
            .values(attempts=t.c.attempts + 1)
            .returning(t.c.attempts)
        )
        row = result.first()
        return int(row[0]) if row else None

    async def consume(self, verification_id: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == verification_id, t.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        return result.rowcount == 1

    async def delete_for(self, registration_id: str, channel: Channel) -> None:
        await self._conn.execute(
            delete(t).where(t.c.registration_id == registration_id, t.c.channel == channel.value)
        )
