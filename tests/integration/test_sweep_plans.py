"""Every statement the sweep runs finds its rows through an index, on SQLite and PostgreSQL.

The sweep runs every minute in ``regflow worker``, each batch in a write
transaction (on SQLite one that holds every request's write back), so a pick that
reads a whole table makes every request wait for it. Here one pass of the real
sweep runs over a database holding many live rows of every kind and a few that
ran out; each statement it sent is then explained as the driver got it, with its
parameters:

- SQLite (``EXPLAIN QUERY PLAN``, no statistics, as the service runs): every table
  is searched (``SEARCH``); a ``SCAN`` only of a partial index, which holds only
  the rows the sweep is after;
- PostgreSQL (``EXPLAIN``, after ``ANALYZE``, with ``enable_seqscan`` off): no
  ``Seq Scan``, and every index scan has an index condition or a partial index.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import Registration, RegistrationStatus
from regflow.persistence import tables as t
from regflow.services.sweep import Sweep
from support.harness import Harness, make_settings, started_app

NOW = datetime.now(UTC).replace(microsecond=0)
LATER = NOW + timedelta(hours=1)  # still good
AGO = NOW - timedelta(days=2)  # ran out, past every grace the sweep allows
LIVE = 1000  # live rows per table: enough for PostgreSQL to plan as on a real database
SWEPT = {  # every table the sweep reads
    "registrations",
    "funnel_events",
    "oauth_codes",
    "oauth_refresh_tokens",
    "login_sessions",
    "mfa_challenges",
    "totp_credentials",
    "email_changes",
    "password_resets",
}
PARTIAL = {
    index.name
    for table in t.metadata.tables.values()
    for index in table.indexes
    if index.dialect_options["sqlite"]["where"] is not None
    and index.dialect_options["postgresql"]["where"] is not None
}

INDEXED = {i.name: name for name, table in t.metadata.tables.items() for i in table.indexes}


def _id() -> str:
    return str(uuid.uuid4())


def _hex() -> str:
    return uuid.uuid4().hex * 2


def _rows(accounts: list[str]) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """Live rows of every kind the sweep reads, and one or more of each that ran out."""
    yield (
        t.registrations,
        [
            {
                "id": _id(),
                "flow": "member",
                "token_hash": _hex(),
                "status": "active",
                "data": {},
                "verified": {},
                "contract": "native",
                "locale": "en",
                "created_at": NOW,
                "updated_at": NOW,
                "expires_at": LATER,
                "version": 0,
            }
            for _ in accounts
        ],
    )
    common = {"registration_id": _id(), "flow": "member", "contract": "native"}
    yield (
        t.funnel_events,
        [{**common, "kind": "started", "at": NOW} for _ in accounts]
        + [{**common, "kind": "started", "at": AGO - timedelta(days=365)}],
    )
    grant = {"client_id": "app", "scope": "openid", "auth_time": AGO, "amr": ["pwd"]}
    yield (
        t.oauth_codes,
        [
            {
                **grant,
                "code_hash": _hex(),
                "account_id": a,
                "redirect_uri": "https://app.test/cb",
                "created_at": ends - timedelta(minutes=1),
                "expires_at": ends,
            }
            for a, ends in [(a, LATER) for a in accounts] + [(accounts[0], AGO)]
        ],
    )
    yield (
        t.oauth_refresh_tokens,
        [
            {
                **grant,
                "id": _id(),
                "token_hash": _hex(),
                "family_id": _id(),
                "account_id": a,
                "token_version": 0,
                "created_at": AGO,
                "expires_at": ends,
                "revoked_at": revoked,
            }
            for a, ends, revoked in [(a, LATER, None) for a in accounts]
            + [(accounts[0], AGO, None), (accounts[0], LATER, AGO)]
        ],
    )
    yield (
        t.login_sessions,
        [
            {
                "id": _id(),
                "account_id": a,
                "token_hash": _hex(),
                "token_version": 0,
                "amr": ["pwd"],
                "created_at": AGO,
                "last_seen_at": seen,
                "expires_at": ends,
                "revoked_at": revoked,
            }
            for a, seen, ends, revoked in [(a, NOW, LATER, None) for a in accounts]
            + [
                (accounts[0], AGO, AGO, None),  # ended
                (accounts[0], AGO, LATER, None),  # idle
                (accounts[0], NOW, LATER, AGO),  # revoked
            ]
        ],
    )
    yield (
        t.mfa_challenges,
        [
            {
                "id": _id(),
                "token_hash": _hex(),
                "account_id": a,
                "purpose": "verify",
                "created_at": ends - timedelta(minutes=5),
                "expires_at": ends,
                "attempts": 0,
            }
            for a, ends in [(a, LATER) for a in accounts] + [(accounts[0], AGO)]
        ],
    )
    yield (
        t.totp_credentials,
        [  # confirmed ones but the last: a set-up abandoned two days ago
            {"account_id": a, "sealed_secret": "sealed", "created_at": AGO, "confirmed_at": AGO}
            for a in accounts[:-1]
        ]
        + [
            {
                "account_id": accounts[-1],
                "sealed_secret": "sealed",
                "created_at": AGO,
                "confirmed_at": None,
            }
        ],
    )
    code = {"code_hmac": _hex(), "attempts": 0}
    yield (
        t.email_changes,
        [
            {
                **code,
                "id": _id(),
                "account_id": a,
                "new_email": f"new-{a}@example.com",
                "created_at": ends - timedelta(minutes=15),
                "expires_at": ends,
                "resend_available_at": ends - timedelta(minutes=14),
            }
            for a, ends in [(a, LATER) for a in accounts[:-1]] + [(accounts[-1], AGO)]
        ],
    )
    yield (
        t.password_resets,
        [
            {
                **code,
                "id": _id(),
                "email_key": _hex(),
                "link_hash": _hex(),
                "created_at": ends - timedelta(minutes=15),
                "expires_at": ends,
                "resend_available_at": ends - timedelta(minutes=14),
            }
            for ends in [LATER] * len(accounts) + [AGO]
        ],
    )


@pytest.fixture
async def h(own_db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    # a database of its own: PostgreSQL's statistics are of these rows only
    async with started_app(make_settings(own_db_url, tmp_path)) as harness:
        harness.runtime.services.ctx.clock = lambda: NOW
        async with harness.runtime.engine.begin() as conn:
            accounts = [_id() for _ in range(LIVE)]
            await conn.execute(
                insert(t.accounts),
                [
                    {
                        "id": a,
                        "email": f"plan-{a}@example.com",
                        "password_hash": "x",
                        "token_version": 0,
                        "status": "active",
                        "created_at": AGO,
                    }
                    for a in accounts
                ],
            )
            for table, rows in _rows(accounts):
                await conn.execute(insert(table), rows)
        async with harness.runtime.uow() as uow:  # one abandoned: the sweep expires it
            await uow.registrations.add(
                Registration(
                    id=_id(),
                    flow="member",
                    token_hash=_hex(),
                    status=RegistrationStatus.ACTIVE,
                    data={},
                    verified={},
                    created_at=AGO,
                    updated_at=AGO,
                    expires_at=AGO + timedelta(hours=1),
                )
            )
            await uow.commit()
        yield harness


async def _sweep_statements(h: Harness) -> list[tuple[str, Any]]:
    """One pass of the sweep as ``regflow worker`` runs it: each statement it sent, with
    its (first set of) parameters."""
    sent: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        sent.append((sql, params[0] if many else params))

    sync = h.runtime.engine.sync_engine
    event.listen(sync, "before_cursor_execute", seen)
    try:
        result = await Sweep(h.runtime.services.ctx, retention=timedelta(days=180)).run_once()
    finally:
        event.remove(sync, "before_cursor_execute", seen)
    # every kind of row that ran out went: each statement found rows to act on
    assert (result.expired, result.moved, result.pruned, result.removed) == (1, 1, 1, 10)
    return [(sql, params) for sql, params in sent if re.match(r"\s*(SELECT|UPDATE|DELETE)", sql)]


_SQLITE_STEP = re.compile(r"(SCAN|SEARCH) (\w+)(?: AS \w+)?(?: USING (?:COVERING )?INDEX (\w+))?")


async def _sqlite_reads(conn: AsyncConnection, sql: str, params: Any) -> list[tuple[str, str]]:
    """(table, "") for each table the plan reads through an index it searches; (table,
    the step) for one it reads whole."""
    plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(params))
    reads = []
    for row in plan:
        detail = str(row._mapping["detail"])
        step = _SQLITE_STEP.match(detail)
        if step and step[2] in t.metadata.tables:
            searched = step[1] == "SEARCH" or step[3] in PARTIAL
            reads.append((step[2], "" if searched else detail))
    return reads


def _pg_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


async def _pg_reads(conn: AsyncConnection, sql: str, params: Any) -> list[tuple[str, str]]:
    """As ``_sqlite_reads``: a ``Seq Scan``, or an index scan with neither a condition
    nor a partial index, is a read of the whole table (or index)."""
    plan = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", tuple(params))).scalar_one()
    if isinstance(plan, str):  # the engine's connections decode json; a bare one may not
        plan = json.loads(plan)
    reads = []
    for node in _pg_nodes(plan[0]["Plan"]):
        kind = node["Node Type"]
        if kind == "Seq Scan":
            reads.append((node["Relation Name"], f"Seq Scan on {node['Relation Name']}"))
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            name = node["Index Name"]
            table = node.get("Relation Name") or INDEXED[name]
            searched = "Index Cond" in node or name in PARTIAL
            reads.append((table, "" if searched else f"{kind} on {name}, no condition"))
    return reads


async def test_every_statement_of_the_sweep_searches_an_index(h: Harness) -> None:
    statements = await _sweep_statements(h)
    postgres = h.runtime.engine.dialect.name == "postgresql"
    read: set[str] = set()
    unindexed = []
    async with h.runtime.engine.connect() as conn:
        if postgres:
            await conn.exec_driver_sql("ANALYZE")
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for sql, params in statements:
            reads = await (_pg_reads if postgres else _sqlite_reads)(conn, sql, params)
            read |= {table for table, _ in reads}
            unindexed += [f"{how}\n    in {sql}" for _, how in reads if how]
    assert read == SWEPT
    assert not unindexed, "\n".join(unindexed)
