"""Seed 002 (pending): register-pending, verify-and-create, statuses, and the admin import."""

from __future__ import annotations

from pathlib import Path

import bcrypt

from support.contracts import funnel_kinds, native_login
from support.harness import make_settings, started_app

PASSWORD = "Test1234!"
ADMIN = "pending-admin-token-0123456789"


async def test_sequence_statuses_and_import(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, tmp_path, admin_token=ADMIN)
    async with started_app(settings) as h:
        c, email = h.client, "investor@example.com"
        r = await c.post("/api/auth/register-pending", json={"email": "nope", "password": PASSWORD})
        assert r.status_code == 400 and r.json() == {
            "success": False,
            "error": "Invalid email address",
        }
        r = await c.post(
            "/api/auth/register-pending", json={"email": email, "password": "weakpass"}
        )
        assert r.status_code == 400 and r.json()["error"].startswith("Password needs")
        r = await c.post(
            "/api/auth/verify-and-create", json={"email": email, "verificationCode": "1"}
        )
        assert r.status_code == 400
        assert r.json()["error"] == (
            "Pending registration not found or expired. Please sign up again."
        )
        r = await c.post("/api/auth/register-pending", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200 and r.json()["success"] is True
        code = await h.last_code(email)
        assert code != "000000" or len({m.context.get("code") for m in await h.outbox()}) > 0
        wrong = "000000" if code != "000000" else "111111"
        r = await c.post(
            "/api/auth/verify-and-create", json={"email": email, "verificationCode": wrong}
        )
        assert r.status_code == 400 and r.json() == {
            "success": False,
            "error": "Invalid verification code",
        }
        r = await c.post("/api/auth/verify-and-create", json={"email": email})
        assert r.status_code == 400 and r.json()["success"] is False
        r = await c.post(
            "/api/auth/verify-and-create", json={"email": email, "verificationCode": code}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert set(body["user"]) == {"id", "email", "isVerified", "verifiedAt", "createdAt"}
        assert body["user"]["isVerified"] is True
        r = await c.post(
            "/api/auth/verify-and-create", json={"email": email, "verificationCode": code}
        )
        assert r.status_code == 409
        assert r.json() == {"success": False, "error": "User with this email already exists"}
        assert await native_login(h, email, PASSWORD) == 200
        assert {"started", "verification_succeeded", "completed"} <= set(
            await funnel_kinds(h, "pending")
        )

        # the internal import: admin credential, bcrypt hashes accepted, pre-verified
        legacy = bcrypt.hashpw(b"Legacy#Pass1", bcrypt.gensalt(rounds=4)).decode()
        user = {"email": "seeded@example.com", "passwordHash": legacy}
        r = await c.post("/api/users", json=user)
        assert r.status_code == 401 and r.json() == {"success": False, "error": "Unauthorized"}
        auth = {"Authorization": f"Bearer {ADMIN}"}
        r = await c.post("/api/users", json=user, headers=auth)
        assert r.status_code == 201, r.text
        assert r.json()["user"]["isVerified"] is True
        r = await c.post("/api/users", json=user, headers=auth)
        assert r.status_code == 409
        r = await c.post(
            "/api/users", json={"email": "x@example.com", "passwordHash": "plain"}, headers=auth
        )
        assert r.status_code == 400
        assert await native_login(h, "seeded@example.com", "Legacy#Pass1") == 200


async def test_import_is_off_without_an_admin_token(sqlite_harness: object) -> None:
    from support.harness import Harness

    assert isinstance(sqlite_harness, Harness)
    r = await sqlite_harness.client.post("/api/users", json={"email": "x@example.com"})
    assert r.status_code in (404, 405)


async def test_sixth_sign_up_in_fifteen_minutes_is_429(sqlite_url: str, tmp_path: Path) -> None:
    """The seed's documented limit: 5 sign-ups per 15 minutes from one client."""
    settings = make_settings(sqlite_url, tmp_path, rate_limits_enabled=True)
    async with started_app(settings) as h:
        for n in range(5):
            r = await h.client.post(
                "/api/auth/register-pending",
                json={"email": f"b{n}@example.com", "password": PASSWORD},
            )
            assert r.status_code == 200, r.text
        r = await h.client.post(
            "/api/auth/register-pending", json={"email": "c@example.com", "password": PASSWORD}
        )
        assert r.status_code == 429 and r.json()["success"] is False
        assert int(r.headers["retry-after"]) >= 1


async def test_a_proven_address_still_needs_its_code(sqlite_harness: object) -> None:
    """verify-and-create answers a session token: once the code was confirmed but the
    account not created (a completion that failed), only the code finishes it."""
    from regflow.core import cryptokit
    from regflow.core.model import Channel
    from support.harness import Harness

    assert isinstance(sqlite_harness, Harness)
    h, c, email = sqlite_harness, sqlite_harness.client, "proven@example.com"
    body = {"email": email, "password": PASSWORD}
    assert (await c.post("/api/auth/register-pending", json=body)).status_code == 200
    code = await h.last_code(email)
    services = h.runtime.services
    token = services.lookups.token_for("pending", email)
    async with h.runtime.uow(read_only=True) as uow:
        found = await uow.registrations.find_active(cryptokit.sha256_hex(token))
    assert found is not None
    await services.codes.confirm(found.id, token, Channel.EMAIL, code)  # proven, not created
    wrong = "000000" if code != "000000" else "111111"
    r = await c.post(
        "/api/auth/verify-and-create", json={"email": email, "verificationCode": wrong}
    )
    assert r.status_code == 400 and "session" not in r.json()
    r = await c.post("/api/auth/verify-and-create", json={"email": email, "verificationCode": code})
    assert r.status_code == 201 and r.json()["session"]["accessToken"]
