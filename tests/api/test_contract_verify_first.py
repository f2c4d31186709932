"""Seed 004 (verify_first): every documented field, status and error code, in-process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from regflow.core import cryptokit
from regflow.core.model import Account
from regflow.persistence.tables import registrations
from support.contracts import funnel_kinds, native_login
from support.harness import Harness, make_settings, started_app

PASSWORD = "SecurePass123!"
JSON = {"Content-Type": "application/json"}


def form(email: str, **extra: str) -> dict[str, str]:
    return {
        "email": email,
        "password": PASSWORD,
        "name": "John Doe",
        "first_name": "John",
        "last_name": "Doe",
        "company_name": "Acme Corporation",
        **extra,
    }


def only_error(body: dict[str, object], code: str, message: str) -> None:
    assert body["success"] is False
    assert body["message"] == message
    errors = body["errors"]
    assert isinstance(errors, list) and errors[0]["code"] == code


async def test_documented_sequence_and_errors(sqlite_harness: Harness, unique_email: str) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    # register before any verification: VERIFICATION_REQUIRED
    r = await c.post("/auth/register", json=form(unique_email))
    assert r.status_code == 400
    only_error(r.json(), "VERIFICATION_REQUIRED", "Email verification required")
    # verify before any code: VERIFICATION_NOT_FOUND
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": "123456"})
    assert r.status_code == 400
    only_error(r.json(), "VERIFICATION_NOT_FOUND", "Verification code not found")
    assert r.json()["errors"][0]["message"] == "Please request a verification code first"

    r = await c.post("/auth/send-verification-code", json={"email": unique_email}, headers=JSON)
    assert r.status_code == 200
    assert r.json() == {
        "success": True,
        "message": "Verification code sent successfully",
        "data": {"message": "Verification code sent"},
    }
    code = await h.last_code(unique_email)
    # the code lives 15 minutes (the seed's figure, not the native 10)
    message = next(m for m in await h.outbox() if m.recipient == unique_email)
    assert message.context["expires_minutes"] == 15

    r = await c.post("/auth/register", json=form(unique_email))
    assert r.status_code == 400
    only_error(r.json(), "EMAIL_NOT_VERIFIED", "Email not verified")

    wrong = "000000" if code != "000000" else "111111"
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": wrong})
    assert r.status_code == 400
    only_error(r.json(), "INVALID_CODE", "Invalid verification code")
    assert r.json()["errors"][0]["message"] == "The provided verification code is incorrect"

    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 200
    verified = r.json()
    proof = verified["data"].pop("verification_token")
    assert verified == {
        "success": True,
        "message": "Email verified successfully",
        "data": {"message": "Email verified successfully", "verified": True},
    }
    assert len(proof) >= 32 and r.cookies.get("regflow_email_proof") == proof
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/auth/register" in cookie
    # verifying again, with the same code: success without error (and a new proof)
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 200 and r.json()["data"]["verified"] is True
    # ...but not with any other code
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": wrong})
    assert r.status_code == 400
    only_error(r.json(), "INVALID_CODE", "Invalid verification code")

    r = await c.post("/auth/register", json=form(unique_email, password="short"))
    assert r.status_code == 400
    body = r.json()
    assert body["message"] == "Validation failed"
    assert body["errors"][0]["code"] == "VALIDATION_ERROR"
    assert body["errors"][0]["field"] == "password"

    r = await c.post("/auth/register", json=form(unique_email))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["success"] is True and body["message"] == "Account created successfully"
    data = body["data"]
    assert data["access_token"].count(".") == 2
    assert data["user"]["email"] == unique_email
    assert data["user"]["full_name"] == "John Doe"
    assert data["tenant"]["slug"].startswith("acme-corporation")
    assert data["tenant"]["company_name"] == "Acme Corporation"

    # the verification record is gone: a second tenant for the same email needs it again
    r = await c.post("/auth/register", json=form(unique_email, company_name="Second Co"))
    assert r.status_code == 400
    only_error(r.json(), "VERIFICATION_REQUIRED", "Email verification required")
    async with h.runtime.uow(read_only=True) as uow:
        assert await uow.memberships.for_account(data["user"]["id"]) is not None
    assert await native_login(h, unique_email, PASSWORD) == 200
    kinds = await funnel_kinds(h, "verify_first")
    assert "started" in kinds and "completed" in kinds


async def test_expired_code(sqlite_harness: Harness, unique_email: str) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    await c.post("/auth/send-verification-code", json={"email": unique_email})
    code = await h.last_code(unique_email)
    later = datetime.now(UTC) + timedelta(minutes=15, seconds=5)
    h.runtime.services.ctx.clock = lambda: later
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 400
    only_error(r.json(), "CODE_EXPIRED", "Verification code expired")
    assert r.json()["errors"][0]["message"] == (
        "The verification code has expired. Please request a new one"
    )


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": 5}])
async def test_send_code_validation(sqlite_harness: Harness, body: dict[str, object]) -> None:
    r = await sqlite_harness.client.post("/auth/send-verification-code", json=body)
    assert r.status_code == 400
    assert r.json()["success"] is False
    assert r.json()["errors"][0]["code"] == "VALIDATION_ERROR"


def _proof_cookie(response: httpx.Response) -> tuple[str, str, set[str]]:
    (header,) = [h for h in response.headers.get_list("set-cookie") if "email_proof" in h]
    pair, *attributes = header.split(";")
    name, _, value = pair.partition("=")
    return name, value, {a.strip().lower() for a in attributes}


async def test_https_proof_is_a_host_cookie_and_an_unprefixed_one_is_ignored(
    db_url: str, tmp_path: Path, unique_email: str
) -> None:
    """Under https nobody on a sibling subdomain or a plain-http hop can toss a proof cookie."""
    settings = make_settings(db_url, tmp_path, public_url="https://signup.example.com")
    async with started_app(settings) as h:
        c = h.client
        await c.post("/auth/send-verification-code", json={"email": unique_email})
        code = await h.last_code(unique_email)
        r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
        assert r.status_code == 200, r.text
        name, proof, attributes = _proof_cookie(r)
        assert name == "__Host-regflow_email_proof"
        assert proof == r.json()["data"]["verification_token"]
        assert {"httponly", "secure", "path=/", "samesite=strict"} <= attributes
        assert not any(a.startswith("domain") for a in attributes)
        c.cookies.clear()
        # the same (valid) proof under the plain name, as a tossed cookie would arrive: ignored
        r = await c.post(
            "/auth/register",
            json=form(unique_email),
            headers={"Cookie": f"regflow_email_proof={proof}"},
        )
        assert r.status_code == 400
        only_error(r.json(), "EMAIL_NOT_VERIFIED", "Email not verified")
        r = await c.post(
            "/auth/register",
            json=form(unique_email),
            headers={"Cookie": f"__Host-regflow_email_proof={proof}"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["data"]["user"]["email"] == unique_email
        name, value, attributes = _proof_cookie(r)  # spent: deleted under the same name
        assert name == "__Host-regflow_email_proof" and value in ("", '""')
        assert {"secure", "path=/"} <= attributes and "max-age=0" in attributes


async def test_plain_http_proof_cookie_keeps_its_name_and_path(
    sqlite_harness: Harness, unique_email: str
) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    await c.post("/auth/send-verification-code", json={"email": unique_email})
    code = await h.last_code(unique_email)
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
    name, proof, attributes = _proof_cookie(r)
    assert name == "regflow_email_proof" and "path=/auth/register" in attributes
    assert "secure" not in attributes
    c.cookies.clear()
    r = await c.post(
        "/auth/register",
        json=form(unique_email),
        headers={"Cookie": f"__Host-regflow_email_proof={proof}"},
    )
    assert r.status_code == 400  # the other scheme's name counts for nothing
    r = await c.post(
        "/auth/register",
        json=form(unique_email),
        headers={"Cookie": f"regflow_email_proof={proof}"},
    )
    assert r.status_code == 201, r.text
    name, _, attributes = _proof_cookie(r)
    assert name == "regflow_email_proof" and "path=/auth/register" in attributes


async def test_send_code_after_the_registration_lapsed_starts_a_new_one(
    harness: Harness, unique_email: str
) -> None:
    """The lapsed registration still holds the address's token (active, past its life):
    it is marked expired and a new one takes the address, with a new code that works."""
    h, c = harness, harness.client
    send = {"email": unique_email}
    assert (await c.post("/auth/send-verification-code", json=send)).status_code == 200
    first = await h.last_code(unique_email)
    later = datetime.now(UTC) + timedelta(hours=3)
    h.runtime.services.ctx.clock = lambda: later
    assert (await c.post("/auth/send-verification-code", json=send)).status_code == 200
    mails = [m for m in await h.outbox() if m.recipient == unique_email]
    assert [m.template for m in mails] == ["verification_code"] * 2
    code = await h.last_code(unique_email)
    assert code != first or mails[0].id != mails[1].id
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 200, r.text
    token = h.runtime.services.lookups.token_for("verify_first", unique_email)
    async with h.runtime.engine.connect() as conn:
        held = await conn.execute(
            select(registrations.c.status).where(
                registrations.c.token_hash == cryptokit.sha256_hex(token)
            )
        )
        assert sorted(status for (status,) in held) == ["active", "expired"]


async def test_a_refused_completion_writes_nothing_of_the_account_step(
    harness: Harness, unique_email: str
) -> None:
    """The account step and the completion are one write: when the completion is refused
    (an account took the address after it was verified), the registration stays as the
    verification left it, with no event of the step."""
    h, c = harness, harness.client
    await c.post("/auth/send-verification-code", json={"email": unique_email})
    code = await h.last_code(unique_email)
    r = await c.post("/auth/verify-email", json={"email": unique_email, "code": code})
    assert r.status_code == 200, r.text
    proof = r.json()["data"]["verification_token"]
    async with h.runtime.uow() as uow:
        taken = Account(str(uuid.uuid4()), unique_email, "x", datetime.now(UTC))
        await uow.accounts.add(taken)
        await uow.commit()
    token = h.runtime.services.lookups.token_for("verify_first", unique_email)
    held = select(registrations).where(registrations.c.token_hash == cryptokit.sha256_hex(token))
    events = await funnel_kinds(h, "verify_first")  # drained from the row first
    async with h.runtime.engine.connect() as conn:
        before = [tuple(row) for row in await conn.execute(held)]
    r = await c.post("/auth/register", json=form(unique_email, verification_token=proof))
    assert r.status_code == 409, r.text
    only_error(r.json(), "ALREADY_COMPLETED", "An account with this email exists already.")
    async with h.runtime.engine.connect() as conn:
        assert [tuple(row) for row in await conn.execute(held)] == before
    assert await funnel_kinds(h, "verify_first") == events
