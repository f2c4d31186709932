"""PostgreSQL's pool pings a connection only after it sat idle, and replaces a dead one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.persistence import database
from regflow.persistence.database import create_engine
from regflow.persistence.uow import SqlUnitOfWork, SqlUnitOfWorkFactory


def connection(uow: SqlUnitOfWork) -> AsyncConnection:
    assert uow._conn is not None
    return uow._conn


async def _backend(uows: SqlUnitOfWorkFactory) -> int:
    async with uows(read_only=True) as uow:
        return int(await connection(uow).scalar(text("SELECT pg_backend_pid()")))


async def _terminate(url: str, pid: int) -> None:
    killer = create_engine(url)
    try:
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            gone = "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"
            while await conn.scalar(text(gone), {"pid": pid}):
                await asyncio.sleep(0.01)
    finally:
        await killer.dispose()


async def test_an_idle_connection_that_died_is_replaced(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_IDLE_SECONDS", 0.0)  # every pooled connection: idle
    engine = create_engine(pg_url)
    uows = SqlUnitOfWorkFactory(engine, record_events=False)
    try:
        first = await _backend(uows)
        await _terminate(pg_url, first)  # the server restarted, or dropped the idle link
        assert await _backend(uows) != first  # pinged, found dead, replaced: no error
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_reused_without_a_ping(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(pg_url)
    uows = SqlUnitOfWorkFactory(engine, record_events=False)
    pings: list[object] = []
    try:
        first = await _backend(uows)
        async with engine.connect() as conn:
            adapted: Any = type((await conn.get_raw_connection()).dbapi_connection)
        ping = adapted.ping

        def counted(self: object) -> None:
            pings.append(self)
            ping(self)

        monkeypatch.setattr(adapted, "ping", counted)
        assert await _backend(uows) == first
        assert pings == []
        monkeypatch.setattr(database, "PING_IDLE_SECONDS", 0.0)
        assert await _backend(uows) == first  # idle now: pinged, alive, kept
        assert len(pings) == 1
    finally:
        await engine.dispose()
