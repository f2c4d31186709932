"""TOTP two-factor in-process on both databases: enrolment, the login's second step, replays,
recovery codes, capped attempts; organizations that require a second factor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp

from support.harness import PASSWORD, Harness
from support.orgs import PREFERENCES, claims, register_organization, unique_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows, now or ``steps_ahead`` 30-second steps later."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps_ahead))


async def login(h: Harness, email: str, **extra: Any) -> Any:
    return await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD, **extra})


async def enrol(h: Harness, token: str) -> tuple[str, list[str]]:
    """Turn TOTP on for the account of ``token``: its secret and recovery codes."""
    r = await h.client.post("/v1/account/totp", headers=bearer(token))
    assert r.status_code == 201, r.text
    body = r.json()
    secret = body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/") and secret in body["otpauth_uri"]
    assert body["qr_svg"].lstrip().startswith("<svg")
    r = await h.client.post(
        "/v1/account/totp/confirm", json={"code": code_at(secret)}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    return secret, codes


async def second_step(h: Harness, email: str, **proof: str) -> Any:
    r = await login(h, email)
    assert r.status_code == 401 and r.json()["code"] == "MFA_REQUIRED", r.text
    assert "access_token" not in r.json()
    return await h.client.post(
        "/v1/sessions/mfa", json={"mfa_token": r.json()["mfa_token"], **proof}
    )


async def test_enrol_then_every_login_needs_the_second_step(harness: Harness) -> None:
    email = unique_email("owner")
    owner = await register_organization(harness, email)
    org = owner["organization"]["id"]
    token = owner["access_token"]
    r = await harness.client.post(
        "/v1/account/totp/confirm", json={"code": "123456"}, headers=bearer(token)
    )
    assert r.status_code == 409 and r.json()["code"] == "MFA_NOT_STARTED"
    started = await harness.client.post("/v1/account/totp", headers=bearer(token))
    wrong = await harness.client.post(
        "/v1/account/totp/confirm",
        json={"code": f"{(int(code_at(started.json()['secret'])) + 1) % 10**6:06d}"},
        headers=bearer(token),
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "INVALID_CODE"
    secret, recovery = await enrol(harness, token)
    again = await harness.client.post("/v1/account/totp", headers=bearer(token))
    assert again.status_code == 409 and again.json()["code"] == "MFA_ALREADY_ENABLED"
    status = await harness.client.get("/v1/account/totp", headers=bearer(token))
    assert status.json() == {"enabled": True, "recovery_codes_left": 10}

    # the next step's code (the current one was spent confirming): tokens with both factors
    ahead = code_at(secret, 1)
    r = await second_step(harness, email, code=ahead)
    assert r.status_code == 200, r.text
    assert r.json()["amr"] == ["pwd", "otp"]
    token_claims = claims(r.json()["access_token"])
    assert token_claims["amr"] == ["pwd", "otp"] and token_claims["org"] == org
    # the same code again: a replay
    r = await second_step(harness, email, code=ahead)
    assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    # each recovery code works once
    r = await second_step(harness, email, recovery_code=recovery[0].upper())
    assert r.status_code == 200, r.text
    r = await second_step(harness, email, recovery_code=recovery[0])
    assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    r = await second_step(harness, email, recovery_code=recovery[1])
    assert r.status_code == 200
    status = await harness.client.get("/v1/account/totp", headers=bearer(r.json()["access_token"]))
    assert status.json()["recovery_codes_left"] == 8


async def test_wrong_codes_are_capped_and_a_token_is_single_use(harness: Harness) -> None:
    email = unique_email("owner")
    owner = await register_organization(harness, email)
    secret, _ = await enrol(harness, owner["access_token"])
    r = await login(harness, email)
    mfa = r.json()["mfa_token"]
    for _ in range(5):
        r = await harness.client.post("/v1/sessions/mfa", json={"mfa_token": mfa, "code": "000000"})
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE", r.text
    r = await harness.client.post(
        "/v1/sessions/mfa", json={"mfa_token": mfa, "code": code_at(secret, 1)}
    )
    assert r.status_code == 400 and r.json()["code"] == "ATTEMPTS_EXCEEDED"
    r = await login(harness, email)
    mfa = r.json()["mfa_token"]
    ok = await harness.client.post(
        "/v1/sessions/mfa", json={"mfa_token": mfa, "code": code_at(secret, 1)}
    )
    assert ok.status_code == 200, ok.text
    reused = await harness.client.post(
        "/v1/sessions/mfa", json={"mfa_token": mfa, "code": code_at(secret, -1)}
    )
    assert reused.status_code == 401 and reused.json()["code"] == "MFA_TOKEN_INVALID"
    for body in (
        {"mfa_token": "x" * 43, "code": "123456"},
        {"mfa_token": mfa},
        {"mfa_token": mfa, "code": "123456", "recovery_code": "abcde-fghij"},
        {"code": "123456"},
    ):
        r = await harness.client.post("/v1/sessions/mfa", json=body)
        assert r.status_code in (401, 422), (body, r.text)


async def test_an_organization_that_requires_it_gets_no_token_without_it(
    harness: Harness,
) -> None:
    email = unique_email("owner")
    prefs = {**PREFERENCES, "two_factor": True}
    done = await register_organization(harness, email, preferences=prefs)
    org = done["organization"]["id"]
    # completion: the token speaks for no organization until the second factor
    assert done["second_factor_required"] is True
    assert claims(done["access_token"])["org"] is None
    r = await harness.client.get(f"/v1/organizations/{org}", headers=bearer(done["access_token"]))
    assert r.status_code == 403
    # login: led to enrol first, with the login's mfa_token
    r = await login(harness, email)
    assert r.status_code == 403 and r.json()["code"] == "MFA_ENROLMENT_REQUIRED", r.text
    mfa = r.json()["mfa_token"]
    refused = await harness.client.post(
        "/v1/sessions/mfa", json={"mfa_token": mfa, "code": "123456"}
    )
    assert refused.status_code == 401
    started = await harness.client.post("/v1/account/totp", json={"mfa_token": mfa})
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    r = await harness.client.post(
        "/v1/account/totp/confirm", json={"mfa_token": mfa, "code": code_at(secret)}
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["recovery_codes"]) == 10
    assert claims(r.json()["access_token"])["org"] == org
    admin = await harness.client.get(
        f"/v1/organizations/{org}", headers=bearer(r.json()["access_token"])
    )
    assert admin.status_code == 200 and admin.json()["two_factor"] is True
    # from now on: the second step
    r = await second_step(harness, email, code=code_at(secret, 1))
    assert r.status_code == 200 and claims(r.json()["access_token"])["org"] == org


async def test_turning_it_on_for_an_organization_and_the_seed_login(harness: Harness) -> None:
    """PATCH two_factor: the owner's next logins (native and seed 003) need the factor."""
    email = unique_email("owner")
    body = {
        "email": email,
        "password": "SecureP@ss123",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "organizationName": "Acme Insurance Co",
    }
    r = await harness.client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    code = await harness.last_code(email)
    r = await harness.client.post("/api/v1/auth/verify-email", json={"email": email, "code": code})
    assert r.status_code == 200, r.text
    org = r.json()["data"]["organizationId"]
    creds = {"email": email, "password": "SecureP@ss123"}
    r = await harness.client.post("/api/v1/auth/login", json=creds)
    token = r.json()["data"]["accessToken"]
    r = await harness.client.patch(
        f"/v1/organizations/{org}", json={"two_factor": True}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.json()["two_factor"] is True, r.text
    r = await harness.client.post("/api/v1/auth/login", json=creds)
    assert r.status_code == 403 and r.json()["error"] == "MFA_ENROLMENT_REQUIRED", r.text
    assert "accessToken" not in r.text and r.json()["data"]["mfaToken"]
    r = await harness.client.post("/v1/sessions", json=creds)
    assert r.status_code == 403 and r.json()["code"] == "MFA_ENROLMENT_REQUIRED"
    started = await harness.client.post(
        "/v1/account/totp", json={"mfa_token": r.json()["mfa_token"]}
    )
    secret = started.json()["secret"]
    r = await harness.client.post(
        "/v1/account/totp/confirm",
        json={"mfa_token": r.json()["mfa_token"], "code": code_at(secret)},
    )
    assert r.status_code == 200, r.text
    r = await harness.client.post("/api/v1/auth/login", json=creds)
    assert r.status_code == 401 and r.json()["error"] == "MFA_REQUIRED"
    r = await harness.client.post(
        "/api/v1/auth/login/mfa",
        json={"mfaToken": r.json()["data"]["mfaToken"], "code": code_at(secret, 1)},
    )
    assert r.status_code == 200, r.text
    assert claims(r.json()["data"]["accessToken"])["org"] == org
