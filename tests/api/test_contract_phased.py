"""Seed 000 (phased): the three phases, the link, resend, errors, enumeration-proof start."""

from __future__ import annotations

import re

from support.contracts import funnel_kinds, native_login
from support.harness import PASSWORD, Harness


async def test_phases_link_and_welcome(sqlite_harness: Harness, unique_email: str) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    r = await c.post("/auth/initiate-registration", json={"email": unique_email})
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["phase"] == 1 and body["nextPhase"] == "verify_email"
    assert body["email"] == unique_email[0] + "***@example.com"
    handle = body["registrationToken"]
    # the mail's link points at the contract's own path; GET shows, POST confirms
    message = next(m for m in await h.outbox() if m.recipient == unique_email)
    match = re.search(r"/auth/verify-email/([A-Za-z0-9_-]+)$", message.context["link"])
    assert match
    page = await c.get(f"/auth/verify-email/{match.group(1)}")
    assert page.status_code == 200 and '<form method="post">' in page.text
    state = await c.get("/auth/registration", headers={"X-Registration-Token": handle})
    assert state.json()["emailVerified"] is False  # GET changed nothing
    r = await c.post(f"/auth/verify-email/{match.group(1)}", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["success"] is True
    state = await c.get("/auth/registration", headers={"X-Registration-Token": handle})
    assert state.json()["emailVerified"] is True and state.json()["nextPhase"] == "identity"

    r = await c.post("/auth/registration/security", json={"registrationToken": handle})
    assert r.status_code == 409 and r.json()["error"]["code"] == "STEP_ORDER"
    identity = {"firstName": "A", "lastName": "Lovelace", "username": "ada_phased"}
    r = await c.post("/auth/registration/identity", json={"registrationToken": handle, **identity})
    assert r.status_code == 400
    assert r.json()["error"]["fields"][0]["field"] == "firstName"
    identity["firstName"] = "Ada"
    r = await c.post("/auth/registration/identity", json={"registrationToken": handle, **identity})
    assert r.status_code == 200 and r.json()["nextPhase"] == "security"
    r = await c.post(
        "/auth/registration/security",
        json={"registrationToken": handle, "password": PASSWORD, "passwordConfirmation": "x"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["fields"][0]["field"] == "passwordConfirmation"
    r = await c.post(
        "/auth/registration/security",
        json={"registrationToken": handle, "password": PASSWORD, "passwordConfirmation": PASSWORD},
    )
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["message"] == "Welcome, Ada!" and done["user"]["username"] == "ada_phased"
    assert done["accessToken"] and done["tokenType"] == "Bearer"
    assert await native_login(h, unique_email, PASSWORD) == 200
    kinds = await funnel_kinds(h, "phased")
    assert kinds.count("step_completed") >= 2 and "completed" in kinds
    taken = await c.get("/auth/username-availability", params={"username": "ada_phased"})
    assert taken.json()["available"] is False


async def test_code_resend_errors_and_known_email(
    sqlite_harness: Harness, unique_email: str
) -> None:
    h, c = sqlite_harness, sqlite_harness.client
    rid, auth = await h.member_until_complete(unique_email)
    await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    known = await c.post("/auth/initiate-registration", json={"email": unique_email})
    fresh = await c.post("/auth/initiate-registration", json={"email": "new-" + unique_email})
    assert known.status_code == fresh.status_code == 200
    assert set(known.json()) == set(fresh.json())
    assert known.json()["nextPhase"] == fresh.json()["nextPhase"]
    handle = fresh.json()["registrationToken"]
    r = await c.post("/auth/verify-email-code", json={"registrationToken": handle, "code": "12"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_CODE"
    r = await c.post("/auth/resend-verification", json={"registrationToken": handle})
    assert r.status_code == 429 and r.json()["error"]["code"] == "RESEND_TOO_SOON"
    assert int(r.headers["retry-after"]) >= 1
    r = await c.post("/auth/verify-email-code", json={"registrationToken": "x.y", "code": "1"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "REGISTRATION_NOT_FOUND"
    r = await c.post("/auth/initiate-registration", json={"email": "nope"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
    r = await c.post(
        "/auth/initiate-registration", content=b"[", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["success"] is False
