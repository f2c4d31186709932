"""The account page's changes in the hosted UI, on SQLite and PostgreSQL: moving to another
address (a code from the outbox, then signed out everywhere) and leaving (the password,
an owner refused until they hand over)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import complete, register_organization, unique_email

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
SESSION = "regflow-session"


@pytest.fixture
async def ui(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(db_url, tmp_path, public_url="http://testserver")
    async with started_app(settings) as h:
        yield h


async def csrf(h: Harness) -> str:
    found = CSRF.search((await h.client.get("/sign-in")).text)
    assert found
    return found.group(1)


async def signed_in_member(h: Harness) -> tuple[str, str]:
    email = unique_email("acct")
    await complete(h, *await h.member_until_complete(email))
    token = await csrf(h)
    r = await h.client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf": token})
    assert r.status_code == 200 and SESSION in h.client.cookies
    return email, token


async def test_moving_to_another_address_from_the_account_page(ui: Harness) -> None:
    old, token = await signed_in_member(ui)
    page = await ui.client.get("/account")
    assert page.status_code == 200 and 'action="/account/email"' in page.text
    new = unique_email("moved")
    wrong = await ui.client.post(
        "/account/email", data={"email": new, "password": "not it at all", "csrf": token}
    )
    assert wrong.status_code == 422 and 'id="a-password-error"' in wrong.text
    assert not [m for m in await ui.outbox() if m.recipient == new]  # nothing sent
    bad = await ui.client.post(
        "/account/email", data={"email": "no-at-sign", "password": PASSWORD, "csrf": token}
    )
    assert bad.status_code == 422 and 'id="a-email-error"' in bad.text
    sent = await ui.client.post(
        "/account/email", data={"email": new, "password": PASSWORD, "csrf": token}
    )
    assert sent.status_code == 200 and "Check your new address" in sent.text
    (mail,) = [m for m in await ui.outbox() if m.recipient == new]
    target = re.search(r'name="target" value="([^"]+)"', sent.text)
    assert target
    again = await ui.client.post(
        "/account/email/confirm", data={"code": "000000", "target": target.group(1), "csrf": token}
    )
    assert again.status_code == 400 and "There is a problem" in again.text
    done = await ui.client.post(
        "/account/email/confirm",
        data={"code": mail.context["code"], "target": target.group(1), "csrf": token},
    )
    assert done.status_code == 200 and "Your address is changed" in done.text
    assert SESSION not in ui.client.cookies  # signed out everywhere
    assert (await ui.client.get("/account")).status_code == 303
    by_old = await ui.client.post(
        "/sign-in", data={"email": old, "password": PASSWORD, "csrf": token}
    )
    assert "You are signed in" not in by_old.text
    by_new = await ui.client.post(
        "/sign-in", data={"email": new, "password": PASSWORD, "csrf": token}
    )
    assert by_new.status_code == 200 and "You are signed in" in by_new.text
    notices = [m.template for m in await ui.outbox() if m.recipient == old]
    assert "email_changed" in notices  # the old address can undo it


async def test_leaving_from_the_account_page(ui: Harness) -> None:
    email, token = await signed_in_member(ui)
    wrong = await ui.client.post(
        "/account/delete", data={"password": "not it at all", "csrf": token}
    )
    assert wrong.status_code == 422 and 'id="d-password-error"' in wrong.text
    forged = await ui.client.post("/account/delete", data={"password": PASSWORD, "csrf": "0" * 64})
    assert forged.status_code == 403
    gone = await ui.client.post("/account/delete", data={"password": PASSWORD, "csrf": token})
    assert gone.status_code == 200 and "Your account is deleted" in gone.text
    assert SESSION not in ui.client.cookies
    assert [m.template for m in await ui.outbox() if m.recipient == email] == ["account_deleted"]
    again = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert "You are signed in" not in again.text


async def test_an_owner_is_told_to_hand_over_first(ui: Harness) -> None:
    email = unique_email("owner")
    await register_organization(ui, email)
    token = await csrf(ui)
    await ui.client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf": token})
    refused = await ui.client.post("/account/delete", data={"password": PASSWORD, "csrf": token})
    assert refused.status_code == 422 and "hand it over" in refused.text
    assert (await ui.client.get("/account")).status_code == 200  # still there, still signed in


async def test_signed_out_the_changes_ask_to_sign_in(ui: Harness) -> None:
    token = await csrf(ui)
    for path in ("/account/email", "/account/email/confirm", "/account/delete"):
        r = await ui.client.post(path, data={"csrf": token, "password": PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/account"
