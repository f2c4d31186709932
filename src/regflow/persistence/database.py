"""Engine creation: SQLite (WAL, immediate write transactions) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from regflow.persistence import sqlite_inline

SQLITE_LOCK_TIMEOUT_SECONDS = 30.0


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
    # No ping before each checkout: with asyncpg it is three round trips (BEGIN, ";",
    # ROLLBACK), more than a cheap call's own statements. A connection the server dropped
    # (a restart, a failover) fails the one request that meets it with 503 and Retry-After
    # (regflow.app), and that disconnect invalidates every older connection of the pool, so
    # the requests after it reconnect.
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20)


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
