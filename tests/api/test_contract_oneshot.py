"""Seed 003 (oneshot): validation messages, reserved slugs, enumeration-proof 201, verify, login."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from regflow.core import cryptokit
from regflow.core.model import Channel
from support.contracts import funnel_kinds, native_login
from support.harness import Harness, make_settings, started_app

PASSWORD = "SecureP@ss123"


def form(email: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "password": PASSWORD,
        "firstName": "John",
        "lastName": "Doe",
        "organizationName": "Acme Insurance Co",
        **extra,
    }


async def test_validation_details_with_the_seed_messages(sqlite_harness: Harness) -> None:
    r = await sqlite_harness.client.post(
        "/api/v1/auth/register",
        json={
            "email": "x" * 321,
            "password": "secret",
            "firstName": "J",
            "lastName": "D0e",
            "organizationName": "Ac",
        },
    )
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False and body["error"] == "VALIDATION_ERROR"
    assert body["message"] == "Validation failed"
    details = {(d["path"], d["message"]) for d in body["details"]}
    assert ("email", "Email must be at most 320 characters") in details
    assert ("password", "Password must be at least 8 characters") in details
    assert ("password", "Password must contain at least one uppercase letter") in details
    assert ("password", "Password must contain at least one number") in details
    assert ("password", "Password must contain at least one special character") in details
    assert ("firstName", "First name must be at least 2 characters") in details
    assert (
        "lastName",
        "Last name can only contain letters, spaces, hyphens, and apostrophes",
    ) in details
    assert ("organizationName", "Organization name must be at least 3 characters") in details


async def test_reserved_slug(sqlite_harness: Harness, unique_email: str) -> None:
    r = await sqlite_harness.client.post(
        "/api/v1/auth/register", json=form(unique_email, organizationName="Dashboard")
    )
    assert r.status_code == 400
    assert r.json() == {
        "success": False,
        "message": "This organization name is reserved",
        "error": "RESERVED_SLUG",
    }


async def test_known_email_gets_the_same_answer_and_a_different_mail(
    sqlite_harness: Harness, unique_email: str
) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    first = await c.post("/api/v1/auth/register", json=form(f"  {unique_email.upper()} "))
    assert first.status_code == 201
    data = first.json()["data"]
    assert data["email"] == unique_email
    uuid.UUID(data["userId"]) and uuid.UUID(data["organizationId"])
    code = await h.last_code(unique_email)
    wrong = "000000" if code != "000000" else "111111"
    r = await c.post("/api/v1/auth/verify-email", json={"email": unique_email, "code": wrong})
    assert r.status_code == 400 and r.json()["error"] == "INVALID_CODE"
    r = await c.post("/api/v1/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["userId"] == data["userId"]
    # registered now: the same request gets the same answer, and no code is sent
    again = await c.post("/api/v1/auth/register", json=form(unique_email))
    assert again.status_code == 201 and again.json() == first.json()
    mails = [m for m in await h.outbox() if m.recipient == unique_email]
    assert mails[0].template == "already_registered" and "code" not in mails[0].context
    # a never-seen email gets ids of the same shape, the same for every attempt
    other = f"other-{unique_email}"
    a = (await c.post("/api/v1/auth/register", json=form(other))).json()["data"]
    b = (await c.post("/api/v1/auth/register", json=form(other))).json()["data"]
    assert a == b and a["userId"] != data["userId"]
    # the account is a normal one, in an organization it owns
    r = await c.post("/api/v1/auth/login", json={"email": unique_email, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["data"]["tokenType"] == "Bearer"
    assert await native_login(h, unique_email, PASSWORD) == 200
    async with h.runtime.uow(read_only=True) as uow:
        (membership,) = await uow.memberships.for_account(data["userId"])
    assert membership.role == "owner" and membership.organization_id == data["organizationId"]
    r = await c.post("/api/v1/auth/login", json={"email": unique_email, "password": "Nope123!x"})
    assert r.status_code == 401 and r.json()["error"] == "INVALID_CREDENTIALS"
    assert "completed" in await funnel_kinds(h, "oneshot")


async def test_resend_always_answers_the_same(sqlite_harness: Harness, unique_email: str) -> None:
    c = sqlite_harness.client
    unknown = await c.post("/api/v1/auth/resend-verification", json={"email": unique_email})
    await c.post("/api/v1/auth/register", json=form(unique_email))
    waiting = await c.post("/api/v1/auth/resend-verification", json={"email": unique_email})
    assert unknown.status_code == waiting.status_code == 200
    assert unknown.json() == waiting.json()


async def test_over_a_limit_the_same_201_and_nothing_written(
    db_url: str, tmp_path: Path, unique_email: str
) -> None:
    """Seed 003 documents 201/400/409 only: a mail over the per-address limit is dropped
    silently, and the request writes nothing (it used to commit an empty registration)."""
    settings = make_settings(
        db_url, tmp_path, rate_limits_enabled=True, rate_limits={"code_send": "1/hour"}
    )
    async with started_app(settings) as h:
        c = h.client
        # the address's one code this hour goes to another contract's registration
        r = await c.post("/auth/initiate-registration", json={"email": unique_email})
        assert r.status_code == 200, r.text
        before = await h.outbox()
        r = await c.post("/api/v1/auth/register", json=form(unique_email))
        assert r.status_code == 201, r.text
        assert r.json()["message"].startswith("Registration successful")
        assert len(await h.outbox()) == len(before)
        async with h.runtime.uow(read_only=True) as uow:
            token = h.runtime.services.lookups.token_for("oneshot", unique_email)
            assert await uow.registrations.find_active(cryptokit.sha256_hex(token)) is None
        # and again: the documented 201, never 429
        again = await c.post("/api/v1/auth/register", json=form(unique_email))
        assert again.status_code == 201 and again.json() == r.json()


async def test_a_proven_address_still_needs_its_code(
    sqlite_harness: Harness, unique_email: str
) -> None:
    """A registration whose code was confirmed but which was not completed (a completion
    that failed) is finished by its code only, never by anyone who knows the email."""
    h, c = sqlite_harness, sqlite_harness.client
    assert (await c.post("/api/v1/auth/register", json=form(unique_email))).status_code == 201
    code = await h.last_code(unique_email)
    services = h.runtime.services
    token = services.lookups.token_for("oneshot", unique_email)
    async with h.runtime.uow(read_only=True) as uow:
        found = await uow.registrations.find_active(cryptokit.sha256_hex(token))
    assert found is not None
    await services.codes.confirm(found.id, token, Channel.EMAIL, code)  # proven, not completed
    wrong = "000000" if code != "000000" else "111111"
    r = await c.post("/api/v1/auth/verify-email", json={"email": unique_email, "code": wrong})
    assert r.status_code == 400 and r.json()["error"] == "INVALID_CODE"
    r = await c.post("/api/v1/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 200, r.text
