"""Invitations, consumed exactly once with ``UPDATE … WHERE accepted_at IS NULL``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.invitations import Invitation
from regflow.persistence.tables import invitations as t


def _row(m: Any) -> Invitation:
    return Invitation(
        id=m["id"],
        organization_id=m["organization_id"],
        email=m["email"],
        role=m["role"],
        token_hash=m["token_hash"],
        invited_by=m["invited_by"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        accepted_at=m["accepted_at"],
        registration_id=m["registration_id"],
    )


class SqlInvitations:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, i: Invitation) -> None:
        await self._conn.execute(
            insert(t).values(
                id=i.id,
                organization_id=i.organization_id,
                email=i.email,
                role=i.role,
                token_hash=i.token_hash,
                invited_by=i.invited_by,
                created_at=i.created_at,
                expires_at=i.expires_at,
                accepted_at=i.accepted_at,
                registration_id=i.registration_id,
            )
        )

    async def get_by_token_hash(self, token_hash: str) -> Invitation | None:
        row = (await self._conn.execute(select(t).where(t.c.token_hash == token_hash))).first()
        return _row(row._mapping) if row else None

    async def accept(self, invitation_id: str, registration_id: str | None, now: datetime) -> bool:
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == invitation_id, t.c.accepted_at.is_(None), t.c.expires_at > now)
            .values(accepted_at=now, registration_id=registration_id)
        )
        return result.rowcount == 1

    async def for_organization(self, organization_id: str, limit: int) -> list[Invitation]:
        rows = await self._conn.execute(
            select(t)
            .where(t.c.organization_id == organization_id)
            .order_by(t.c.created_at.desc(), t.c.id)
            .limit(limit)
        )
        return [_row(r._mapping) for r in rows]

    async def revoke(self, invitation_id: str, organization_id: str, now: datetime) -> bool:
        # revoked = expired now: the link answers as an expired one, no column needed
        result = await self._conn.execute(
            update(t)
            .where(
                t.c.id == invitation_id,
                t.c.organization_id == organization_id,
                t.c.accepted_at.is_(None),
                t.c.expires_at > now,
            )
            .values(expires_at=now)
        )
        return result.rowcount == 1
