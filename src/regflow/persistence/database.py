"""Engine creation: SQLite (WAL, immediate write transactions) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from regflow.persistence import sqlite_inline

SQLITE_LOCK_TIMEOUT_SECONDS = 30.0
PING_IDLE_SECONDS = 10.0  # PostgreSQL: a pooled connection idle this long is pinged first
_USED = "regflow_used"  # when the pooled connection was last given back (monotonic)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine configured for regflow's transaction pattern.

    On SQLite every unit of work that writes starts with ``BEGIN IMMEDIATE`` so
    two writers queue on the lock (``busy_timeout``) instead of failing when a
    read transaction tries to upgrade; read-only units of work use a plain
    deferred ``BEGIN``. SQLite statements run on the event loop's thread through
    the standard ``sqlite3`` module (``sqlite_inline``), not one thread hop each.
    """
    if url.startswith("sqlite"):
        parsed = make_url(url)
        database = parsed.database or ":memory:"
        engine = create_async_engine(
            parsed.set(drivername=f"sqlite+{sqlite_inline.DRIVER}"),
            echo=echo,
            creator=sqlite_inline.connector(database, SQLITE_LOCK_TIMEOUT_SECONDS),
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout, and asyncpg's ping is
    three round trips (``BEGIN``, ``;``, ``ROLLBACK``): more than a cheap call's
    statements. A connection used within ``PING_IDLE_SECONDS`` was alive then; one
    idle longer (a server restart, an idle timeout, a dropped link) is pinged, and
    replaced if dead. A connection that died while in steady use is found by its
    statement: that one request answers 503 with Retry-After (regflow.app), and the
    disconnect invalidates every older connection of the pool, so the next reconnect.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _used(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        used = record.info.get(_USED)
        if used is None or time.monotonic() - used < PING_IDLE_SECONDS:
            return  # new, or in use a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise DisconnectionError("a pooled connection did not answer") from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # isolation_level=None (we emit BEGIN ourselves) and a busy timeout of 0 were set
        # when connecting: a locked database is waited for by sqlite_inline, without blocking
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(sqlite_inline.DIRECT, False):
            return  # a unit of work's DirectConnection emits its BEGIN itself, retrying
        read_only = options.get("regflow_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
