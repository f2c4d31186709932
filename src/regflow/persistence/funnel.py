"""Funnel events: recorded with the registration's own write, moved into ``funnel_events`` later.

An event is part of the transaction that caused it, yet writing it as its own
row costs one more statement inside the write lock (on SQLite every statement is
a hop to the driver's thread, the largest share of a step's time). So a unit of
work collects its events here and the registrations repository writes them in
the statement it issues anyway: the ``INSERT`` of a new registration or the
``UPDATE`` of a step, appended as JSON lines to ``registrations.pending_events``.
Events left over at commit (none was followed by a write of their registration)
are appended by one ``UPDATE`` each, which costs what an ``INSERT`` did.

:func:`drain` moves pending events into ``funnel_events`` in the order they were
recorded, many registrations per statement; the sweep runs it and every funnel
report runs it first. An append is one atomic ``coalesce(...) || :lines`` and
the drain locks the rows it reads (``FOR UPDATE SKIP LOCKED``: a row a request
holds now is left to the next drain; SQLite's writer lock on SQLite), so nothing
is moved twice or lost between the read and the clear.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import FunnelEvent
from regflow.persistence.tables import funnel_events as ev
from regflow.persistence.tables import registrations as reg

EventsObserver = Callable[[FunnelEvent], None]

_FIELDS = ("flow", "kind", "step", "code", "channel", "variant", "contract", "organization_id")


def encode(events: list[FunnelEvent]) -> str:
    """One JSON object per line, without the registration id (the row is the registration)."""
    lines = []
    for e in events:
        row: dict[str, Any] = {f: getattr(e, f) for f in _FIELDS if getattr(e, f) is not None}
        row["at"] = e.at.isoformat()
        lines.append(json.dumps(row, separators=(",", ":")) + "\n")
    return "".join(lines)


def decode(registration_id: str, text: str) -> list[FunnelEvent]:
    events = []
    for line in text.splitlines():
        if not line:
            continue
        row = json.loads(line)
        events.append(
            FunnelEvent(
                registration_id=registration_id,
                flow=row["flow"],
                kind=row["kind"],
                at=datetime.fromisoformat(row["at"]),
                step=row.get("step"),
                code=row.get("code"),
                channel=row.get("channel"),
                variant=row.get("variant"),
                contract=row.get("contract", "native"),
                organization_id=row.get("organization_id"),
            )
        )
    return events


def appended(lines: str) -> ColumnElement[str]:
    """``pending_events`` with ``lines`` appended, as one expression of the write."""
    return func.coalesce(reg.c.pending_events, "") + lines


class PendingFunnel:
    """The events of one unit of work, until a write of their registration carries them."""

    def __init__(self) -> None:
        self._pending: dict[str, list[FunnelEvent]] = {}
        self.written: list[FunnelEvent] = []  # in the transaction; counted once it commits

    async def add(self, e: FunnelEvent) -> None:
        self._pending.setdefault(e.registration_id, []).append(e)

    def take(self, registration_id: str) -> list[FunnelEvent]:
        return self._pending.pop(registration_id, [])

    def leftovers(self) -> list[tuple[str, list[FunnelEvent]]]:
        left = list(self._pending.items())
        self._pending.clear()
        return left

    async def flush(self, conn: AsyncConnection) -> None:
        """Append what no registration write carried, one ``UPDATE`` per registration."""
        for registration_id, events in self.leftovers():
            result = await conn.execute(
                update(reg)
                .where(reg.c.id == registration_id)
                .values(pending_events=appended(encode(events)))
            )
            if result.rowcount == 1:
                self.written.extend(events)
            else:  # no such registration row: keep the events anyway, as rows
                await insert_events(conn, events)
                self.written.extend(events)


class DiscardedFunnel(PendingFunnel):
    """Records nothing: for measuring what event recording costs (``REGFLOW_FUNNEL_EVENTS``)."""

    async def add(self, e: FunnelEvent) -> None:
        return None


async def insert_events(conn: AsyncConnection, events: list[FunnelEvent]) -> None:
    if not events:
        return
    await conn.execute(
        insert(ev),
        [
            {
                "registration_id": e.registration_id,
                "at": e.at,
                **{f: getattr(e, f) for f in _FIELDS},
            }
            for e in events
        ],
    )


async def drain(conn: AsyncConnection, limit: int) -> int:
    """Move the pending events of up to ``limit`` registrations; how many registrations."""
    rows = (
        await conn.execute(
            select(reg.c.id, reg.c.pending_events)
            .where(reg.c.pending_events.is_not(None))
            .order_by(reg.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # rows in use now go in the next drain
        )
    ).all()
    if not rows:
        return 0
    events = [e for registration_id, text in rows for e in decode(registration_id, text)]
    await insert_events(conn, events)
    await conn.execute(
        update(reg).where(reg.c.id == bindparam("rid")).values(pending_events=None),
        [{"rid": registration_id} for registration_id, _ in rows],
    )
    return len(rows)
