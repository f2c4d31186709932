"""Organizations and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import Membership, Organization
from regflow.persistence.errors import unique_violation
from regflow.persistence.tables import memberships as mt
from regflow.persistence.tables import organizations as ot


def _org(m: Any) -> Organization:
    return Organization(
        id=m["id"],
        name=m["name"],
        slug=m["slug"],
        join_code=m["join_code"],
        created_at=m["created_at"],
        settings=dict(m["settings"]),
        join_policy=m["join_policy"],
    )


class SqlOrganizations:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, o: Organization) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(ot).values(
                        id=o.id,
                        name=o.name,
                        slug=o.slug,
                        join_code=o.join_code,
                        join_policy=o.join_policy,
                        settings=o.settings,
                        created_at=o.created_at,
                    )
                )
        except IntegrityError as error:
            violation = unique_violation(error, ("slug", "join_code"))
            if violation is None:
                raise
            raise violation from None

    async def get(self, organization_id: str) -> Organization | None:
        row = (await self._conn.execute(select(ot).where(ot.c.id == organization_id))).first()
        return _org(row._mapping) if row else None

    async def get_by_join_code(self, join_code: str) -> Organization | None:
        row = (await self._conn.execute(select(ot).where(ot.c.join_code == join_code))).first()
        return _org(row._mapping) if row else None


class SqlMemberships:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, m: Membership) -> None:
        await self._conn.execute(
            insert(mt).values(
                id=m.id,
                account_id=m.account_id,
                organization_id=m.organization_id,
                role=m.role,
                status=m.status,
                details=m.details,
                created_at=m.created_at,
            )
        )

    async def for_account(self, account_id: str) -> Sequence[Membership]:
        rows = await self._conn.execute(select(mt).where(mt.c.account_id == account_id))
        return [
            Membership(
                id=r.id,
                account_id=r.account_id,
                organization_id=r.organization_id,
                role=r.role,
                status=r.status,
                created_at=r.created_at,
                details=dict(r.details),
            )
            for r in rows
        ]
