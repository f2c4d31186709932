"""A registration named by its token's hash is found through the index of live tokens.

Seeds 002, 003 and 004 name a registration by email, so every one of their calls
looks it up by its derived token's hash, always the live one (``status =
'active'``). The partial unique index of live tokens answers that, but only when
``'active'`` is a constant of the statement: SQLite plans a statement once for
every binding, and a prepared PostgreSQL statement settles on a generic plan,
neither of which may use a partial index for a bound status. No other index of
the token hash exists (migration 0018): every new registration wrote one for
nothing.
"""

from __future__ import annotations

import sqlite3

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select

from regflow.persistence import registrations as repo
from regflow.persistence.tables import registrations

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
