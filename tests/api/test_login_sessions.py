"""The hosted login session on SQLite and PostgreSQL: cookie, rotation, lifetimes, revocation.

Over plain http to a host that is not loopback (``http://testserver``) the cookie
is the development fallback ``regflow-session``; over https (or loopback) it is
``__Host-regflow-session`` with ``Secure``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from regflow.core import cryptokit
from regflow.persistence.tables import login_sessions
from regflow.services.login_sessions import LoginSessions
from regflow.ui.session import Cookies
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import complete, unique_email

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]+)"')
COOKIE = "regflow-session"


@pytest.fixture
async def ui(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(
        db_url,
        tmp_path,
        public_url="http://testserver",
        session_idle_seconds=600,
        session_absolute_seconds=3600,
    )
    async with started_app(settings) as h:
        yield h


async def csrf(h: Harness, path: str = "/sign-in") -> str:
    found = TOKEN.search((await h.client.get(path)).text)
    assert found
    return found.group(1)


async def member(h: Harness) -> str:
    email = unique_email("member")
    await complete(h, *await h.member_until_complete(email))
    return email


async def sign_in(h: Harness, email: str, **extra: str) -> tuple[int, str, str | None]:
    """Status, location or page, and the new session secret (None when no cookie was set)."""
    r = await h.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": await csrf(h), **extra}
    )
    return r.status_code, r.headers.get("location", r.text), r.cookies.get(COOKIE)


def sessions(h: Harness) -> LoginSessions:
    return h.runtime.services.login_sessions


def move_clock(h: Harness, by: timedelta) -> None:
    moment = datetime.now(UTC) + by
    h.runtime.services.ctx.clock = lambda: moment


def test_the_cookie_is_host_prefixed_and_secure_over_https() -> None:
    cookies = Cookies.for_public_url("https://id.example.org", b"k", 60, 3600)
    assert cookies.session_name == "__Host-regflow-session"
    dev = Cookies.for_public_url("http://id.example.org", b"k", 60, 3600)
    assert dev.session_name == "regflow-session" and not dev.secure


async def test_sign_in_sets_an_httponly_lax_cookie_stored_only_hashed(ui: Harness) -> None:
    email = await member(ui)
    r = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": await csrf(ui)}
    )
    assert r.status_code == 200 and "You are signed in" in r.text
    header = next(v for v in r.headers.get_list("set-cookie") if v.startswith(f"{COOKIE}="))
    assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header
    assert "Max-Age=3600" in header
    secret = r.cookies[COOKIE]
    signed_in = await sessions(ui).current(secret)
    assert signed_in is not None and signed_in.account.email == email
    assert signed_in.session.amr == ("pwd",)
    async with ui.runtime.engine.connect() as conn:
        rows = (await conn.execute(select(login_sessions))).mappings().all()
    mine = [row for row in rows if row["account_id"] == signed_in.account.id]
    assert [row["token_hash"] for row in mine] == [cryptokit.sha256_hex(secret)]
    assert all(secret not in str(dict(row)) for row in rows)  # the database shares no secret


async def test_a_wrong_password_starts_no_session(ui: Harness) -> None:
    email = await member(ui)
    r = await ui.client.post(
        "/sign-in", data={"email": email, "password": "not it at all", "csrf": await csrf(ui)}
    )
    assert r.status_code == 401 and COOKIE not in r.cookies


async def test_signing_in_again_rotates_the_secret(ui: Harness) -> None:
    email = await member(ui)
    _, _, first = await sign_in(ui, email)
    _, _, second = await sign_in(ui, email)  # the client sends the first cookie back
    assert first and second and first != second
    assert await sessions(ui).current(first) is None
    assert await sessions(ui).current(second) is not None


async def test_a_planted_secret_never_becomes_a_signed_in_one(ui: Harness) -> None:
    email = await member(ui)
    ui.client.cookies.set(COOKIE, "planted-by-an-attacker-0123456789")
    _, _, secret = await sign_in(ui, email)
    assert secret and secret != "planted-by-an-attacker-0123456789"
    assert await sessions(ui).current("planted-by-an-attacker-0123456789") is None


async def test_idle_and_absolute_lifetimes(ui: Harness) -> None:
    email = await member(ui)
    _, _, secret = await sign_in(ui, email)
    move_clock(ui, timedelta(minutes=9))
    assert await sessions(ui).current(secret) is not None  # used: the idle clock moves on
    move_clock(ui, timedelta(minutes=18))
    assert await sessions(ui).current(secret) is not None
    move_clock(ui, timedelta(minutes=29))  # 11 minutes unused
    assert await sessions(ui).current(secret) is None
    _, _, kept = await sign_in(ui, email)
    for minutes in range(5, 60, 5):  # used every 5 minutes, still ends an hour after sign-in
        move_clock(ui, timedelta(minutes=29 + minutes))
        assert await sessions(ui).current(kept) is not None
    move_clock(ui, timedelta(minutes=29 + 61))
    assert await sessions(ui).current(kept) is None


async def test_sign_out_revokes_and_drops_the_cookie(ui: Harness) -> None:
    email = await member(ui)
    _, _, secret = await sign_in(ui, email)
    r = await ui.client.post("/sign-out", data={"csrf": await csrf(ui)})
    assert r.status_code == 200 and "signed out" in r.text
    assert f'{COOKIE}=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    assert await sessions(ui).current(secret) is None
    assert not await sessions(ui).revoke(secret)  # once


async def test_sign_out_needs_the_csrf_token(ui: Harness) -> None:
    email = await member(ui)
    _, _, secret = await sign_in(ui, email)
    r = await ui.client.post("/sign-out", data={"csrf": "0" * 64})
    assert r.status_code == 403
    assert await sessions(ui).current(secret) is not None


async def test_revoke_all_and_a_token_version_bump_end_every_session(ui: Harness) -> None:
    email = await member(ui)
    _, _, one = await sign_in(ui, email)
    ui.client.cookies.clear()
    _, _, two = await sign_in(ui, email)
    assert one and two
    signed_in = await sessions(ui).current(two)
    assert signed_in is not None
    assert await sessions(ui).revoke_all(signed_in.account.id) == 2
    assert await sessions(ui).current(one) is None and await sessions(ui).current(two) is None
    ui.client.cookies.clear()
    _, _, three = await sign_in(ui, email)
    async with ui.runtime.uow() as uow:
        assert await uow.accounts.bump_token_version(signed_in.account.id) == 1
        await uow.commit()
    assert await sessions(ui).current(three) is None


async def test_next_continues_only_to_this_sites_own_pages(ui: Harness) -> None:
    email = await member(ui)
    status, location, _ = await sign_in(ui, email, next="/oauth2/authorize?client_id=x")
    assert status == 303 and location == "/oauth2/authorize?client_id=x"
    for hostile in ("https://evil.example/", "//evil.example/oauth2/authorize?", "/\\evil"):
        status, page, secret = await sign_in(ui, email, next=hostile)
        assert status == 200 and "You are signed in" in page and secret


async def test_the_end_of_a_hosted_flow_signs_the_browser_in(ui: Harness) -> None:
    email = unique_email("member")
    rid, auth = await ui.member_until_complete(email)
    token = auth["Authorization"].removeprefix("Bearer ")
    ui.client.cookies.set("regflow-reg-member", f"{rid}.{token}")
    r = await ui.client.post("/register/member/complete", data={"csrf": await csrf(ui)})
    assert r.status_code == 303 and r.headers["location"] == "/register/member/welcome"
    signed_in = await sessions(ui).current(r.cookies.get(COOKIE))
    assert signed_in is not None and signed_in.account.email == email
    welcome = await ui.client.get(r.headers["location"])
    assert welcome.status_code == 200 and "Welcome" in welcome.text


async def test_odd_cookies_are_nobody(ui: Harness) -> None:
    for value in ("", "x" * 5000, "\u00e9t\u00e9"):
        assert await sessions(ui).current(value) is None
