"""Password reset in-process on both databases: the same answer for unknown addresses, the
mailed code and link, single use, capped attempts, every earlier token dead."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import register_organization, unique_email

NEW_PASSWORD = "a brand new passphrase 7"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
LINK = re.compile(r"/reset/([A-Za-z0-9_-]+)$")


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The app with its UI keyed to the test client's host (plain cookies over http)."""
    async with started_app(make_settings(db_url, tmp_path, public_url="http://testserver")) as h:
        yield h


async def mails(h: Harness, recipient: str, template: str) -> list[dict[str, object]]:
    return [
        m.context for m in await h.outbox() if m.recipient == recipient and m.template == template
    ]


async def owner(h: Harness) -> tuple[str, str, str]:
    """A registered organization owner: email, organization id and access token."""
    email = unique_email("owner")
    done = await register_organization(h, email)
    return email, done["organization"]["id"], done["access_token"]


async def ask(h: Harness, email: str) -> None:
    r = await h.client.post("/v1/password-resets", json={"email": email})
    assert r.status_code == 202, r.text


async def test_known_and_unknown_addresses_get_the_same_answer(h: Harness) -> None:
    email, _, _ = await owner(h)
    nobody = unique_email("nobody")
    known = await h.client.post("/v1/password-resets", json={"email": email.upper()})
    unknown = await h.client.post("/v1/password-resets", json={"email": nobody})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert set(known.headers) == set(unknown.headers)
    (sent,) = await mails(h, email, "password_reset")
    assert re.fullmatch(r"\d{6}", str(sent["code"])) and sent["expires_minutes"] == 15
    assert LINK.search(str(sent["link"]))
    assert await mails(h, nobody, "password_reset") == []
    assert len(await mails(h, nobody, "password_reset_unknown")) == 1
    # within the cooldown nothing more is sent, to either
    await ask(h, email)
    await ask(h, nobody)
    assert len(await mails(h, email, "password_reset")) == 1
    assert len(await mails(h, nobody, "password_reset_unknown")) == 1


async def test_the_mailed_code_sets_the_password_and_kills_old_tokens(h: Harness) -> None:
    email, org, token = await owner(h)
    assert (await h.client.get(f"/v1/organizations/{org}", headers=bearer(token))).is_success
    await ask(h, email)
    code = await h.last_code(email)
    weak = {"email": email, "code": code, "password": "password"}
    r = await h.client.post("/v1/password-resets/confirm", json=weak)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "password"
    r = await h.client.post(  # the refused password did not spend the code
        "/v1/password-resets/confirm",
        json={"email": email, "code": code, "password": NEW_PASSWORD},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "password_changed" and r.json()["email"] == email
    old = await h.client.get(f"/v1/organizations/{org}", headers=bearer(token))
    assert old.status_code == 401 and old.json()["code"] == "INVALID_TOKEN"
    refused = await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    fresh = await h.client.post("/v1/sessions", json={"email": email, "password": NEW_PASSWORD})
    assert fresh.status_code == 200, fresh.text
    assert len(await mails(h, email, "password_changed")) == 1
    again = await h.client.post(
        "/v1/password-resets/confirm", json={"email": email, "code": code, "password": PASSWORD}
    )
    assert again.status_code == 400 and again.json()["code"] == "INVALID_CODE"


async def test_the_sixth_wrong_code_is_refused_even_when_right(h: Harness) -> None:
    email, _, _ = await owner(h)
    await ask(h, email)
    code = await h.last_code(email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    body = {"email": email, "code": wrong, "password": NEW_PASSWORD}
    for _ in range(5):
        r = await h.client.post("/v1/password-resets/confirm", json=body)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE", r.text
    r = await h.client.post("/v1/password-resets/confirm", json={**body, "code": code})
    assert r.status_code == 400 and r.json()["code"] == "ATTEMPTS_EXCEEDED"
    refused = await h.client.post("/v1/sessions", json={"email": email, "password": NEW_PASSWORD})
    assert refused.status_code == 401


async def test_twenty_parallel_confirms_with_one_code_make_one_change(h: Harness) -> None:
    email, _, _ = await owner(h)
    await ask(h, email)
    code = await h.last_code(email)

    async def confirm(i: int) -> int:
        body = {"email": email, "code": code, "password": f"{NEW_PASSWORD} {i}"}
        return (await h.client.post("/v1/password-resets/confirm", json=body)).status_code

    statuses = await asyncio.gather(*(confirm(i) for i in range(20)))
    assert sorted(statuses).count(200) == 1, statuses
    assert all(s == 400 for s in statuses if s != 200)
    assert len(await mails(h, email, "password_changed")) == 1


async def test_the_link_shows_a_form_on_get_and_sets_the_password_on_post(h: Harness) -> None:
    email, _, _ = await owner(h)
    await ask(h, email)
    (sent,) = await mails(h, email, "password_reset")
    match = LINK.search(str(sent["link"]))
    assert match
    path = f"/reset/{match.group(1)}"
    first, second = await h.client.get(path), await h.client.get(path)
    assert first.status_code == second.status_code == 200
    assert 'autocomplete="new-password"' in second.text
    token = CSRF.search(second.text)
    assert token
    done = await h.client.post(path, data={"password": NEW_PASSWORD, "csrf": token.group(1)})
    assert done.status_code == 200 and "Your password was changed" in done.text
    login = await h.client.post("/v1/sessions", json={"email": email, "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert (await h.client.get(path)).status_code == 404  # used: the page says so
    reused = await h.client.post(path, data={"password": PASSWORD, "csrf": token.group(1)})
    assert reused.status_code == 400
    code = str(sent["code"])  # the link and the code are one challenge: both are spent
    r = await h.client.post(
        "/v1/password-resets/confirm", json={"email": email, "code": code, "password": PASSWORD}
    )
    assert r.status_code == 400


async def test_the_link_works_after_the_code_attempts_are_spent(h: Harness) -> None:
    """Someone who only knows the address cannot lock the owner out of the mailed link."""
    email, _, _ = await owner(h)
    await ask(h, email)
    (sent,) = await mails(h, email, "password_reset")
    for _ in range(6):
        await h.client.post(
            "/v1/password-resets/confirm",
            json={"email": email, "code": "000000", "password": NEW_PASSWORD},
        )
    token = LINK.search(str(sent["link"]))
    assert token
    r = await h.client.post(
        "/v1/password-resets/confirm", json={"token": token.group(1), "password": NEW_PASSWORD}
    )
    assert r.status_code == 200, r.text


async def test_hostile_bodies_get_a_clear_4xx_and_unknown_addresses_a_wrong_code(
    h: Harness,
) -> None:
    nobody = unique_email("nobody")
    await ask(h, nobody)
    for email in (nobody, unique_email("never-asked")):
        guess = {"email": email, "code": "123456", "password": NEW_PASSWORD}
        r = await h.client.post("/v1/password-resets/confirm", json=guess)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    for body in (
        {"email": "not an email"},
        {"email": 7},
        {},
        {"email": "a@example.com", "extra": 1},
    ):
        r = await h.client.post("/v1/password-resets", json=body)
        assert r.status_code == 422, (body, r.text)
    for body in (
        {"email": "a@example.com", "password": NEW_PASSWORD},
        {"token": "x" * 43, "email": "a@example.com", "code": "123456", "password": "p"},
        {"email": "a@example.com", "code": "12\x0034", "password": NEW_PASSWORD},
    ):
        r = await h.client.post("/v1/password-resets/confirm", json=body)
        assert r.status_code in (400, 422), (body, r.text)


async def test_seed_003_reset_endpoints(h: Harness) -> None:
    email, _, _ = await owner(h)
    r = await h.client.post("/api/v1/auth/forgot-password", json={"email": email})
    other = await h.client.post("/api/v1/auth/forgot-password", json={"email": unique_email()})
    assert r.status_code == other.status_code == 200 and r.json() == other.json()
    code = await h.last_code(email)
    weak = await h.client.post(
        "/api/v1/auth/reset-password", json={"email": email, "code": code, "password": "abcdefgh"}
    )
    assert weak.status_code == 400 and weak.json()["error"] == "VALIDATION_ERROR"
    wrong = await h.client.post(
        "/api/v1/auth/reset-password",
        json={"email": email, "code": "000000", "password": "N3w&Secure!pass"},
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "INVALID_CODE"
    ok = await h.client.post(
        "/api/v1/auth/reset-password",
        json={"email": email, "code": code, "password": "N3w&Secure!pass"},
    )
    assert ok.status_code == 200 and ok.json()["success"] is True, ok.text
    login = await h.client.post(
        "/api/v1/auth/login", json={"email": email, "password": "N3w&Secure!pass"}
    )
    assert login.status_code == 200


async def test_the_hosted_forgot_password_pages(h: Harness) -> None:
    email, _, _ = await owner(h)
    page = await h.client.get("/sign-in")
    assert 'href="/forgot-password"' in page.text
    form = await h.client.get("/forgot-password")
    token = CSRF.search(form.text)
    assert token
    asked = await h.client.post("/forgot-password", data={"email": email, "csrf": token.group(1)})
    assert asked.status_code == 200 and 'name="code"' in asked.text
    code = await h.last_code(email)
    body = {"email": email, "code": "000000", "password": NEW_PASSWORD, "csrf": token.group(1)}
    wrong = await h.client.post("/forgot-password/code", data=body)
    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    done = await h.client.post("/forgot-password/code", data={**body, "code": code})
    assert done.status_code == 200 and "Your password was changed" in done.text
    forged = await h.client.post("/forgot-password", data={"email": email, "csrf": "0" * 64})
    assert forged.status_code == 403


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
