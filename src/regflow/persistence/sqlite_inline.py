"""SQLite on the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call in a thread of its own: opening a cursor, executing,
fetching and closing are four round trips to that thread per statement, each a
GIL hand-over that costs far more than the statement (a regflow statement runs in
microseconds on a local file in WAL mode, with ``synchronous=NORMAL``: no fsync on
commit). This module gives SQLAlchemy the same asynchronous driver interface, but
each call runs right away on the calling thread: no hop at all.

What could block the loop is a lock held by another process (the delivery worker,
a second server process). The connection's busy timeout is therefore 0, and a
statement refused with ``SQLITE_BUSY`` is retried after an ``asyncio.sleep`` that
grows from 1 ms to 25 ms, until ``timeout`` seconds have passed, so other requests
run while this one waits. Retrying is safe: a statement refused with
``SQLITE_BUSY`` did nothing, and regflow's writers take the write lock with their
first statement (``BEGIN IMMEDIATE``), so no statement inside a write transaction
waits for a lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

FIRST_RETRY_SECONDS = 0.001
LAST_RETRY_SECONDS = 0.025


def _busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


class _Immediate:
    """Stands in for aiosqlite's queue to its thread: runs each call at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineCursor:
    """The subset of ``aiosqlite.Cursor`` that SQLAlchemy's adapter uses."""

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Self:
        await self._connection.retry(self._cursor.execute, sql, parameters or ())
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Self:
        rows = list(seq_of_parameters)
        await self._connection.retry(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """The subset of ``aiosqlite.Connection`` that SQLAlchemy's adapter uses."""

    def __init__(self, conn: sqlite3.Connection, timeout: float) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._timeout = timeout
        self._tx = _Immediate()  # SQLAlchemy sets isolation_level through aiosqlite's queue

    @property
    def _connection(self) -> sqlite3.Connection | None:  # aiosqlite's name: None once closed
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    async def retry(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(*args)``, again after a pause while SQLite answers ``SQLITE_BUSY``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as error:
                if not _busy(error) or loop.time() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY_SECONDS)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._live().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self.retry(self._live().commit)

    async def rollback(self) -> None:
        self._live().rollback()

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's forced terminate)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)


def connector(database: str, timeout: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: inline connections to ``database``."""

    async def connect() -> InlineConnection:
        conn = sqlite3.connect(
            database,
            timeout=0,  # never wait inside SQLite: InlineConnection.retry waits instead
            isolation_level=None,  # regflow emits BEGIN itself
            check_same_thread=False,  # the pool may close a connection from another thread
            uri=database.startswith("file:"),
        )
        return InlineConnection(conn, timeout)

    return connect
