"""Signing keys for access tokens (private keys stored encrypted)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import SigningKey
from regflow.persistence.tables import signing_keys as t


class SqlSigningKeys:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def all(self) -> list[SigningKey]:
        rows = await self._conn.execute(select(t).order_by(t.c.created_at.desc()))
        return [
            SigningKey(
                kid=r.kid,
                algorithm=r.algorithm,
                private_pem=bytes(r.private_pem),
                public_jwk=dict(r.public_jwk),
                created_at=r.created_at,
                active=bool(r.active),
            )
            for r in rows
        ]

    async def add(self, key: SigningKey) -> None:
        await self._conn.execute(
            insert(t).values(
                kid=key.kid,
                algorithm=key.algorithm,
                private_pem=key.private_pem,
                public_jwk=key.public_jwk,
                active=key.active,
                created_at=key.created_at,
            )
        )

    async def retire_all_but(self, kid: str, algorithms: Collection[str]) -> None:
        await self._conn.execute(
            update(t)
            .where(t.c.kid != kid, t.c.algorithm.in_(list(algorithms)))
            .values(active=False)
        )
