"""Engine creation: SQLite (WAL, immediate write transactions) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import time
from json import JSONEncoder
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from asyncpg.exceptions import ConnectionDoesNotExistError  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from regflow.persistence import sqlite_inline, wal

SQLITE_LOCK_TIMEOUT_SECONDS = 30.0
PING_IDLE_SECONDS = 10.0  # PostgreSQL: a pooled connection idle this long is pinged first
_USED = "regflow_used"  # when the pooled connection was last given back (monotonic)
_SHUTDOWN = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, cannot connect now
_DEFAULT = JSONEncoder().default  # json.dumps's refusal of what JSON cannot hold


def json_text(value: Any) -> str:
    """``json.dumps(value)``, the JSON columns' serializer: the same text and errors (the
    circular-reference check included), without ``dumps``'s and ``JSONEncoder``'s steps
    around the C encoder (a few JSON values per write)."""
    if isinstance(value, str):
        return str(encode_basestring_ascii(value))
    if c_make_encoder is None:
        return JSONEncoder().encode(value)
    encode = c_make_encoder(
        {}, _DEFAULT, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(encode(value, 0))


def create_engine(
    url: str, *, echo: bool = False, background_checkpoints: bool = False
) -> AsyncEngine:
    """An async engine configured for regflow's transaction pattern.

    On SQLite every unit of work that writes starts with ``BEGIN IMMEDIATE`` so
    two writers queue on the lock (``busy_timeout``) instead of failing when a
    read transaction tries to upgrade; read-only units of work use a plain
    deferred ``BEGIN``. SQLite statements run on the event loop's thread through
    the standard ``sqlite3`` module (``sqlite_inline``), not one thread hop each.
    ``background_checkpoints``: a ``WalCheckpointer`` keeps the WAL short, so commits
    leave checkpoints (and their ``fsync``) to it (``persistence.wal``).
    """
    if url.startswith("sqlite"):
        parsed = make_url(url)
        database = parsed.database or ":memory:"
        engine = create_async_engine(
            parsed.set(drivername=f"sqlite+{sqlite_inline.DRIVER}"),
            echo=echo,
            creator=sqlite_inline.connector(database, SQLITE_LOCK_TIMEOUT_SECONDS),
            json_serializer=json_text,
        )
        _configure_sqlite(engine, background_checkpoints)
        return engine
    engine = create_async_engine(
        url, echo=echo, pool_size=10, max_overflow=20, json_serializer=json_text
    )
    _ping_when_idle(engine)
    _lost_connections_are_disconnects(engine)
    return engine


def _lost_connections_are_disconnects(engine: AsyncEngine) -> None:
    """A connection the server dropped is a disconnect, whatever asyncpg calls it.

    The first statement on a connection the server terminated (a restart, a failover,
    ``pg_terminate_backend``) can fail as asyncpg's ``AdminShutdownError`` or an
    ``InternalClientError`` rather than as a closed connection, which SQLAlchemy would
    neither recognise as a disconnect (the dead connection went back to the pool) nor
    raise as an ``OperationalError`` (answered 503 with Retry-After by regflow.app).
    """

    @event.listens_for(engine.sync_engine, "handle_error")
    def _lost(context: ExceptionContext) -> BaseException | None:
        error = context.sqlalchemy_exception
        if not isinstance(error, DBAPIError) or error.orig is None or not _dropped(error.orig):
            return None
        context.is_disconnect = True  # retire this connection and every older one
        if isinstance(error, OperationalError | InterfaceError):
            return None
        return OperationalError(
            error.statement,
            error.params,
            error.orig,
            hide_parameters=error.hide_parameters,
            connection_invalidated=True,
        )


def _dropped(error: BaseException) -> bool:
    cause = getattr(error, "__cause__", None) or error  # the adapter wraps asyncpg's own
    if isinstance(cause, asyncpg.exceptions.InternalClientError | ConnectionDoesNotExistError):
        return True
    state = str(getattr(cause, "sqlstate", "") or "")
    return state.startswith("08") or state in _SHUTDOWN


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


def _configure_sqlite(engine: AsyncEngine, background_checkpoints: bool) -> None:
    pragmas = ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"]
    if background_checkpoints:
        pragmas.append(f"PRAGMA wal_autocheckpoint={wal.SAFETY_PAGES}")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # isolation_level=None (we emit BEGIN ourselves) and a busy timeout of 0 were set
        # when connecting: a locked database is waited for by sqlite_inline, without blocking
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(sqlite_inline.DIRECT, False):
            return  # a unit of work's DirectConnection emits its BEGIN itself, retrying
        read_only = options.get("regflow_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
