"""Committed funnel events, observed on the engine, for in-process counters (Prometheus).

Counters should count what was committed, not what a rolled-back transaction
tried: each row inserted into ``funnel_events`` is remembered on its connection,
handed to the callback when that connection commits and forgotten when it rolls
back. Every path that records an event (native API, seed contracts, the sweep)
is counted without the services knowing. SQLAlchemy's ``commit`` hook runs just
before the database commits, so a commit that then fails is still counted: a
rare over-count that metrics can live with, unlike the reports, which read the
table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from regflow.core.model import FunnelEvent
from regflow.persistence.tables import funnel_events

log = logging.getLogger("regflow.metrics")
_PENDING = "regflow_funnel_events_pending"


def _event(p: dict[str, Any]) -> FunnelEvent:
    return FunnelEvent(
        registration_id=str(p.get("registration_id")),
        flow=str(p.get("flow")),
        kind=str(p.get("kind")),
        at=p["at"],
        step=p.get("step"),
        code=p.get("code"),
        variant=p.get("variant"),
        contract=str(p.get("contract")),
        organization_id=p.get("organization_id"),
        channel=p.get("channel"),
    )


def observe_committed_events(engine: AsyncEngine, callback: Callable[[FunnelEvent], None]) -> None:
    """Call ``callback`` once per funnel event, after the transaction holding it commits."""
    sync = engine.sync_engine

    @event.listens_for(sync, "begin")
    def _begin(conn: Connection) -> None:
        conn.info.pop(_PENDING, None)

    @event.listens_for(sync, "after_cursor_execute")
    def _inserted(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        compiled = getattr(context, "compiled", None)
        if compiled is None or not context.isinsert:
            return
        if getattr(compiled.statement, "table", None) is not funnel_events:
            return
        rows = [_event(p) for p in context.compiled_parameters]
        conn.info.setdefault(_PENDING, []).extend(rows)

    @event.listens_for(sync, "commit")
    def _commit(conn: Connection) -> None:
        for row in conn.info.pop(_PENDING, ()):
            try:
                callback(row)
            except Exception:  # a metric must never break a commit
                log.exception("funnel metrics callback failed")

    @event.listens_for(sync, "rollback")
    def _rollback(conn: Connection) -> None:
        conn.info.pop(_PENDING, None)
