"""SQLite on the event loop's own thread, with no asynchronous adapter in between.

A regflow statement runs in microseconds on a local file in WAL mode with
``synchronous=NORMAL`` (no fsync on commit), so the cost of a statement is what
wraps it. SQLAlchemy's asyncio layer wraps each one in a greenlet, and an
asynchronous driver adds its cursor adapters and a few greenlet switches more:
together several times the statement. Here the driver is the standard ``sqlite3``
module, called directly:

- ``InlineDialect`` is SQLAlchemy's ``pysqlite`` dialect, declared asynchronous so an
  ``AsyncEngine`` accepts it (the health ping, the migrations and the tests use that
  engine as before: each statement then takes one greenlet switch).
- ``DirectConnection`` is the ``AsyncConnection`` a unit of work holds: its
  ``execute``, ``begin``, ``commit``... call the synchronous ``Connection`` under it
  straight away, with no greenlet at all.

What could block the loop is a lock held by another process (the delivery worker,
a second server process). The connection's busy timeout is therefore 0, and a
statement refused with ``SQLITE_BUSY`` is retried after an ``asyncio.sleep`` that
grows from 1 ms to 25 ms, until ``timeout`` seconds have passed, so other requests
run while this one waits. Retrying is safe: a statement refused with
``SQLITE_BUSY`` did nothing, and regflow's writers take the write lock with their
first statement (``BEGIN IMMEDIATE``), so no statement inside a write transaction
waits for a lock; ``BEGIN IMMEDIATE`` is the statement that meets other processes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import exc
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection, CursorResult, Engine, Transaction
from sqlalchemy.engine.cursor import _DEFAULT_FETCH, FullyBufferedCursorFetchStrategy
from sqlalchemy.engine.interfaces import (
    CoreExecuteOptionsParameter,
    DBAPICursor,
    ExecuteStyle,
    _CoreAnyExecuteParams,
)
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool, QueuePool, StaticPool
from sqlalchemy.sql.base import Executable
from sqlalchemy.util.concurrency import await_, greenlet_spawn, in_greenlet

FIRST_RETRY_SECONDS = 0.001
LAST_RETRY_SECONDS = 0.025
DRIVER = "regflow_inline"
DIRECT = "regflow_direct"  # execution option: the connection emits its own BEGIN

_T = TypeVar("_T")


def busy(error: BaseException) -> bool:
    """A refusal for a lock another connection holds (``SQLITE_BUSY``), wrapped or not."""
    if isinstance(error, exc.DBAPIError):
        error = error.orig  # type: ignore[assignment]
    if not isinstance(error, sqlite3.OperationalError):
        return False
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


async def retry(timeout: float, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``call(*args)``, again after a pause while SQLite answers ``SQLITE_BUSY``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            return call(*args, **kwargs)
        except Exception as error:
            if not busy(error) or loop.time() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, LAST_RETRY_SECONDS)


async def _again(timeout: float, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``retry`` after a first refusal: pause first."""
    await asyncio.sleep(FIRST_RETRY_SECONDS)
    return await retry(timeout, call, *args, **kwargs)


class InlineCursor(sqlite3.Cursor):
    """Inside a greenlet (an ``AsyncEngine`` caller), a busy statement waits on the loop."""

    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        if in_greenlet():
            timeout = self.connection.lock_timeout  # type: ignore[attr-defined]
            await_(retry(timeout, sqlite3.Cursor.execute, self, sql, parameters))
            return self
        sqlite3.Cursor.execute(self, sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> InlineCursor:
        if in_greenlet():
            timeout = self.connection.lock_timeout  # type: ignore[attr-defined]
            rows: Sequence[Any] = list(seq_of_parameters)
            await_(retry(timeout, sqlite3.Cursor.executemany, self, sql, rows))
            return self
        sqlite3.Cursor.executemany(self, sql, seq_of_parameters)
        return self

    async def _async_soft_close(self) -> None:
        """What ``AsyncConnection.execute`` asks of an asynchronous cursor: nothing to do
        here, the rows stay readable without the loop."""


class InlineSqlite(sqlite3.Connection):
    """A ``sqlite3`` connection whose cursors wait for locks on the event loop."""

    lock_timeout = 30.0

    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)

    def commit(self) -> None:
        if in_greenlet():
            await_(retry(self.lock_timeout, sqlite3.Connection.commit, self))
        else:
            sqlite3.Connection.commit(self)


class _Context(SQLiteExecutionContext):
    def post_exec(self) -> None:
        # An UPDATE/DELETE/INSERT ... RETURNING counts its rows as they are fetched, and
        # SQLAlchemy reads the count right after execute: fetch them now, as an
        # asynchronous driver does, so ``rowcount`` is the number of rows written.
        if (
            (self.isupdate or self.isdelete or self.isinsert)
            and self.cursor_fetch_strategy is _DEFAULT_FETCH
            and self.execute_style is not ExecuteStyle.INSERTMANYVALUES
            and self.cursor.description is not None
        ):
            rows = self.cursor.fetchall()
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(
                self.cursor, initial_buffer=rows
            )


class InlineDialect(SQLiteDialect_pysqlite):
    """``pysqlite``, accepted by ``AsyncEngine``: nothing here needs a greenlet but a wait."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True
    execution_ctx_cls = _Context

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        # the asyncio queue pool waits for a free connection without blocking the loop
        return AsyncAdaptedQueuePool if cls._is_url_file_db(url) else StaticPool


registry.register(f"sqlite.{DRIVER}", __name__, "InlineDialect")


def connector(database: str, timeout: float) -> Callable[[], sqlite3.Connection]:
    """A ``creator`` for the engine: inline connections to ``database``."""

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(
            database,
            timeout=0,  # never wait inside SQLite: the retries wait on the loop instead
            isolation_level=None,  # regflow emits BEGIN itself
            check_same_thread=False,  # the pool may close a connection from another thread
            uri=database.startswith("file:"),
            factory=InlineSqlite,
        )
        conn.lock_timeout = timeout
        return conn

    return connect


def direct_engine(engine: AsyncEngine) -> Engine | None:
    """The synchronous engine a ``DirectConnection`` checks out from, or None (not SQLite).

    It shares the pool and the event listeners of ``engine``; its connections carry
    the ``regflow_direct`` option, which tells the ``begin`` listener to leave the
    ``BEGIN`` to ``DirectTransaction``.
    """
    if not isinstance(engine.sync_engine.dialect, InlineDialect):
        return None
    return engine.sync_engine.execution_options(**{DIRECT: True})


async def connect(
    engine: AsyncEngine, direct: Engine, *, read_only: bool, timeout: float
) -> DirectConnection:
    """A ``DirectConnection`` from the pool: at once when one is free."""
    pool = direct.pool
    if isinstance(pool, QueuePool) and pool.checkedin() == 0:
        # a new connection (its pragmas may meet a lock) or a wait for a free one: both
        # wait on the loop, which needs the greenlet
        sync = await greenlet_spawn(direct.connect)
    else:
        sync = direct.connect()
    return DirectConnection(engine, sync, read_only=read_only, timeout=timeout)


class DirectConnection(AsyncConnection):
    """An ``AsyncConnection`` whose hot methods call the sync ``Connection`` directly.

    ``execute`` (so ``scalar`` and ``scalars``), ``begin``, ``begin_nested``,
    ``commit``, ``rollback`` and ``close`` run without a greenlet; anything else is
    ``AsyncConnection``'s own, through a greenlet, and works as well. ``begin`` emits
    ``BEGIN IMMEDIATE``, or a deferred ``BEGIN`` when ``read_only``.
    """

    __slots__ = ("read_only", "timeout")

    def __init__(
        self, engine: AsyncEngine, sync: Connection, *, read_only: bool, timeout: float
    ) -> None:
        super().__init__(engine, sync)
        self.read_only = read_only
        self.timeout = timeout

    async def execute(
        self,
        statement: Executable,
        parameters: _CoreAnyExecuteParams | None = None,
        *,
        execution_options: CoreExecuteOptionsParameter | None = None,
    ) -> CursorResult[Any]:
        conn = self._proxied
        try:
            return conn.execute(statement, parameters, execution_options=execution_options)
        except exc.OperationalError as error:
            if not busy(error):
                raise
        return await _again(
            self.timeout, conn.execute, statement, parameters, execution_options=execution_options
        )

    async def run_compiled(
        self, sql: str, parameters: Sequence[Any], returning: bool
    ) -> tuple[list[Any], int]:
        """``sql`` as compiled (``persistence.compiled``): its rows and row count."""
        try:
            return self._run(sql, parameters, returning)
        except exc.OperationalError as error:
            if not busy(error):
                raise
        return await _again(self.timeout, self._run, sql, parameters, returning)

    def _run(self, sql: str, parameters: Sequence[Any], returning: bool) -> tuple[list[Any], int]:
        sync = self._proxied
        cursor = self._dbapi().cursor(sqlite3.Cursor)
        events = sync.dispatch
        if events.before_cursor_execute or events.after_cursor_execute or sync._echo:
            # SQLAlchemy's own step: its cursor events (statements counted), echo, errors
            sync._cursor_execute(cast(DBAPICursor, cursor), sql, tuple(parameters))
        else:  # the same step, with no one to tell
            try:
                cursor.execute(sql, tuple(parameters))
            except BaseException as error:
                sync._handle_dbapi_exception(
                    error, sql, parameters, cast(DBAPICursor, cursor), None
                )
        rows = cursor.fetchall() if returning else []
        count = cursor.rowcount
        cursor.close()
        return rows, count

    def begin(self) -> DirectTransaction:
        return DirectTransaction(self)

    def begin_nested(self) -> DirectTransaction:
        return DirectTransaction(self, nested=True)

    async def commit(self) -> None:
        if self._proxied.in_transaction():
            await retry(self.timeout, sqlite3.Connection.commit, self._dbapi())
        self._proxied.commit()

    async def rollback(self) -> None:
        self._proxied.rollback()

    async def close(self) -> None:
        self._proxied.close()

    def _dbapi(self) -> sqlite3.Connection:
        raw = self._proxied.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)  # noqa: S101 - InlineDialect's own
        return raw


class DirectTransaction(AsyncTransaction):
    """``AsyncTransaction`` on a ``DirectConnection``: no greenlet, busy waits on the loop."""

    __slots__ = ()

    connection: DirectConnection

    def __init__(self, connection: DirectConnection, nested: bool = False) -> None:
        super().__init__(connection, nested)

    async def start(self, is_ctxmanager: bool = False) -> DirectTransaction:
        conn = self.connection
        sync = conn._proxied
        transaction: Transaction
        if self.nested:
            transaction = sync.begin_nested()  # a SAVEPOINT, inside the write lock
        else:
            transaction = sync.begin()  # no SQL: the begin listener leaves it to us
            try:
                await conn.run_compiled("BEGIN" if conn.read_only else "BEGIN IMMEDIATE", (), False)
            except BaseException:
                transaction.rollback()
                raise
        self.sync_transaction = transaction
        if is_ctxmanager:
            transaction.__enter__()
        return self

    async def commit(self) -> None:
        await self._commit_database()
        self._proxied.commit()

    async def rollback(self) -> None:
        self._proxied.rollback()

    async def close(self) -> None:
        self._proxied.close()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        if type_ is None:
            await self._commit_database()
        self._proxied.__exit__(type_, value, traceback)

    async def _commit_database(self) -> None:
        """The root's COMMIT, retried while busy; SQLAlchemy's own then finds nothing to do."""
        if not self.nested and self._proxied.is_active:
            conn = self.connection
            raw = conn._dbapi()
            try:
                sqlite3.Connection.commit(raw)
                return
            except sqlite3.OperationalError as error:
                if not busy(error):
                    raise
            await _again(conn.timeout, sqlite3.Connection.commit, raw)
