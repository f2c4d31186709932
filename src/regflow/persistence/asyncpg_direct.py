"""PostgreSQL: a compiled statement (``persistence.compiled``) run on asyncpg from the loop.

``AsyncConnection.execute`` enters a greenlet, runs the synchronous ``execute``
path (cache lookup, execution context, parameter processing, result setup) and
leaves it again for asyncpg through SQLAlchemy's cursor adapter. Here the same
adapter is driven from the caller's coroutine: its lock, its transaction begun on
first use (the ``BEGIN`` asyncpg sends), its prepared statement cache (a statement is
parsed once per connection, then bound and executed: one round trip), its status
line for the row count and its translation of asyncpg's errors. What SQLAlchemy
adds around a statement is kept: the ``before_cursor_execute`` and
``after_cursor_execute`` events (statements counted), echo, and on an error its
wrapping, ``handle_error`` listeners (a lost connection) and invalidation, which
run in a greenlet as they do for ``execute``.

A connection SQLAlchemy has not begun, or has invalidated, answers None: the caller
then runs the statement through ``execute``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util.concurrency import greenlet_spawn

_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


def usable(conn: AsyncConnection) -> bool:
    """Begun, not invalidated, and on asyncpg."""
    sync = conn.sync_connection
    return (
        sync is not None
        and not sync.invalidated
        and sync._dbapi_connection is not None
        and sync.in_transaction()
        and not sync.dialect.dispatch.do_execute
    )


async def run_compiled(
    conn: AsyncConnection, sql: str, parameters: Sequence[Any], returning: bool
) -> tuple[list[Any], int]:
    """``sql`` (compiled for asyncpg) with ``parameters``: its rows and row count."""
    sync = conn.sync_connection
    assert sync is not None and sync._dbapi_connection is not None  # noqa: S101 - usable()
    raw: Any = sync._dbapi_connection.dbapi_connection
    params: Any = tuple(parameters)
    events = sync._has_events or sync.engine._has_events
    cursor = raw.cursor() if events else None
    if events:
        for fn in sync.dispatch.before_cursor_execute:
            sql, params = fn(sync, cursor, sql, params, None, False)
    if sync._echo:
        sync._log_info(sql)
        sync._log_parameters(params, "raw sql", ismulti=False)
    try:
        async with raw._execute_mutex:
            if raw._transaction is None:
                await raw._start_transaction()
            try:
                asof = sync.dialect._invalidate_schema_cache_asof  # type: ignore[attr-defined]
                prepared, _ = await raw._prepare(sql, asof)
                rows = await prepared.fetch(*params)
                found = _STATUS.match(prepared.get_statusmsg() or "")
            except Exception as error:
                raw._handle_exception(error)  # raises asyncpg's error as the DBAPI's
    except BaseException as error:
        await greenlet_spawn(_raise, sync, error, sql, params)
        raise  # not reached: _raise raises
    if events:
        sync.dispatch.after_cursor_execute(sync, cursor, sql, params, None, False)
    return rows, int(found.group(1)) if found else -1


def _raise(sync: Connection, error: BaseException, sql: str, params: Any) -> None:
    """What ``execute`` does with a statement's error (in a greenlet: invalidating a
    lost connection closes it through the loop)."""
    dbapi: Any = sync.dialect.loaded_dbapi
    if isinstance(error, dbapi.InvalidCachedStatementError | dbapi.InternalServerError):
        sync.dialect._invalidate_schema_cache()  # type: ignore[attr-defined]
    try:
        raise error
    except BaseException as raised:
        sync._handle_dbapi_exception(raised, sql, params, None, None)
