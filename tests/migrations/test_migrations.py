"""The Alembic migrations on a fresh database of each backend.

They create exactly the schema of ``regflow.persistence.tables``, come down to
nothing, go up again, and re-running them on a current database changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from regflow.core.model import InvitationLink, Registration, RegistrationStatus, Reserved, Role
from regflow.persistence.database import create_engine
from regflow.persistence.migrate import alembic_config, downgrade, upgrade
from regflow.persistence.tables import metadata
from regflow.persistence.types import UTCDateTime
from regflow.persistence.uow import SqlUnitOfWorkFactory
from support.harness import pg_database

TABLES = set(metadata.tables)
VERSION_TABLE = "alembic_version"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migration applied) of each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    server = os.environ.get("REGFLOW_TEST_DATABASE_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set REGFLOW_TEST_DATABASE_URL to run this backend")
    with pg_database(server, f"regflow_mig_{uuid.uuid4().hex[:10]}") as url:
        yield url


def _snapshot(conn: Connection) -> dict[str, Any]:
    inspector = inspect(conn)
    return {
        "tables": set(inspector.get_table_names()),
        "revision": MigrationContext.configure(conn).get_current_revision(),
        # Autogenerate's view of "migrations vs tables.py". No SQLite type-affinity
        # noise shows up (UTCDateTime compares by its impl), so nothing is filtered.
        "diff": compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        ),
    }


async def _inspect(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_snapshot)
    finally:
        await engine.dispose()


def _head(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


async def _add_registration(url: str) -> str:
    now = datetime.now(UTC)
    registration = Registration(
        id=str(uuid.uuid4()),
        flow="member",
        token_hash="0" * 64,
        status=RegistrationStatus.ACTIVE,
        data={"email": {"email": "kept@example.com"}},
        verified={},
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=1),
    )
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            await uow.registrations.add(registration)
            await uow.commit()
    finally:
        await engine.dispose()
    return registration.id


async def _get_registration(url: str, registration_id: str) -> Registration | None:
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)(read_only=True) as uow:
            return await uow.registrations.get(registration_id)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    empty = await _inspect(fresh_url)
    assert not (empty["tables"] & TABLES) and empty["revision"] is None

    await asyncio.to_thread(upgrade, fresh_url)
    up = await _inspect(fresh_url)
    assert up["tables"] >= TABLES, TABLES - up["tables"]
    assert up["tables"] - TABLES == {VERSION_TABLE}
    assert up["revision"] == _head(fresh_url) is not None
    assert up["diff"] == []

    await asyncio.to_thread(downgrade, fresh_url, "base")
    down = await _inspect(fresh_url)
    assert not (down["tables"] & TABLES), down["tables"] & TABLES
    assert down["revision"] is None

    await asyncio.to_thread(upgrade, fresh_url)
    again = await _inspect(fresh_url)
    assert again["tables"] >= TABLES and again["revision"] == _head(fresh_url)
    assert again["diff"] == []


async def test_upgrade_of_a_current_database_is_a_no_op(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    before = await _inspect(fresh_url)
    kept = await _add_registration(fresh_url)

    await asyncio.to_thread(upgrade, fresh_url)
    after = await _inspect(fresh_url)
    assert after["tables"] == before["tables"]
    assert after["revision"] == before["revision"] == _head(fresh_url)
    assert after["diff"] == []
    row = await _get_registration(fresh_url, kept)
    assert row is not None and row.data == {"email": {"email": "kept@example.com"}}


# registrations as 0014 left them: reserved ids and the invitation inside ``data``
OLD_REGISTRATIONS = sa.table(
    "registrations",
    *(sa.column(name, sa.String) for name in ("id", "flow", "token_hash", "status")),
    sa.column("data", sa.JSON),
    sa.column("verified", sa.JSON),
    sa.column("contract", sa.String),
    sa.column("locale", sa.String),
    *(sa.column(name, UTCDateTime) for name in ("created_at", "updated_at", "expires_at")),
    sa.column("version", sa.Integer),
)
RESERVED = {"account_id": "a-1", "organization_id": "o-1", "join_code": "IN-TU-2026-AB12"}
INVITED = {"id": "i-1", "organization_id": "o-2", "role": "teacher", "email": "t@example.com"}
DATA = {
    "reserving": {"_reserved": RESERVED, "signup": {"email": "o@example.com"}},
    "invited": {"_invitation": INVITED, "basic": {"full_name": "Ravi Kumar"}},
    "plain": {"email": {"email": "p@example.com"}},
}


async def _old_rows(url: str) -> dict[str, str]:
    now = datetime.now(UTC)
    ids = {name: str(uuid.uuid4()) for name in DATA}
    rows = [
        {
            "id": ids[name],
            "flow": "member",
            "token_hash": str(index) * 64,  # one active registration per token
            "status": "active",
            "data": data,
            "verified": {},
            "contract": "native",
            "locale": "en",
            "created_at": now,
            "updated_at": now,
            "expires_at": now + timedelta(hours=1),
            "version": 0,
        }
        for index, (name, data) in enumerate(DATA.items())
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(OLD_REGISTRATIONS), rows)
    finally:
        await engine.dispose()
    return ids


async def _old_data(url: str, registration_id: str) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            query = sa.select(OLD_REGISTRATIONS.c.data).where(
                OLD_REGISTRATIONS.c.id == registration_id
            )
            return (await conn.execute(query)).scalar_one()
    finally:
        await engine.dispose()


async def test_0015_moves_reserved_ids_and_invitations_out_of_data_and_back(
    fresh_url: str,
) -> None:
    await asyncio.to_thread(upgrade, fresh_url, "0014")
    ids = await _old_rows(fresh_url)

    await asyncio.to_thread(upgrade, fresh_url)
    reserving = await _get_registration(fresh_url, ids["reserving"])
    invited = await _get_registration(fresh_url, ids["invited"])
    plain = await _get_registration(fresh_url, ids["plain"])
    assert reserving is not None and invited is not None and plain is not None
    assert reserving.reserved == Reserved("a-1", "o-1", "IN-TU-2026-AB12")
    assert reserving.data == {"signup": {"email": "o@example.com"}}
    assert reserving.invitation is None
    assert invited.invitation == InvitationLink("i-1", "o-2", Role.TEACHER, "t@example.com")
    assert invited.data == {"basic": {"full_name": "Ravi Kumar"}}
    assert invited.reserved == Reserved()
    assert plain.data == DATA["plain"] and plain.reserved == Reserved()
    assert plain.invitation is None

    await asyncio.to_thread(downgrade, fresh_url, "0014")
    for name, data in DATA.items():
        assert await _old_data(fresh_url, ids[name]) == data, name
