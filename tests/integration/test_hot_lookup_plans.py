"""Hot lookups search the partial index made for them: live tokens, sent SMS.

Seeds 002, 003 and 004 name a registration by email, so every one of their calls
looks it up by its derived token's hash, always the live one (``status =
'active'``). The partial unique index of live tokens answers that, but only when
``'active'`` is a constant of the statement: SQLite plans a statement once for
every binding, and a prepared PostgreSQL statement settles on a generic plan,
neither of which may use a partial index for a bound status. No other index of
the token hash exists (migration 0018): every new registration wrote one for
nothing.

The SMS budget counts the SMS sent since a moment (``kind = 'sms'``, a constant
too) through the partial index of SMS (migration 0019), which a mail's insert and
delivery leave alone.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select

from regflow.persistence import registrations as repo
from regflow.persistence.database import create_engine
from regflow.persistence.tables import outbox_messages, registrations
from regflow.persistence.uow import SqlUnitOfWorkFactory

LOOKUPS = {
    "find_active": repo._FIND_ACTIVE,
    "find_active_with_challenges": repo._FIND_ACTIVE_WITH_CHALLENGES,
}
ACTIVE_INDEX = "uq_registrations_active_token_hash"
TOKEN_HASH = "0" * 64


def test_the_token_hash_has_only_the_index_of_live_tokens() -> None:
    indexed = {i.name for i in registrations.indexes if "token_hash" in i.columns}
    assert indexed == {ACTIVE_INDEX}


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_sqlite_searches_the_live_token_index(sqlite_url: str, name: str) -> None:
    statement: Select[tuple[object, ...]] = LOOKUPS[name]
    sql = str(statement.compile(dialect=sqlite.dialect()))
    with sqlite3.connect(make_url(sqlite_url).database or "") as conn:
        plan = [
            row[-1]
            for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", [TOKEN_HASH] * sql.count("?"))
        ]
    assert any(f"USING INDEX {ACTIVE_INDEX} (token_hash=?)" in step for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(LOOKUPS))
async def test_a_prepared_postgresql_lookup_searches_the_live_token_index(
    pg_url: str, name: str
) -> None:
    statement: Select[tuple[object, ...]] = LOOKUPS[name]
    dialect = postgresql.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
    sql = str(statement.compile(dialect=dialect))
    url = make_url(pg_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")  # as once prepared
        await conn.execute("SET enable_seqscan = off")
        await conn.execute(f"PREPARE lookup AS {sql}")
        # the token hash, then the LIMIT
        rows = await conn.fetch(f"EXPLAIN EXECUTE lookup('{TOKEN_HASH}', 1)")
    finally:
        await conn.close()
    plan = "\n".join(row[0] for row in rows)
    assert ACTIVE_INDEX in plan, plan


SMS_INDEX = "ix_outbox_sms_sent"


def test_only_sms_are_indexed_by_their_sending_time() -> None:
    indexed = {i.name for i in outbox_messages.indexes if "sent_at" in i.columns}
    assert indexed == {SMS_INDEX}


async def _budget_statements(url: str) -> list[tuple[str, Any]]:
    """The SMS budget's counts (everywhere, and in one country) as the driver got them."""
    engine = create_engine(url)
    sent: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        sent.append((sql, params))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with SqlUnitOfWorkFactory(engine, record_events=False)(read_only=True) as uow:
            since = datetime(2026, 12, 1, tzinfo=UTC)
            assert await uow.outbox.sms_sent_since(since) == 0
            assert await uow.outbox.sms_sent_since(since, "+1") == 0
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
        await engine.dispose()
    counts = [(sql, params) for sql, params in sent if "count(" in sql.lower()]
    assert len(counts) == 2
    return counts


async def test_sqlite_counts_sent_sms_through_their_index(sqlite_url: str) -> None:
    for sql, params in await _budget_statements(sqlite_url):
        with sqlite3.connect(make_url(sqlite_url).database or "") as conn:
            plan = [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        assert any(f"INDEX {SMS_INDEX} (sent_at>?)" in step for step in plan), plan


def _literal(value: Any) -> str:
    return "'" + (value.isoformat() if isinstance(value, datetime) else str(value)) + "'"


@pytest.mark.postgres
async def test_a_prepared_postgresql_count_of_sent_sms_searches_their_index(
    pg_url: str,
) -> None:
    url = make_url(pg_url).set(drivername="postgresql")
    for n, (sql, params) in enumerate(await _budget_statements(pg_url)):
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            await conn.execute("SET plan_cache_mode = force_generic_plan")  # as once prepared
            await conn.execute("SET enable_seqscan = off")
            await conn.execute(f"PREPARE budget{n} AS {sql}")
            arguments = ", ".join(_literal(p) for p in params)
            rows = await conn.fetch(f"EXPLAIN EXECUTE budget{n}({arguments})")
        finally:
            await conn.close()
        plan = "\n".join(row[0] for row in rows)
        assert SMS_INDEX in plan, plan
