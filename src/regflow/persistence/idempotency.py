"""Idempotency records for ``complete``: what it made, replayed for a repeated key."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.ports import IdempotencyRecord
from regflow.errors import UniqueViolation
from regflow.persistence.tables import idempotency_records as t


class SqlIdempotency:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = (
            await self._conn.execute(select(t).where(t.c.scope == scope, t.c.key == key))
        ).first()
        if row is None:
            return None
        m = row._mapping
        return IdempotencyRecord(
            scope=m["scope"],
            key=m["key"],
            request_hash=m["request_hash"],
            completed=dict(m["completed"]),
            created_at=m["created_at"],
        )

    async def add(self, record: IdempotencyRecord) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(t).values(
                        scope=record.scope,
                        key=record.key,
                        request_hash=record.request_hash,
                        completed=record.completed,
                        created_at=record.created_at,
                    )
                )
        except IntegrityError:
            raise UniqueViolation("idempotency_key") from None
