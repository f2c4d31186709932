"""Migration 0014 on fixture data: an idempotency record kept before it still replays.

Before 0014 a record held the first answer's status and JSON body (with the
token version under ``_replay_guard``); 0014 keeps that JSON as ``completed``
and drops the status. The codec reads such a body to the same completed value,
and a downgrade gives the body back with its 201.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from regflow.core.model import MembershipStatus, Role
from regflow.persistence.database import create_engine
from regflow.persistence.migrate import downgrade, upgrade
from regflow.persistence.types import UTCDateTime
from regflow.persistence.uow import SqlUnitOfWorkFactory
from regflow.services.completed import decode
from support.harness import pg_database

OLD_RECORDS = sa.table(
    "idempotency_records",
    *(sa.column(name, sa.String) for name in ("scope", "key", "request_hash")),
    sa.column("response_status", sa.Integer),
    sa.column("response_body", sa.JSON),
    sa.column("created_at", UTCDateTime),
)
BODY: dict[str, Any] = {
    "account": {
        "id": "a-1",
        "email": "kept@example.com",
        "email_verified": True,
        "phone": None,
        "phone_verified": False,
        "username": None,
        "first_name": "Kept",
        "last_name": None,
        "created_at": "2026-12-07T09:00:00Z",
    },
    "organization": {"id": "o-1", "name": "Hill School", "slug": "hill-school"},
    "membership": {"role": "member", "status": "pending"},
    "_replay_guard": {"token_version": 4},
}


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


async def _execute(url: str, statement: sa.Executable) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement)
            return result.all() if result.returns_rows else None
    finally:
        await engine.dispose()


async def test_0014_keeps_each_record_as_what_completion_made(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url, "0013")
    scope = str(uuid.uuid4())
    row = {
        "scope": scope,
        "key": "k-1",
        "request_hash": "c" * 64,
        "response_status": 201,
        "response_body": BODY,
        "created_at": datetime.now(UTC),
    }
    await _execute(fresh_url, sa.insert(OLD_RECORDS).values(row))

    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    try:
        async with SqlUnitOfWorkFactory(engine)(read_only=True) as uow:
            record = await uow.idempotency.get(scope, "k-1")
    finally:
        await engine.dispose()
    assert record is not None and record.completed == BODY
    made, token_version = decode(record.completed)
    assert token_version == 4 and made.account.email == "kept@example.com"
    assert made.membership is not None and made.membership.role is Role.MEMBER
    assert made.membership.status is MembershipStatus.PENDING and made.founded is None

    await asyncio.to_thread(downgrade, fresh_url, "0013")
    query = sa.select(OLD_RECORDS.c.response_status, OLD_RECORDS.c.response_body)
    assert await _execute(fresh_url, query) == [(201, BODY)]
