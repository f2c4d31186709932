"""The member flow over the native API, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import jwt

from regflow.core.model import OutboxKind
from support.harness import PASSWORD, Harness


async def test_walks_the_member_flow_and_logs_in(harness: Harness, unique_email: str) -> None:
    c = harness.client
    start = await c.post("/v1/registrations", json={"flow": "member"})
    assert start.status_code == 201
    body = start.json()
    assert body["step"] == "email"
    assert body["progress"] == {"current": 1, "total": 3}
    assert body["verified"] == {"email": False, "phone": False}
    assert body["pending_verification"] is None
    assert [s["name"] for s in body["steps"]] == ["email", "identity", "credentials"]
    assert body["steps"][0]["fields"] == [{"name": "email", "type": "email", "required": True}]
    assert len(body["token"]) >= 43  # 256 bits, url-safe
    rid, auth = body["id"], {"Authorization": f"Bearer {body['token']}"}

    r = await c.post(
        f"/v1/registrations/{rid}/steps/email", json={"email": unique_email}, headers=auth
    )
    assert r.status_code == 200
    state = r.json()
    assert "token" not in state
    assert state["step"] == "email"
    pending = state["pending_verification"]
    assert pending["channel"] == "email"
    assert pending["target"] == unique_email[0] + "***@example.com"
    assert pending["resend_available_at"] and pending["expires_at"]

    code = await harness.last_code(unique_email)
    r = await c.post(
        f"/v1/registrations/{rid}/verifications/email/confirm", json={"code": code}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert r.json()["verified"]["email"] is True
    assert r.json()["step"] == "identity"
    assert r.json()["progress"] == {"current": 2, "total": 3}

    username = "ada" + uuid.uuid4().hex[:8]
    avail = await c.get(f"/v1/usernames/{username}/availability")
    assert avail.json()["available"] is True
    r = await c.post(
        f"/v1/registrations/{rid}/steps/identity",
        json={"first_name": "Ada", "last_name": "Lovelace", "username": username},
        headers=auth,
    )
    assert r.status_code == 200 and r.json()["step"] == "credentials"
    r = await c.post(
        f"/v1/registrations/{rid}/steps/credentials",
        json={"password": PASSWORD, "password_confirmation": PASSWORD},
        headers=auth,
    )
    assert r.status_code == 200 and r.json()["step"] == "complete"

    done = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert done.status_code == 201, done.text
    out = done.json()
    assert out["account"]["email"] == unique_email
    assert out["account"]["email_verified"] is True
    assert out["account"]["username"] == username
    assert out["organization"] is None and out["membership"] is None
    assert out["token_type"] == "Bearer" and out["expires_in"] == 900
    header = jwt.get_unverified_header(out["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    jwks = (await c.get("/.well-known/jwks.json")).json()
    assert header["kid"] in [k["kid"] for k in jwks["keys"]]

    avail = await c.get(f"/v1/usernames/{username}/availability")
    assert avail.json()["available"] is False
    assert avail.json()["suggestions"]

    login = await c.post("/v1/sessions", json={"email": unique_email, "password": PASSWORD})
    assert login.status_code == 200
    claims = jwt.decode(login.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == out["account"]["id"] and claims["email_verified"] is True
    wrong = await c.post("/v1/sessions", json={"email": unique_email, "password": "nope" * 3})
    assert wrong.status_code == 401 and wrong.json()["code"] == "INVALID_CREDENTIALS"
    again = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_COMPLETED"


async def test_existing_email_gets_same_answer_and_already_registered_mail(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.member_until_complete(unique_email)
    assert (
        await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    ).status_code == 201
    c = harness.client
    answers = []
    for email in (unique_email, f"new-{uuid.uuid4().hex[:8]}@example.com"):
        rid2, auth2 = await harness.start()
        r = await c.post(
            f"/v1/registrations/{rid2}/steps/email", json={"email": email}, headers=auth2
        )
        body = r.json()
        for volatile in ("id", "expires_at"):
            body.pop(volatile)
        body["pending_verification"] = {
            k: v for k, v in body["pending_verification"].items() if k == "channel"
        }
        body["pending_verifications"] = []
        answers.append((r.status_code, body, sorted(r.headers.keys())))
    assert answers[0] == answers[1]
    mails = [m for m in await harness.outbox() if m.recipient == unique_email]
    assert mails[0].template == "already_registered" and "code" not in mails[0].context
    assert mails[0].kind is OutboxKind.EMAIL


async def test_wrong_token_is_answered_like_unknown_id(harness: Harness) -> None:
    rid, _ = await harness.start()
    c = harness.client
    wrong = await c.get(f"/v1/registrations/{rid}", headers={"Authorization": "Bearer nope"})
    missing = await c.get(f"/v1/registrations/{rid}")
    unknown = await c.get(
        f"/v1/registrations/{uuid.uuid4()}", headers={"Authorization": "Bearer nope"}
    )
    for r in (wrong, missing, unknown):
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "REGISTRATION_NOT_FOUND"
    assert wrong.json() == unknown.json() == missing.json()


async def test_steps_in_order_and_completion_needs_verification(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.start()
    c = harness.client
    r = await c.post(
        f"/v1/registrations/{rid}/steps/identity",
        json={"first_name": "Ada", "last_name": "Lovelace", "username": "adal"},
        headers=auth,
    )
    assert r.status_code == 409 and r.json()["code"] == "STEP_ORDER"
    await c.post(f"/v1/registrations/{rid}/steps/email", json={"email": unique_email}, headers=auth)
    r = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "VERIFICATION_REQUIRED"
    r = await c.post(
        f"/v1/registrations/{rid}/steps/identity",
        json={"first_name": "Ada", "last_name": "Lovelace", "username": "adal"},
        headers=auth,
    )
    assert r.status_code == 409 and r.json()["code"] == "STEP_ORDER"


async def test_field_errors_are_problem_details(harness: Harness) -> None:
    rid, auth = await harness.start()
    c = harness.client
    r = await c.post(
        f"/v1/registrations/{rid}/steps/email",
        json={"email": "not an email", "is_admin": True},
        headers=auth,
    )
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "VALIDATION_ERROR" and problem["status"] == 422
    codes = {(e["field"], e["code"]) for e in problem["errors"]}
    assert ("email", "INVALID_EMAIL") in codes and ("is_admin", "UNKNOWN_FIELD") in codes
    for bad in (b"{", b"[1,2]", b'"x"'):
        r = await c.post(
            f"/v1/registrations/{rid}/steps/email",
            content=bad,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["code"] == "VALIDATION_ERROR"
    r = await c.post("/v1/registrations", json={"flow": "nope"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "FLOW_UNKNOWN"
    r = await c.post(
        "/v1/registrations", content=b"x" * 200_000, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_weak_password_and_mismatch(harness: Harness, unique_email: str) -> None:
    rid, auth = await harness.member_until_complete(unique_email)
    c = harness.client
    r = await c.post(
        f"/v1/registrations/{rid}/steps/credentials",
        json={"password": "password", "password_confirmation": "different1"},
        headers=auth,
    )
    assert r.status_code == 422
    codes = {e["code"] for e in r.json()["errors"]}
    assert codes == {"PASSWORD_COMMON", "PASSWORD_MISMATCH"}


async def test_going_back_keeps_values_and_new_email_needs_new_code(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.member_until_complete(unique_email)
    c = harness.client
    other = "other-" + unique_email
    r = await c.post(f"/v1/registrations/{rid}/steps/email", json={"email": other}, headers=auth)
    assert r.json()["step"] == "email" and r.json()["verified"]["email"] is False
    done = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert done.json()["code"] == "VERIFICATION_REQUIRED"
    old_code = await harness.last_code(unique_email)
    r = await c.post(
        f"/v1/registrations/{rid}/verifications/email/confirm",
        json={"code": old_code},
        headers=auth,
    )
    assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    code = await harness.last_code(other)
    r = await c.post(
        f"/v1/registrations/{rid}/verifications/email/confirm", json={"code": code}, headers=auth
    )
    assert r.json()["step"] == "complete"  # identity and credentials were kept
    done = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert done.status_code == 201 and done.json()["account"]["email"] == other


async def test_idempotency_key_replays_and_refuses_other_body(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.member_until_complete(unique_email)
    c = harness.client
    headers = {**auth, "Idempotency-Key": "k-1"}
    first = await c.post(f"/v1/registrations/{rid}/complete", headers=headers)
    again = await c.post(f"/v1/registrations/{rid}/complete", headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["account"] == again.json()["account"]
    assert again.json()["access_token"]
    other = await c.post(f"/v1/registrations/{rid}/complete", headers=headers, json={"x": 1})
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_MISMATCH"
