"""Each seed's own example requests, typed from the seed documents, work unchanged.

Every flow runs twice: with the names as the seed writes them (camelCase for 001-003,
snake_case for 004) and with the other case, and where a seed names one value twice
(001's step 2 answers ``adminEmail`` as ``email``) with each name. Codes come from the
outbox, as a mail or SMS would bring them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from regflow.api.contracts.names import camel, snake
from support.harness import Harness
from support.orgs import indian_mobile, unique_email

CASES = ["as written", "other case"]


def cased(body: dict[str, Any], case: str) -> dict[str, Any]:
    """``body`` as the seed writes it, or with every name in the other case."""
    if case == "as written":
        return body
    flip = {k: (snake(k) if snake(k) != k else camel(k)) for k in body}
    return {flip[k]: v for k, v in body.items()}


async def ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    found: dict[str, Any] = r.json()
    assert found["success"] is True, found
    return found


@pytest.mark.parametrize("case", CASES)
async def test_seed_000_phases(sqlite_harness: Harness, case: str) -> None:
    """000 names no fields: the phases as ``docs/contracts/phased.md`` documents them, and
    the handle of the identity phase in ``X-Registration-Token`` only."""
    h, c = sqlite_harness, sqlite_harness.client
    email = unique_email("phased")
    started = await ok(await c.post("/auth/initiate-registration", json={"email": email}))
    handle = started["registrationToken"]
    code = await h.last_code(email)
    body = cased({"registrationToken": handle, "code": code}, case)
    await ok(await c.post("/auth/verify-email-code", json=body))
    identity = cased(
        {"firstName": "Ada", "lastName": "Lovelace", "username": f"ada_{case[0]}"}, case
    )
    r = await c.post(
        "/auth/registration/identity", json=identity, headers={"X-Registration-Token": handle}
    )
    assert (await ok(r))["nextPhase"] == "security"
    security = {"password": "Secur3P@ss!", "passwordConfirmation": "Secur3P@ss!"}
    r = await c.post(
        "/auth/registration/security", json=cased({"registrationToken": handle, **security}, case)
    )
    done = await ok(r, 201)
    assert done["user"]["firstName"] == "Ada" and done["accessToken"]


@pytest.mark.parametrize("admin_names", ["adminEmail", "email", "admin_email"])
async def test_seed_001_organization(sqlite_harness: Harness, admin_names: str) -> None:
    """Step 2 under the names of the seed's form (``adminEmail``) and of its answer
    (``email``, ``phone``), in either case."""
    h, c = sqlite_harness, sqlite_harness.client
    case = "other case" if admin_names == "admin_email" else "as written"
    step1 = {
        "organisationName": "Test University",
        "country": "IN",
        "state": "Maharashtra",
        "city": "Pune",
        "pincode": "411001",
        "organisationType": "university",
        "studentStrength": 1200,
        "governmentRecognition": True,
    }
    one = await ok(await c.post("/api/organizations/register/step1", json=cased(step1, case)))
    token = one["data"]["registrationToken"]
    email, (national, e164) = unique_email("admin"), indian_mobile()
    prefix = "" if admin_names == "email" else "admin"
    step2 = {
        "registrationToken": token,
        f"{prefix}Name" if prefix else "name": "Asha Rao",
        f"{prefix}Email" if prefix else "email": email,
        f"{prefix}Phone" if prefix else "phone": national,
        "password": "Secur3P@ss!",
        "confirmPassword": "Secur3P@ss!",
    }
    two = await ok(await c.post("/api/organizations/register/step2", json=cased(step2, case)))
    assert two["data"]["email"] == email and two["data"]["phone"] == e164
    for channel, target in (("email", email), ("phone", e164)):
        body = cased({"registrationToken": token, "otp": await h.last_code(target)}, case)
        await ok(await c.post(f"/api/organizations/register/verify-{channel}-otp", json=body))
    step3 = {
        "registrationToken": token,
        "institutionStructure": "single",
        "departments": ["Physics"],
        "addSubAdmins": False,
        "timeZone": "Asia/Kolkata",
        "twoFactorAuth": False,
    }
    r = await c.post("/api/organizations/register/step3", json=cased(step3, case))
    done = await ok(r, 201)
    assert done["data"]["admin"]["email"] == email
    assert done["data"]["admin"]["name"] == "Asha Rao"


@pytest.mark.parametrize("case", CASES)
async def test_seed_002_pending(sqlite_harness: Harness, case: str) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    email = unique_email("pending")
    body = {"email": email, "password": "SecurePass123!"}  # the seed's request body
    await ok(await c.post("/api/auth/register-pending", json=cased(body, case)))
    verify = {"email": email, "verificationCode": await h.last_code(email)}
    done = await ok(await c.post("/api/auth/verify-and-create", json=cased(verify, case)), 201)
    assert done["user"]["email"] == email and done["user"]["isVerified"] is True


@pytest.mark.parametrize("case", CASES)
async def test_seed_003_oneshot(sqlite_harness: Harness, case: str) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    email = unique_email("oneshot")
    example = {  # the seed's "Example Request", with a fresh email
        "email": email,
        "password": "SecureP@ss123",
        "firstName": "John",
        "lastName": "Doe",
        "organizationName": "Acme Insurance Co",
    }
    created = await ok(await c.post("/api/v1/auth/register", json=cased(example, case)), 201)
    verify = {"email": email, "code": await h.last_code(email)}
    done = await ok(await c.post("/api/v1/auth/verify-email", json=cased(verify, case)))
    assert done["data"]["userId"] == created["data"]["userId"]
    login = {"email": email, "password": "SecureP@ss123"}
    assert (await ok(await c.post("/api/v1/auth/login", json=login)))["data"]["accessToken"]


@pytest.mark.parametrize("case", CASES)
async def test_seed_004_verify_first(sqlite_harness: Harness, case: str) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    email = unique_email("tenant")
    json = {"Content-Type": "application/json"}  # the seed's fetch() calls
    await ok(await c.post("/auth/send-verification-code", json={"email": email}, headers=json))
    verify = {"email": email, "code": await h.last_code(email)}
    r = await c.post("/auth/verify-email", json=cased(verify, case), headers=json)
    assert (await ok(r))["data"]["verified"] is True
    form = {  # the seed's "Request Body (verification_code field removed)"
        "email": email,
        "password": "SecurePass123!",
        "name": "John Doe",
        "first_name": "John",
        "last_name": "Doe",
        "company_name": "Acme Corporation",
    }
    r = await c.post("/auth/register", json=cased(form, case), headers=json)
    done = (await ok(r, 201))["data"]
    assert done["user"]["full_name"] == "John Doe"
    assert done["tenant"]["company_name"] == "Acme Corporation"
    assert done["tenant"]["slug"].startswith("acme-corporation")
