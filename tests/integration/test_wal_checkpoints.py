"""SQLite's WAL is checkpointed by a thread of its own, not inside a request's COMMIT.

A commit that takes the WAL past SQLite's default 1,000 pages checkpoints on the
committing thread, the event loop here, and syncs the files while every request
waits. An engine made with ``background_checkpoints`` leaves that to a
``WalCheckpointer``; these tests read the ``-wal`` file and SQLite's own
``wal_checkpoint`` answer to see who did the work.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from regflow.app import create_app
from regflow.persistence.database import create_engine
from regflow.persistence.uow import SqlUnitOfWorkFactory
from regflow.persistence.wal import SAFETY_PAGES, WalCheckpointer, sqlite_file
from regflow.settings import Settings

PAGE = 4096
probe = Table("probe", MetaData(), Column("id", Integer, primary_key=True), Column("blob", String))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "wal.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, blob TEXT)")
    return path


def wal_pages(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size // PAGE if wal.exists() else 0


async def write_pages(path: Path, pages: int, *, background: bool) -> None:
    """About ``pages`` pages of rows, one row per unit of work, as requests write them."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=background)
    uows = SqlUnitOfWorkFactory(engine, record_events=False)
    try:
        for _ in range(pages):
            async with uows() as uow:
                assert uow._conn is not None
                await uow._conn.execute(insert(probe).values(blob="x" * 3000))
                await uow.commit()
        assert wal_pages(path) > 0  # still open: the WAL is there
        assert path.with_name(path.name + "-wal").exists()
        sizes.append(wal_pages(path))
    finally:
        await engine.dispose()


sizes: list[int] = []


async def test_commits_checkpoint_at_a_thousand_pages_by_default(path: Path) -> None:
    sizes.clear()
    await write_pages(path, 1500, background=False)
    # SQLite restarted the WAL after the checkpoint a commit ran: it never grew past ~1,000
    assert sizes[-1] < 1100


async def test_with_background_checkpoints_commits_leave_the_wal_alone(path: Path) -> None:
    sizes.clear()
    await write_pages(path, 1500, background=True)
    assert 1500 < sizes[-1] < SAFETY_PAGES  # no commit checkpointed
    # the last connection to close checkpointed the rest: the file alone is the database
    assert not path.with_name(path.name + "-wal").exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM probe").fetchone() == (1500,)


async def test_the_checkpointer_copies_the_wal_while_the_loop_writes(path: Path) -> None:
    checkpointer = WalCheckpointer(str(path), interval=0.01)
    engine = create_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=True)
    uows = SqlUnitOfWorkFactory(engine, record_events=False)
    checkpointer.start()
    try:
        for _ in range(1500):
            async with uows() as uow:
                assert uow._conn is not None
                await uow._conn.execute(insert(probe).values(blob="x" * 3000))
                await uow.commit()
            await asyncio.sleep(0)
        # passes ran beside the writes and SQLite started the WAL over behind them: without
        # a restart it holds every frame written, about three a row (4,557 measured)
        assert wal_pages(path) < 4000
        checkpointer.stop()
        last = WalCheckpointer(str(path))
        busy, pages, copied = last.checkpoint()
        last.stop()
        assert busy == 0 and pages == copied  # nothing is left uncopied
    finally:
        checkpointer.stop()
        await engine.dispose()
    assert not path.with_name(path.name + "-wal").exists()


def test_checkpoint_answers_sqlite_s_counts(path: Path) -> None:
    with sqlite3.connect(path, isolation_level=None) as writer:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        for _ in range(20):
            writer.execute("INSERT INTO probe (blob) VALUES (?)", ("y" * 3000,))
        checkpointer = WalCheckpointer(str(path))
        busy, pages, copied = checkpointer.checkpoint()
        assert busy == 0 and pages >= 20 and copied == pages
        checkpointer.stop()  # never started: nothing to stop, its connection closed


def test_only_a_sqlite_file_gets_a_checkpointer(tmp_path: Path) -> None:
    assert sqlite_file(f"sqlite+aiosqlite:///{tmp_path}/a.db") == f"{tmp_path}/a.db"
    assert sqlite_file("sqlite+aiosqlite://") is None
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://postgres@127.0.0.1/test") is None


async def test_the_server_runs_the_checkpointer_for_its_lifetime(
    migrated_sqlite: Path, tmp_path: Path
) -> None:
    database = tmp_path / "served.db"
    database.write_bytes(migrated_sqlite.read_bytes())
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        data_dir=str(tmp_path / "data"),
        secret_key="s" * 64,
    )
    app = create_app(settings, run_worker=False)
    runtime = app.state.runtime
    assert runtime.checkpointer is not None
    assert runtime.checkpointer.database == str(database)
    before = {t.name for t in threading.enumerate()}
    assert "regflow-wal" not in before
    async with app.router.lifespan_context(app):
        assert "regflow-wal" in {t.name for t in threading.enumerate()}
    assert "regflow-wal" not in {t.name for t in threading.enumerate()}
    assert not database.with_name(database.name + "-wal").exists()
