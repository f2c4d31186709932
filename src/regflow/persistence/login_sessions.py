"""Login sessions of the hosted UI, found by the SHA-256 of their cookie's secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.login_sessions import LoginSession
from regflow.persistence.tables import login_sessions as t


def _row(m: Any) -> LoginSession:
    return LoginSession(
        id=m["id"],
        account_id=m["account_id"],
        token_hash=m["token_hash"],
        token_version=m["token_version"],
        created_at=m["created_at"],
        last_seen_at=m["last_seen_at"],
        expires_at=m["expires_at"],
        amr=tuple(m["amr"]),
        revoked_at=m["revoked_at"],
    )


class SqlLoginSessions:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, s: LoginSession) -> None:
        await self._conn.execute(
            insert(t).values(
                id=s.id,
                account_id=s.account_id,
                token_hash=s.token_hash,
                token_version=s.token_version,
                amr=list(s.amr),
                created_at=s.created_at,
                last_seen_at=s.last_seen_at,
                expires_at=s.expires_at,
                revoked_at=s.revoked_at,
            )
        )

    async def get_by_token_hash(self, token_hash: str) -> LoginSession | None:
        row = (await self._conn.execute(select(t).where(t.c.token_hash == token_hash))).first()
        return _row(row._mapping) if row else None

    async def touch(self, session_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(t).where(t.c.id == session_id, t.c.last_seen_at < now).values(last_seen_at=now)
        )

    async def revoke(self, session_id: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(t).where(t.c.id == session_id, t.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        return bool(result.rowcount)

    async def revoke_all(self, account_id: str, now: datetime) -> int:
        result = await self._conn.execute(
            update(t)
            .where(t.c.account_id == account_id, t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)
