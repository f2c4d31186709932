"""Concurrent requests on one registration: one account, bounded code attempts, never a 500.

Each test fires 20 requests at once through the in-process client, on SQLite
(writers queue on ``BEGIN IMMEDIATE``) and on PostgreSQL (row locks and
optimistic versions under READ COMMITTED).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from regflow.core.model import Channel
from regflow.persistence.tables import funnel_events, verifications
from support.harness import Harness

PARALLEL = 20
MAX_ATTEMPTS = 5  # the default REGFLOW_CODE_MAX_ATTEMPTS


async def _completed_events(harness: Harness, rid: str) -> int:
    await harness.drain_events()
    async with harness.runtime.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(funnel_events)
            .where(funnel_events.c.registration_id == rid, funnel_events.c.kind == "completed")
        )
    return int(count or 0)


async def _account_id(harness: Harness, email: str) -> str | None:
    async with harness.runtime.uow(read_only=True) as uow:
        account = await uow.accounts.get_by_email(email)
    return account.id if account else None


def _problem_codes(responses: list[httpx.Response]) -> Counter[str]:
    return Counter(str(r.json().get("code")) for r in responses if r.status_code != 201)


async def test_parallel_completions_create_one_account(harness: Harness, unique_email: str) -> None:
    rid, auth = await harness.member_until_complete(unique_email)
    url = f"/v1/registrations/{rid}/complete"
    responses = await asyncio.gather(
        *(harness.client.post(url, headers=auth) for _ in range(PARALLEL))
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1, [(r.status_code, r.text) for r in responses]
    assert statuses[409] == PARALLEL - 1, [(r.status_code, r.text) for r in responses]
    assert set(_problem_codes(responses)) <= {"ALREADY_COMPLETED", "IDEMPOTENCY_IN_PROGRESS"}
    winner = next(r for r in responses if r.status_code == 201)
    assert await _account_id(harness, unique_email) == winner.json()["account"]["id"]
    assert await _completed_events(harness, rid) == 1


async def test_parallel_completions_with_one_idempotency_key(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.member_until_complete(unique_email)
    url = f"/v1/registrations/{rid}/complete"
    headers = {**auth, "Idempotency-Key": "race-key-1"}
    responses = await asyncio.gather(
        *(harness.client.post(url, headers=headers) for _ in range(PARALLEL))
    )
    assert all(r.status_code in (201, 409) for r in responses), [
        (r.status_code, r.text) for r in responses
    ]
    created = [r.json() for r in responses if r.status_code == 201]
    assert created, "no request completed the registration"
    ids = {body["account"]["id"] for body in created}
    assert len(ids) == 1, ids
    assert all(body["access_token"] for body in created)
    assert set(_problem_codes(responses)) <= {"IDEMPOTENCY_IN_PROGRESS", "ALREADY_COMPLETED"}
    assert await _account_id(harness, unique_email) == ids.pop()
    assert await _completed_events(harness, rid) == 1
    # once the dust settles the key replays the same account
    again = await harness.client.post(url, headers=headers)
    assert again.status_code == 201 and again.json()["account"] == created[0]["account"]


async def test_parallel_wrong_codes_spend_exactly_the_allowed_attempts(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.start("member")
    c = harness.client
    r = await c.post(
        f"/v1/registrations/{rid}/steps/email", json={"email": unique_email}, headers=auth
    )
    assert r.status_code == 200, r.text
    code = await harness.last_code(unique_email)
    wrong = [f"{(int(code) + i + 1) % 1_000_000:06d}" for i in range(PARALLEL)]
    url = f"/v1/registrations/{rid}/verifications/email/confirm"
    responses = await asyncio.gather(*(c.post(url, json={"code": w}, headers=auth) for w in wrong))
    assert all(400 <= r.status_code < 500 for r in responses), [
        (r.status_code, r.text) for r in responses
    ]
    codes = Counter(str(r.json()["code"]) for r in responses)
    assert set(codes) <= {"INVALID_CODE", "ATTEMPTS_EXCEEDED"}, codes
    # every counted attempt was answered INVALID_CODE, every other one ATTEMPTS_EXCEEDED
    assert codes["INVALID_CODE"] == MAX_ATTEMPTS, codes
    assert codes["ATTEMPTS_EXCEEDED"] == PARALLEL - MAX_ATTEMPTS, codes
    async with harness.runtime.uow(read_only=True) as uow:
        v = await uow.verifications.get_current(rid, Channel.EMAIL)
    assert v is not None
    assert v.attempts == MAX_ATTEMPTS and v.consumed_at is None

    right = await c.post(url, json={"code": code}, headers=auth)
    assert right.status_code == 400 and right.json()["code"] == "ATTEMPTS_EXCEEDED", right.text
    state = await c.get(f"/v1/registrations/{rid}", headers=auth)
    assert state.json()["verified"]["email"] is False


async def test_parallel_email_steps_issue_one_code(harness: Harness, unique_email: str) -> None:
    """Each request reads the code the one before it issued (it waited for the row's lock):
    the same address again within the cooldown keeps that code, so one code and one mail."""
    rid, auth = await harness.start("member")
    url = f"/v1/registrations/{rid}/steps/email"
    responses = await asyncio.gather(
        *(harness.client.post(url, json={"email": unique_email}, headers=auth) for _ in range(8))
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    async with harness.runtime.engine.connect() as conn:
        codes = await conn.scalar(
            select(func.count())
            .select_from(verifications)
            .where(verifications.c.registration_id == rid)
        )
    assert codes == 1
    assert [m.template for m in await harness.outbox() if m.recipient == unique_email] == [
        "verification_code"
    ]
