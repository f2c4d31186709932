"""The hosted sign-in with a second factor, in-process: no session on the password alone, the
code prompt, the set-up an organization requires, the account page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import PREFERENCES, register_organization, unique_email

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
TOKEN = re.compile(r'name="mfa_token" value="([A-Za-z0-9_-]+)"')
SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


@pytest.fixture
async def ui(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(sqlite_url, tmp_path, public_url="http://testserver")
    async with started_app(settings) as h:
        yield h


async def csrf(h: Harness) -> str:
    found = CSRF.search((await h.client.get("/sign-in")).text)
    assert found
    return found.group(1)


async def test_an_organization_that_requires_it_sets_it_up_at_sign_in(ui: Harness) -> None:
    email = unique_email("owner")
    await register_organization(ui, email, preferences={**PREFERENCES, "two_factor": True})
    token = await csrf(ui)
    ui.client.cookies.delete("regflow-session")
    page = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert page.status_code == 200 and "Set up two-factor sign-in" in page.text
    assert "regflow-session" not in ui.client.cookies  # the password alone signs nobody in
    assert (await ui.client.get("/account")).status_code == 303
    secret, mfa = SECRET.search(page.text), TOKEN.search(page.text)
    assert secret and mfa
    wrong = {"mfa_token": mfa.group(1), "code": "000000", "csrf": token}
    again = await ui.client.post("/sign-in/setup", data=wrong)
    assert again.status_code == 400 and secret.group(1) in again.text  # the same secret shown
    right = {**wrong, "code": pyotp.TOTP(secret.group(1)).now()}
    done = await ui.client.post("/sign-in/setup", data=right)
    assert done.status_code == 200 and "Save your recovery codes" in done.text
    assert len(re.findall(r"<li><code>", done.text)) == 10
    account = await ui.client.get("/account")
    assert account.status_code == 200 and "Recovery codes left: 10" in account.text

    # signed out: the password leads to the code prompt; a wrong code keeps the prompt
    ui.client.cookies.delete("regflow-session")
    page = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert "Enter your sign-in code" in page.text and "regflow-session" not in ui.client.cookies
    mfa = TOKEN.search(page.text)
    assert mfa
    body = {"mfa_token": mfa.group(1), "code": "000000", "csrf": token}
    wrong_code = await ui.client.post("/sign-in/code", data=body)
    assert wrong_code.status_code == 400 and "That code is not right" in wrong_code.text
    later = datetime.now(UTC) + timedelta(seconds=30)
    body["code"] = pyotp.TOTP(secret.group(1)).at(later)
    signed_in = await ui.client.post("/sign-in/code", data=body)
    assert signed_in.status_code == 200 and "You are signed in" in signed_in.text
    assert "regflow-session" in ui.client.cookies
    forged = await ui.client.post("/sign-in/code", data={**body, "csrf": "0" * 64})
    assert forged.status_code == 403


async def test_a_password_reset_ends_the_hosted_session(ui: Harness) -> None:
    email = unique_email("member")
    await register_organization(ui, email)
    token = await csrf(ui)
    page = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert "You are signed in" in page.text
    assert (await ui.client.get("/account")).status_code == 200
    await ui.client.post("/v1/password-resets", json={"email": email})
    code = await ui.last_code(email)
    body = {"email": email, "code": code, "password": "another long passphrase 9"}
    assert (await ui.client.post("/v1/password-resets/confirm", json=body)).status_code == 200
    after = await ui.client.get("/account")
    assert after.status_code == 303 and after.headers["location"].startswith("/sign-in")
