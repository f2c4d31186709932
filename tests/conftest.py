"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured) and the app.

``REGFLOW_TEST_DATABASE_URL`` names a PostgreSQL server; each test session
creates its own database there and drops it at the end. Each test that asks for
SQLite gets a database file of its own, a copy of one the migrations built once
per test process (tests/migrations run the migrations themselves).

Files run longest first (``make test`` hands whole files to its workers in this
order): those that start the service, a browser or other processes, then the
others by their number of tests, so that no long file starts last and runs alone.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from regflow.persistence.migrate import upgrade
from support.harness import Harness, make_settings, pg_database, started_app

TESTS = Path(__file__).resolve().parent
# what starts real processes (the service, Chromium, npm, workers) and takes longest
SLOW_FIRST = ("browser", "e2e", "integration", "fuzz")
PG_URL = os.environ.get("REGFLOW_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("REGFLOW_TEST_REDIS_URL")
PG_SKIP = "PostgreSQL not configured: set REGFLOW_TEST_DATABASE_URL to run this backend"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole files, longest first: ``SLOW_FIRST`` as collected, then the others by size."""
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path, []).append(item)

    def weight(path: Path) -> tuple[int, int]:
        inside = path.relative_to(TESTS).parts if path.is_relative_to(TESTS) else ()
        return (0, 0) if inside and inside[0] in SLOW_FIRST else (1, -len(files[path]))

    items[:] = [item for path in sorted(files, key=weight) for item in files[path]]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    with pg_database(PG_URL, f"regflow_test_{uuid.uuid4().hex[:10]}") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the migrations' head, built once; tests get copies of it."""
    path = tmp_path_factory.mktemp("migrated") / "regflow.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    # the engine checkpoints its WAL when it closes: the file alone is the whole database
    assert not path.with_name(path.name + "-wal").exists()
    return path


def fresh_sqlite(template: Path, tmp_path: Path) -> str:
    """A database of this test's own: a copy of the migrated file."""
    path = tmp_path / "regflow.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of each backend."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return fresh_sqlite(request.getfixturevalue("migrated_sqlite"), tmp_path)


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
    yield fresh_sqlite(request.getfixturevalue("migrated_sqlite"), tmp_path)


@pytest.fixture
def sqlite_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    return fresh_sqlite(migrated_sqlite, tmp_path)


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
