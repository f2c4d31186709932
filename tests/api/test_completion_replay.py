"""Replaying completion with its ``Idempotency-Key`` never outlives what the token stands for.

A replay answers the first body with a fresh access token; it re-checks, on both
databases, that the account is still active, that its token version is the one
at completion (a bump revokes every earlier token, so a replay must not mint a
new one) and that the registration is not past its lifetime.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from support.harness import Harness


async def completed(h: Harness, email: str) -> tuple[str, dict[str, str]]:
    rid, auth = await h.member_until_complete(email)
    headers = {**auth, "Idempotency-Key": "replay-1"}
    first = await h.client.post(f"/v1/registrations/{rid}/complete", headers=headers)
    assert first.status_code == 201, first.text
    again = await h.client.post(f"/v1/registrations/{rid}/complete", headers=headers)
    assert again.status_code == 201 and again.json()["access_token"]
    assert (
        "_replay_guard" not in again.json() and again.json()["account"] == first.json()["account"]
    )
    return rid, headers


async def change(h: Harness, email: str, assignment: str) -> None:
    async with h.runtime.engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE accounts SET {assignment} WHERE email = :email"),  # noqa: S608 - fixed
            {"email": email},
        )


@pytest.mark.parametrize("assignment", ["token_version = token_version + 1", "status = 'disabled'"])
async def test_no_fresh_token_once_the_account_changed(
    harness: Harness, unique_email: str, assignment: str
) -> None:
    rid, headers = await completed(harness, unique_email)
    await change(harness, unique_email, assignment)
    r = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=headers)
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_COMPLETED"
    assert "access_token" not in r.json()


async def test_no_fresh_token_once_the_registration_expired(
    harness: Harness, unique_email: str
) -> None:
    rid, headers = await completed(harness, unique_email)
    ctx = harness.runtime.services.ctx
    now = ctx.clock()
    ctx.clock = lambda: now + timedelta(hours=1, seconds=1)
    r = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=headers)
    assert r.status_code == 410 and r.json()["code"] == "REGISTRATION_EXPIRED"
    assert "access_token" not in r.json()
