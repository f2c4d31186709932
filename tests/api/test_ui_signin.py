"""``/sign-in`` in-process: CSRF, one message for unknown email and wrong password, no token."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from regflow.core.model import Account
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import complete, register_organization, unique_email

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]+)"')
GENERIC = "That email address and password do not match an account."


@pytest.fixture
async def ui(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(sqlite_url, tmp_path, public_url="http://testserver")
    async with started_app(settings) as h:
        yield h


async def csrf(h: Harness, path: str = "/sign-in") -> str:
    page = await h.client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


async def sign_in(h: Harness, email: str, password: str) -> tuple[int, str]:
    token = await csrf(h)
    r = await h.client.post("/sign-in", data={"email": email, "password": password, "csrf": token})
    return r.status_code, r.text


async def test_the_form_asks_for_email_and_current_password(ui: Harness) -> None:
    r = await ui.client.get("/sign-in")
    assert r.status_code == 200
    assert 'autocomplete="current-password"' in r.text and 'name="email"' in r.text
    assert r.headers["cache-control"] == "no-store"


async def test_a_post_without_the_csrf_token_is_refused(ui: Harness) -> None:
    email = unique_email("member")
    await complete(ui, *await ui.member_until_complete(email))
    await ui.client.get("/sign-in")
    r = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": "0" * 64}
    )
    assert r.status_code == 403
    assert "signed in" not in r.text


async def test_a_member_signs_in_and_no_token_is_shown(ui: Harness) -> None:
    email = unique_email("member")
    await complete(ui, *await ui.member_until_complete(email))
    status, text = await sign_in(ui, email.upper(), PASSWORD)
    assert status == 200, text
    assert "You are signed in" in text and email in text
    assert "not part of an organization" in text
    assert "eyJ" not in text and "access_token" not in text  # no JWT in the page


async def test_an_owner_sees_the_organization_and_role(ui: Harness) -> None:
    email = unique_email("owner")
    owner = await register_organization(ui, email)
    status, text = await sign_in(ui, email, PASSWORD)
    assert status == 200, text
    assert owner["organization"]["name"] in text and "Administrator" in text


async def test_unknown_email_and_wrong_password_read_the_same(ui: Harness) -> None:
    email = unique_email("member")
    await complete(ui, *await ui.member_until_complete(email))
    wrong_status, wrong = await sign_in(ui, email, "not the password at all")
    unknown_status, unknown = await sign_in(ui, unique_email("nobody"), PASSWORD)
    assert wrong_status == unknown_status == 401
    assert GENERIC in wrong and GENERIC in unknown
    assert f'value="{email}"' in wrong  # the email is kept, the password never
    assert "not the password at all" not in wrong and PASSWORD not in unknown


async def test_empty_fields_are_named(ui: Harness) -> None:
    status, text = await sign_in(ui, "", "")
    assert status == 422
    assert "Enter your email address." in text and "Enter your password." in text


async def test_an_unverified_email_is_said_only_after_the_right_password(ui: Harness) -> None:
    email = unique_email("member")
    async with ui.runtime.uow() as uow:
        hashed = await ui.runtime.hasher.hash(PASSWORD)
        await uow.accounts.add(Account(str(uuid.uuid4()), email, hashed, datetime.now(UTC)))
        await uow.commit()
    status, text = await sign_in(ui, email, PASSWORD)
    assert status == 403 and "not confirmed yet" in text
    status, text = await sign_in(ui, email, "not the password at all")
    assert status == 401 and GENERIC in text
