"""Funnel events: append-only."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import FunnelEvent
from regflow.persistence.tables import funnel_events as t


class SqlFunnel:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, e: FunnelEvent) -> None:
        await self._conn.execute(
            insert(t).values(
                registration_id=e.registration_id,
                flow=e.flow,
                kind=e.kind,
                step=e.step,
                code=e.code,
                channel=e.channel,
                variant=e.variant,
                contract=e.contract,
                organization_id=e.organization_id,
                at=e.at,
            )
        )


class DiscardedFunnel:
    """Records nothing: for measuring what event recording costs (``REGFLOW_FUNNEL_EVENTS``)."""

    async def add(self, e: FunnelEvent) -> None:
        return None
