"""Hot statements run from their compiled SQL (``persistence.compiled``) answer as ``execute`` does.

Same rows (values processed by their column types), same row counts (``RETURNING``
included), the same errors, every statement seen by the cursor events that count
statements, and on SQLite a lock held by another connection waited for on the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.persistence import compiled
from regflow.persistence.database import create_engine
from regflow.persistence.sqlite_inline import DirectConnection, InlineDialect
from regflow.persistence.types import UTCDateTime
from regflow.persistence.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

probe = Table(
    "probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True),
    Column("n", Integer),
    Column("at", UTCDateTime),
    Column("data", JSON),
)
_INSERT = insert(probe)
_BUMP = (
    update(probe)
    .where(probe.c.n < bindparam("b_max"))
    .values(n=probe.c.n + 1)
    .returning(probe.c.name, probe.c.n)
)
_BY_NAME = select(probe).where(probe.c.name == bindparam("b_name"))
_IN = select(probe.c.name).where(probe.c.name.in_(bindparam("b_names", expanding=True)))
_APPEND = update(probe).values(
    name=func.coalesce(probe.c.name, "") + bindparam("b_suffix", type_=String)
)
_PID = select(func.pg_backend_pid().label("pid"))
AT = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "compiled.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def uows(url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(probe.metadata.create_all)
        yield SqlUnitOfWorkFactory(engine, record_events=False)
        async with engine.begin() as conn:  # PostgreSQL's database is the session's
            await conn.run_sync(probe.metadata.drop_all)
    finally:
        await engine.dispose()


def conn_of(uow: SqlUnitOfWork) -> AsyncConnection:
    assert uow._conn is not None
    if uow._conn.dialect.name == "sqlite":
        assert isinstance(uow._conn, DirectConnection)
    return uow._conn


async def test_rows_and_counts_are_those_of_execute(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        conn = conn_of(uow)
        for name, n in (("a", 1), ("b", 5)):
            row = {"name": name, "n": n, "at": AT, "data": {"k": [name]}}
            assert (await compiled.run(conn, _INSERT, row)).rowcount == 1
        bumped = await compiled.run(conn, _BUMP, {"b_max": 3})
        assert bumped.rowcount == 1
        assert bumped.rows == [{"name": "a", "n": 2}]
        found = (await compiled.run(conn, _BY_NAME, {"b_name": "b"})).first()
        expected = (await conn.execute(_BY_NAME, {"b_name": "b"})).first()
        assert expected is not None
        assert found == dict(expected._mapping)
        assert found == {"id": 2, "name": "b", "n": 5, "at": AT, "data": {"k": ["b"]}}
        assert (await compiled.run(conn, _BY_NAME, {"b_name": "none"})).first() is None
        # not planned (an expanding IN): answered through execute, alike
        names = await compiled.run(conn, _IN, {"b_names": ["a", "b", "c"]})
        assert sorted(r["name"] for r in names.rows) == ["a", "b"]
        await uow.commit()
    async with uows() as uow:  # nothing listens: the error is SQLAlchemy's all the same
        with pytest.raises(IntegrityError):
            await compiled.run(conn_of(uow), _INSERT, {"name": "a", "n": 1, "at": AT, "data": None})


async def test_statements_are_counted_and_errors_translated(uows: SqlUnitOfWorkFactory) -> None:
    seen: list[str] = []

    def executed(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql.split()[0])

    engine = uows.engine.sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    try:
        async with uows() as uow:
            conn = conn_of(uow)
            await compiled.run(conn, _INSERT, {"name": "a", "n": 1, "at": AT, "data": None})
            await compiled.run(conn, _BY_NAME, {"b_name": "a"})
            with pytest.raises(IntegrityError):
                await compiled.run(conn, _INSERT, {"name": "a", "n": 2, "at": AT, "data": None})
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    sqlite = uows.engine.dialect.name == "sqlite"
    assert seen == ["BEGIN"] * sqlite + ["INSERT", "SELECT", "INSERT"]


async def test_a_lost_connection_is_a_disconnect(uows: SqlUnitOfWorkFactory, url: str) -> None:
    if uows.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's")
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with uows() as uow:
        conn = conn_of(uow)
        pid = (await compiled.run(conn, _PID, {})).rows[0]["pid"]
        other = await asyncpg.connect(dsn)
        try:
            assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await other.close()
        with pytest.raises(DBAPIError) as raised:
            await compiled.run(conn, _BY_NAME, {"b_name": "a"})
        assert raised.value.connection_invalidated
    async with uows() as uow:  # the pool hands out a live connection again
        assert (await compiled.run(conn_of(uow), _BY_NAME, {"b_name": "a"})).rows == []


async def test_a_lock_held_elsewhere_is_waited_for_on_the_loop(
    path: Path, uows: SqlUnitOfWorkFactory
) -> None:
    if uows.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write() -> int:
        async with uows(read_only=True) as uow:  # a deferred BEGIN: the INSERT meets the lock
            row = {"name": "mine", "n": 1, "at": AT, "data": None}
            return (await compiled.run(conn_of(uow), _INSERT, row)).rowcount

    writer = asyncio.create_task(write())
    for _ in range(20):  # the loop keeps serving while the statement waits
        await asyncio.sleep(0.002)
    assert not writer.done()
    other.execute("COMMIT")
    other.close()
    assert await writer == 1


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        (_INSERT, {"name": "a", "n": 1, "at": AT, "data": {"k": 1}}),
        (_BUMP, {"b_max": 3}),  # with a literal (n + 1)
        (update(probe).values(n=None, name=bindparam("b_name")), {"b_name": "x"}),
        (update(probe).values(n=None, name=bindparam("b_name")), {"b_name": "x", "n": 7}),
        (_APPEND, {"b_suffix": "x"}),  # an anonymous literal ("")
        (_APPEND, {"b_suffix": "x", "coalesce_1": "y"}),  # ... given by its name
    ],
)
def test_parameters_are_those_sqlalchemy_binds(statement: Any, params: dict[str, Any]) -> None:
    dialect = InlineDialect()
    planned = compiled.plan(statement, dialect, list(params))
    assert planned is not None
    sa = statement.compile(dialect=dialect, column_keys=list(params))
    by_name = sa.construct_params(params)
    process = sa._bind_processors
    expected = [
        process[n](by_name[n]) if n in process else by_name[n] for n in sa.positiontup or ()
    ]
    assert planned.parameters(params) == expected
    with pytest.raises(InvalidRequestError):
        planned.parameters({})
