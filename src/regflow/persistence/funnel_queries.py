"""Read queries for funnel reports and metrics, and the sweep's two queries.

Implements ``ReportQueries`` and ``RegistrationSweep`` from ``regflow.core.ports``;
writes of events stay in ``persistence/funnel.py``, whose drain the sweep runs.
Like every repository these never commit: the unit of work does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import FunnelEvent, OutboxStatus, RegistrationStatus
from regflow.core.ports import OutboxBacklog
from regflow.persistence import funnel
from regflow.persistence.tables import funnel_events as ev
from regflow.persistence.tables import outbox_messages as ob
from regflow.persistence.tables import registrations as reg

_WAITING = (OutboxStatus.PENDING.value, OutboxStatus.RETRYING.value)


def _event(m: Any) -> FunnelEvent:
    return FunnelEvent(
        registration_id=m["registration_id"],
        flow=m["flow"],
        kind=m["kind"],
        at=m["at"],
        step=m["step"],
        code=m["code"],
        variant=m["variant"],
        contract=m["contract"],
        organization_id=m["organization_id"],
        channel=m["channel"],
    )


class SqlReportQueries:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def cohort_events(
        self, since: datetime, until: datetime, flow: str | None = None
    ) -> list[FunnelEvent]:
        """The cohort's events before ``until``, in the order they were recorded (by id)."""
        cohort = select(ev.c.registration_id).where(
            ev.c.kind == "started", ev.c.at >= since, ev.c.at < until
        )
        if flow is not None:
            cohort = cohort.where(ev.c.flow == flow)
        rows = await self._conn.execute(
            select(ev).where(ev.c.registration_id.in_(cohort), ev.c.at < until).order_by(ev.c.id)
        )
        return [_event(row._mapping) for row in rows]

    async def outbox_backlog(self, now: datetime) -> OutboxBacklog:
        waiting = (
            await self._conn.execute(
                select(func.count(), func.min(ob.c.created_at)).where(ob.c.status.in_(_WAITING))
            )
        ).one()
        dead = await self._conn.scalar(
            select(func.count()).where(ob.c.status == OutboxStatus.DEAD.value)
        )
        oldest: datetime | None = waiting[1]
        if oldest is not None and oldest.tzinfo is None:  # aggregates skip the column type
            oldest = oldest.replace(tzinfo=now.tzinfo)
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        return OutboxBacklog(depth=int(waiting[0]), oldest_age_seconds=age, dead=int(dead or 0))


class SqlRegistrationSweep:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        rows = await self._conn.execute(
            select(reg.c.id)
            .where(reg.c.status == RegistrationStatus.ACTIVE.value, reg.c.expires_at <= now)
            .order_by(reg.c.expires_at)
            .limit(limit)
        )
        return [str(row[0]) for row in rows]

    async def drain_events(self, limit: int) -> int:
        return await funnel.drain(self._conn, limit)

    async def prune_events(self, before: datetime, limit: int) -> int:
        # oldest first by ``at``, the order of ix_funnel_events_at (0017): ordered by id,
        # SQLite walks the whole table in id order instead of searching that index
        oldest = select(ev.c.id).where(ev.c.at < before).order_by(ev.c.at).limit(limit)
        result = await self._conn.execute(delete(ev).where(ev.c.id.in_(oldest.scalar_subquery())))
        return int(result.rowcount or 0)
