"""A contract request that is refused writes nothing: no registration, no event, no mail.

Every contract call that starts a registration validates its first step before
anything is written (``services/signups.py``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from support.harness import Harness

TABLES = ("registrations", "verifications", "outbox_messages", "funnel_events", "accounts")


def fresh() -> str:
    return f"refused-{uuid.uuid4().hex[:10]}@example.com"


REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("/auth/initiate-registration", {"email": "not-an-email"}),
    ("/auth/initiate-registration", {"email": "a@" + "b" * 300 + ".com"}),
    ("/api/auth/register-pending", {"email": fresh(), "password": "weakpass"}),
    ("/api/auth/register-pending", {"email": "nope", "password": "Test1234!"}),
    (
        "/api/v1/auth/register",
        {
            "email": fresh(),
            "password": "SecureP@ss123",
            "firstName": "John",
            "lastName": "Doe",
            "organizationName": "Dashboard",  # reserved: refused by the flow, not the adapter
        },
    ),
    (
        "/api/v1/auth/register",
        {"email": fresh(), "password": "x", "firstName": "J", "organizationName": "Ac"},
    ),
    ("/auth/send-verification-code", {"email": "not-an-email"}),
    ("/auth/register", {"email": fresh(), "password": "SecurePass123!", "name": "J D"}),
]


async def counts(h: Harness) -> dict[str, int]:
    await h.drain_events()  # events riding on registrations land in funnel_events
    async with h.runtime.engine.connect() as conn:
        return {
            table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608 - fixed names
            for table in TABLES
        }


@pytest.mark.parametrize(("path", "body"), REFUSED, ids=[p for p, _ in REFUSED])
async def test_a_refused_request_writes_nothing(
    harness: Harness, path: str, body: dict[str, Any]
) -> None:
    before = await counts(harness)
    r = await harness.client.post(path, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["success"] is False
    assert await counts(harness) == before
