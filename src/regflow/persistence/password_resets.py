"""Password reset challenges: attempts counted and challenges consumed atomically in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.recovery import PasswordReset
from regflow.persistence.tables import password_resets as t


def _row(m: Any) -> PasswordReset:
    return PasswordReset(
        id=m["id"],
        email_key=m["email_key"],
        account_id=m["account_id"],
        code_hmac=m["code_hmac"],
        link_hash=m["link_hash"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        resend_available_at=m["resend_available_at"],
        attempts=m["attempts"],
        consumed_at=m["consumed_at"],
    )


def _values(r: PasswordReset) -> dict[str, Any]:
    return {
        "account_id": r.account_id,
        "code_hmac": r.code_hmac,
        "link_hash": r.link_hash,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "resend_available_at": r.resend_available_at,
        "attempts": r.attempts,
        "consumed_at": r.consumed_at,
    }


class SqlPasswordResets:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, email_key: str) -> PasswordReset | None:
        row = (await self._conn.execute(select(t).where(t.c.email_key == email_key))).first()
        return _row(row._mapping) if row else None

    async def get_by_link(self, link_hash: str) -> PasswordReset | None:
        row = (await self._conn.execute(select(t).where(t.c.link_hash == link_hash))).first()
        return _row(row._mapping) if row else None

    async def save(self, reset: PasswordReset, *, new: bool) -> bool:
        """Insert (``new``) or replace the challenge; False when a racing request inserted
        the same address's challenge first."""
        if not new:
            await self._conn.execute(update(t).where(t.c.id == reset.id).values(**_values(reset)))
            return True
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(t).values(id=reset.id, email_key=reset.email_key, **_values(reset))
                )
        except IntegrityError:
            return False
        return True

    async def count_attempt(self, reset_id: str, max_attempts: int) -> int | None:
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == reset_id, t.c.attempts < max_attempts, t.c.consumed_at.is_(None))
            .values(attempts=t.c.attempts + 1)
            .returning(t.c.attempts)
        )
        row = result.first()
        return int(row[0]) if row else None

    async def consume(self, reset_id: str, link_hash: str | None, now: datetime) -> bool:
        """Mark used, once: only the first of racing confirmations gets True."""
        condition = [t.c.id == reset_id, t.c.consumed_at.is_(None)]
        if link_hash is not None:
            condition.append(t.c.link_hash == link_hash)
        result = await self._conn.execute(update(t).where(*condition).values(consumed_at=now))
        return result.rowcount == 1
