"""SQLite units of work call ``sqlite3`` directly, and still wait for other processes' locks.

A second ``sqlite3`` connection stands for another process (a worker, a second API
process): while it holds the write lock, a unit of work that writes waits on the
event loop (other coroutines run) and goes on once the lock is free, with no
"database is locked".
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.persistence.database import create_engine
from regflow.persistence.sqlite_inline import DirectConnection
from regflow.persistence.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

probe = Table(
    "probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True),
    Column("n", Integer),
)


def connection(uow: SqlUnitOfWork) -> AsyncConnection:
    assert uow._conn is not None
    return uow._conn


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "direct.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)")
    return path


@pytest.fixture
async def uows(path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield SqlUnitOfWorkFactory(engine, record_events=False)
    finally:
        await engine.dispose()


async def test_a_writer_waits_for_another_connections_lock_on_the_loop(
    path: Path, uows: SqlUnitOfWorkFactory
) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, as another process would hold it
    other.execute("INSERT INTO probe (name, n) VALUES ('other', 1)")

    async def write() -> None:
        async with uows() as uow:
            assert isinstance(connection(uow), DirectConnection)
            await connection(uow).execute(insert(probe).values(name="mine", n=2))
            await uow.commit()

    ticks = 0
    writer = asyncio.create_task(write())
    while ticks < 20:  # the loop keeps serving while the writer waits
        await asyncio.sleep(0.002)
        ticks += 1
    assert not writer.done()
    other.execute("COMMIT")
    await writer  # no "database is locked": it waited, then wrote
    other.close()

    async with uows(read_only=True) as uow:
        rows = (await connection(uow).execute(select(probe.c.name).order_by(probe.c.id))).all()
    assert [r.name for r in rows] == ["other", "mine"]


async def test_a_reader_does_not_wait_for_a_writer(path: Path, uows: SqlUnitOfWorkFactory) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO probe (name, n) VALUES ('uncommitted', 1)")
    try:
        async with uows(read_only=True) as uow:  # WAL: readers see the last commit
            count = await connection(uow).scalar(text("SELECT count(*) FROM probe"))
        assert count == 0
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_update_returning_counts_the_rows_it_wrote(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        conn = connection(uow)
        await conn.execute(insert(probe), [{"name": "a", "n": 1}, {"name": "b", "n": 1}])
        result = await conn.execute(update(probe).values(n=probe.c.n + 1).returning(probe.c.n))
        assert result.rowcount == 2
        assert sorted(r.n for r in result) == [2, 2]
        await uow.commit()


async def test_a_savepoint_rolls_back_alone(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        conn = connection(uow)
        await conn.execute(insert(probe).values(name="kept", n=1))
        with pytest.raises(IntegrityError):
            async with conn.begin_nested():
                await conn.execute(insert(probe).values(name="twice", n=1))
                await conn.execute(insert(probe).values(name="twice", n=2))
        await uow.commit()

    async with uows(read_only=True) as uow:
        names = (await connection(uow).scalars(select(probe.c.name))).all()
    assert names == ["kept"]


async def test_leaving_without_commit_rolls_back(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        await connection(uow).execute(insert(probe).values(name="dropped", n=1))
    async with uows(read_only=True) as uow:
        assert await connection(uow).scalar(text("SELECT count(*) FROM probe")) == 0
