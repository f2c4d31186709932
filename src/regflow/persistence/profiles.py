"""Onboarding profiles: what a teacher, student or organization admin told their flow."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.onboarding import AccountProfile
from regflow.persistence.tables import account_profiles as t


class SqlProfiles:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, p: AccountProfile) -> None:
        await self._conn.execute(
            insert(t).values(
                account_id=p.account_id,
                kind=p.kind,
                locale=p.locale,
                data=p.data,
                created_at=p.created_at,
            )
        )

    async def get(self, account_id: str) -> AccountProfile | None:
        row = (await self._conn.execute(select(t).where(t.c.account_id == account_id))).first()
        if row is None:
            return None
        m = row._mapping
        return AccountProfile(
            account_id=m["account_id"],
            kind=m["kind"],
            created_at=m["created_at"],
            locale=m["locale"],
            data=dict(m["data"]),
        )
