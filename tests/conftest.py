"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured) and the app.

``REGFLOW_TEST_DATABASE_URL`` names a PostgreSQL server; each test session
creates its own database there and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from regflow.persistence.migrate import upgrade
from support.harness import Harness, make_settings, pg_database, started_app

PG_URL = os.environ.get("REGFLOW_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("REGFLOW_TEST_REDIS_URL")
PG_SKIP = "PostgreSQL not configured: set REGFLOW_TEST_DATABASE_URL to run this backend"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    with pg_database(PG_URL, f"regflow_test_{uuid.uuid4().hex[:10]}") as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of each backend."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'regflow.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each backend that no other test writes to (for tests that
    count everything in a time window); on PostgreSQL a fresh database, dropped after."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(PG_SKIP)
        with pg_database(PG_URL, f"regflow_own_{uuid.uuid4().hex[:10]}") as url:
            upgrade(url)
            yield url
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'regflow.db'}"
    upgrade(url)
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'regflow.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def harness(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The app in-process over ``httpx.ASGITransport``, on each backend."""
    async with started_app(make_settings(db_url, tmp_path)) as h:
        yield h


@pytest.fixture
async def sqlite_harness(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with started_app(make_settings(sqlite_url, tmp_path)) as h:
        yield h


@pytest.fixture
def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"
