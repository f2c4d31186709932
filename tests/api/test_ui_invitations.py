"""``/invite/{token}`` in-process: GET uses nothing, refusals leave the invitation unused.

The link is read from the invitation mail in the outbox; "used or not" is
asked of the API (``GET /v1/invitations/{token}`` answers 200 while unused).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from regflow.persistence.tables import invitations
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import complete, register_organization, unique_email

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]+)"')
GENERIC = "That email address and password do not match an account."
SINGLE = {"structure": "single", "timezone": "UTC"}


@pytest.fixture
async def ui(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(sqlite_url, tmp_path, public_url="http://testserver")
    async with started_app(settings) as h:
        yield h


@pytest.fixture
async def owner(ui: Harness) -> dict[str, Any]:
    return await register_organization(ui, preferences={**SINGLE, "join_policy": "invite_only"})


async def invite(h: Harness, owner: dict[str, Any], email: str, role: str) -> str:
    """Invite ``email``: the link of the mail, as queued in the outbox."""
    r = await h.client.post(
        f"/v1/organizations/{owner['organization']['id']}/invitations",
        json={"email": email, "role": role},
        headers={"Authorization": f"Bearer {owner['access_token']}"},
    )
    assert r.status_code == 201, r.text
    mails = [m for m in await h.outbox() if m.recipient == email and m.template == "invitation"]
    return str(mails[0].context["link"])


def path_of(link: str) -> str:
    return link.removeprefix("http://testserver")


async def csrf(h: Harness, path: str) -> str:
    page = await h.client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


async def unused(h: Harness, link: str) -> bool:
    token = link.rsplit("/", 1)[1]
    return (await h.client.get(f"/v1/invitations/{token}")).status_code == 200


async def account(h: Harness, tag: str = "member") -> str:
    email = unique_email(tag)
    await complete(h, *await h.member_until_complete(email))
    return email


async def test_the_mail_links_to_the_page_and_get_uses_nothing(
    ui: Harness, owner: dict[str, Any]
) -> None:
    link = await invite(ui, owner, "invitee@example.com", "teacher")
    assert link.startswith("http://testserver/invite/")
    for _ in range(2):  # a mail scanner, then the person
        page = await ui.client.get(path_of(link))
        assert page.status_code == 200
        assert owner["organization"]["name"] in page.text and "Teacher" in page.text
        assert "invitee@example.com" not in page.text  # masked
        assert "Accept and create my account" in page.text and "Sign in to accept" in page.text
    assert await unused(ui, link)


async def test_without_the_ui_the_mail_links_to_the_api(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, tmp_path, public_url="http://testserver", ui=False)
    async with started_app(settings) as h:
        owner = await register_organization(h, preferences=SINGLE)
        link = await invite(h, owner, "api@example.com", "member")
        assert link.startswith("http://testserver/v1/invitations/")
        assert (
            await h.client.get(path_of(link).replace("/v1/invitations/", "/invite/"))
        ).status_code == 404


async def test_posts_without_the_csrf_token_are_refused(ui: Harness, owner: dict[str, Any]) -> None:
    email = await account(ui)
    link = await invite(ui, owner, email, "member")
    await ui.client.get(path_of(link))
    bad = {"csrf": "0" * 64, "email": email, "password": PASSWORD}
    for suffix in ("", "/sign-in"):
        r = await ui.client.post(path_of(link) + suffix, data=bad)
        assert r.status_code == 403
    assert await unused(ui, link)


async def test_accepting_starts_the_flow_in_this_browser(
    ui: Harness, owner: dict[str, Any]
) -> None:
    link = await invite(ui, owner, "new-teacher@example.com", "teacher")
    token = await csrf(ui, path_of(link))
    r = await ui.client.post(path_of(link), data={"csrf": token})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/register/teacher/step/")
    assert "regflow-reg-teacher=" in r.headers["set-cookie"]
    page = await ui.client.get(r.headers["location"])
    assert page.status_code == 200 and "Step 1 of" in page.text
    assert 'value="new-teacher@example.com"' in page.text  # the invited address, filled in
    assert not await unused(ui, link)
    again = await ui.client.post(path_of(link), data={"csrf": token})
    assert again.status_code == 409 and "already used" in again.text
    shown = await ui.client.get(path_of(link))
    assert shown.status_code == 409 and "ask the organization for a new invitation" in shown.text


async def test_wrong_credentials_leave_it_unused_then_the_account_joins(
    ui: Harness, owner: dict[str, Any]
) -> None:
    email = await account(ui)
    link = await invite(ui, owner, email, "teacher")
    token = await csrf(ui, path_of(link))
    sign_in = path_of(link) + "/sign-in"
    for tried in (
        {"email": email, "password": "not the password"},
        {"email": "x@example.com", "password": PASSWORD},
    ):
        r = await ui.client.post(sign_in, data={**tried, "csrf": token})
        assert r.status_code == 401 and GENERIC in r.text
        assert f'value="{tried["email"]}"' in r.text and tried["password"] not in r.text
        assert await unused(ui, link)
    r = await ui.client.post(sign_in, data={"email": email, "password": PASSWORD, "csrf": token})
    assert r.status_code == 200, r.text
    assert f"You joined {owner['organization']['name']} as a teacher" in r.text
    assert "eyJ" not in r.text  # no token in the page
    assert not await unused(ui, link)


async def test_another_account_and_a_member_already_are_told(
    ui: Harness, owner: dict[str, Any]
) -> None:
    invited, stranger = await account(ui, "invited"), await account(ui, "stranger")
    link = await invite(ui, owner, invited, "member")
    token = await csrf(ui, path_of(link))
    sign_in = path_of(link) + "/sign-in"
    r = await ui.client.post(sign_in, data={"email": stranger, "password": PASSWORD, "csrf": token})
    assert r.status_code == 403 and "sent to another email address" in r.text
    assert await unused(ui, link)
    r = await ui.client.post(sign_in, data={"email": invited, "password": PASSWORD, "csrf": token})
    assert r.status_code == 200
    second = await invite(ui, owner, invited, "teacher")
    r = await ui.client.post(
        path_of(second) + "/sign-in", data={"email": invited, "password": PASSWORD, "csrf": token}
    )
    assert r.status_code == 409 and "member of this organization already" in r.text
    assert await unused(ui, second)


async def test_unknown_malformed_and_expired_invitations_are_pages(
    ui: Harness, owner: dict[str, Any]
) -> None:
    assert (await ui.client.get(f"/invite/{'x' * 43}")).status_code == 404
    malformed = await ui.client.get("/invite/short")
    assert malformed.status_code == 404 and "is not valid" in malformed.text
    assert malformed.headers["content-type"].startswith("text/html")
    link = await invite(ui, owner, "late@example.com", "student")
    token = await csrf(ui, path_of(link))
    async with ui.runtime.engine.begin() as conn:
        await conn.execute(
            update(invitations)
            .where(invitations.c.email == "late@example.com")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await ui.client.get(path_of(link))).status_code == 410
    r = await ui.client.post(path_of(link), data={"csrf": token})
    assert r.status_code == 410 and "has expired" in r.text
    r = await ui.client.post(
        path_of(link) + "/sign-in", data={"csrf": token, "email": "a@example.com", "password": "x"}
    )
    assert r.status_code == 410
