"""PostgreSQL drops every connection (a restart, a failover): the service reconnects.

Connections are not pinged before each use (three round trips with asyncpg), so the one
request that meets a dropped connection is answered 503 with Retry-After and writes
nothing; the disconnect retires the rest of the pool, and the next requests succeed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from regflow.persistence.tables import registrations
from support.harness import Harness, make_settings, started_app

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_harness(pg_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with started_app(make_settings(pg_url, tmp_path)) as h:
        yield h


async def drop_every_connection(pg_url: str) -> int:
    url = make_url(pg_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        dropped = await conn.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()) AS t",
            url.database,
        )
    finally:
        await conn.close()
    return int(dropped)


async def count_registrations(h: Harness) -> int:
    async with h.runtime.engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(registrations))).scalar_one()
        )


async def test_requests_after_the_server_drops_its_connections_succeed(
    pg_harness: Harness, pg_url: str
) -> None:
    h, c = pg_harness, pg_harness.client
    # several pooled connections, as under load
    for _ in range(3):
        assert (await c.post("/v1/registrations", json={"flow": "member"})).status_code == 201
    before = await count_registrations(h)
    assert await drop_every_connection(pg_url) >= 1
    statuses = []
    for _ in range(4):
        response = await c.post("/v1/registrations", json={"flow": "member"})
        statuses.append(response.status_code)
        if response.status_code == 503:
            assert response.headers["retry-after"] == "5"
            assert response.json()["code"] == "DATABASE_UNAVAILABLE"
    # at most the first meets a dropped connection; none is a 500
    assert statuses[1:] == [201, 201, 201], statuses
    assert statuses[0] in (201, 503), statuses
    # the refused request wrote nothing
    assert await count_registrations(h) - before == statuses.count(201)
