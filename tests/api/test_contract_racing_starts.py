"""Racing first requests for one address start one registration (seeds 002, 003, 004).

The email-named contracts used to check for a live registration and then
insert one, so parallel first calls for the same address (on PostgreSQL)
could both insert: two pending registrations, two codes, and whichever the
lookup found next decided. A partial unique index now keeps one active
registration per token; the losers are answered as later requests are (and
contest the registration when they ask for another password). On SQLite and
PostgreSQL, with the requests really in flight together.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from support.harness import Harness

RACERS = 8


def address() -> str:
    return f"racer-{uuid.uuid4().hex[:10]}@example.com"


async def active(h: Harness, contract: str) -> list[tuple[str, bool]]:
    async with h.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, contested FROM registrations"
                " WHERE status = 'active' AND contract = :contract"
            ),
            {"contract": contract},
        )
        return [(str(r[0]), bool(r[1])) for r in rows]


async def race(h: Harness, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(h.client.post(path, json=b) for b in bodies)))


async def mails_to(h: Harness, email: str) -> int:
    return sum(1 for m in await h.outbox() if m.recipient == email)


async def test_racing_register_pending_start_one_registration(harness: Harness) -> None:
    email, before = address(), await active(harness, "pending")
    bodies = [{"email": email, "password": f"Racer#{i}pass{i:02d}"} for i in range(RACERS)]
    answers = await race(harness, "/api/auth/register-pending", bodies)
    assert [r.status_code for r in answers] == [200] * RACERS, [r.text for r in answers]
    new = [row for row in await active(harness, "pending") if row not in before]
    # one registration, contested: the racers asked for different passwords
    assert len(new) == 1 and new[0][1] is True, new
    assert await mails_to(harness, email) == 1
    code = await harness.last_code(email)
    harness.client.cookies.clear()  # confirmed by none of the racers' clients
    r = await harness.client.post(
        "/api/auth/verify-and-create", json={"email": email, "verificationCode": code}
    )
    assert r.status_code == 201, r.text
    for body in bodies:  # no racer's password was kept
        r = await harness.client.post("/v1/sessions", json=body)
        assert r.status_code == 401
    messages = [m for m in await harness.outbox() if m.recipient == email]
    assert [m.template for m in messages].count("password_choose") == 1


async def test_racing_oneshot_registers_start_one_registration(harness: Harness) -> None:
    email, before = address(), await active(harness, "oneshot")
    bodies = [
        {
            "email": email,
            "password": "SecureP@ss123",  # the same password: only the organizations differ
            "firstName": "Rita",
            "lastName": "Racer",
            "organizationName": f"Racing Works {i}",
        }
        for i in range(RACERS)
    ]
    answers = await race(harness, "/api/v1/auth/register", bodies)
    assert [r.status_code for r in answers] == [201] * RACERS
    assert len({r.text for r in answers}) == 1  # one answer for all
    new = [row for row in await active(harness, "oneshot") if row not in before]
    assert len(new) == 1 and new[0][1] is True, new
    assert await mails_to(harness, email) == 1


async def test_racing_identical_requests_do_not_contest(harness: Harness) -> None:
    """The same request sent twice at once (a double click) is one person: nothing contested,
    the password kept."""
    email, before = address(), await active(harness, "pending")
    body = {"email": email, "password": "Double#Click42"}
    answers = await race(harness, "/api/auth/register-pending", [body] * 4)
    assert [r.status_code for r in answers] == [200] * 4
    new = [row for row in await active(harness, "pending") if row not in before]
    assert len(new) == 1 and new[0][1] is False, new
    code = await harness.last_code(email)
    r = await harness.client.post(
        "/api/auth/verify-and-create", json={"email": email, "verificationCode": code}
    )
    assert r.status_code == 201, r.text
    r = await harness.client.post("/v1/sessions", json=body)
    assert r.status_code == 200, r.text


async def test_racing_send_code_requests_start_one_registration(harness: Harness) -> None:
    email, before = address(), await active(harness, "verify_first")
    answers = await race(harness, "/auth/send-verification-code", [{"email": email}] * RACERS)
    assert [r.status_code for r in answers] == [200] * RACERS
    new = [row for row in await active(harness, "verify_first") if row not in before]
    assert len(new) == 1, new
    assert await mails_to(harness, email) == 1
