"""The hosted UI in-process: CSRF on every post, strict CSP, cookie names, no 500 on input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from regflow.ui.session import Cookies
from support.harness import Harness, make_settings, started_app

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture
async def ui(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    # plain http to a host that is not loopback: cookies without Secure and __Host-
    settings = make_settings(sqlite_url, tmp_path, public_url="http://testserver")
    async with started_app(settings) as h:
        yield h


async def csrf(h: Harness, path: str = "/register/member/step/email") -> str:
    page = await h.client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


def test_cookie_policy_follows_the_public_url() -> None:
    assert (
        Cookies.for_public_url("https://id.example.org", b"k", 60).name("x") == "__Host-regflow-x"
    )
    assert Cookies.for_public_url("http://127.0.0.1:8000", b"k", 60).secure
    assert Cookies.for_public_url("http://localhost", b"k", 60).secure
    plain = Cookies.for_public_url("http://id.example.org", b"k", 60)
    assert not plain.secure and plain.name("x") == "regflow-x"


async def test_pages_carry_a_strict_csp_and_are_not_cached(ui: Harness) -> None:
    r = await ui.client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text and " style=" not in r.text
    assert "regflow-csrf=" in r.headers["set-cookie"]


async def test_a_post_without_the_csrf_token_is_refused(ui: Harness) -> None:
    await ui.client.get("/register/member/step/email")  # the CSRF cookie is set
    r = await ui.client.post(
        "/register/member/step/email", data={"email": "a@example.com", "csrf": "0" * 64}
    )
    assert r.status_code == 403
    assert await ui.outbox() == []  # nothing started, nothing sent


async def test_the_email_step_starts_and_the_mail_links_to_the_ui(ui: Harness) -> None:
    token = await csrf(ui)
    r = await ui.client.post(
        "/register/member/step/email", data={"email": "ui@example.com", "csrf": token}
    )
    assert r.status_code == 303 and r.headers["location"] == "/register/member/verify/email"
    cookie = r.headers["set-cookie"]
    assert "regflow-reg-member=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    (message,) = await ui.outbox()
    assert "/register/confirm/" in message.context["link"]
    page = await ui.client.get("/register/member/verify/email")
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "x" * 5000},
        {"email": "\x00"},
        {"email": ["a", "b"]},
        {},
    ],
)
async def test_odd_input_is_a_message_never_a_500(ui: Harness, fields: dict[str, object]) -> None:
    token = await csrf(ui)
    r = await ui.client.post("/register/member/step/email", data={**fields, "csrf": token})
    assert r.status_code == 422, r.text
    assert 'class="error"' in r.text


async def test_unknown_flows_and_steps_are_404(ui: Harness) -> None:
    assert (await ui.client.get("/register/nope")).status_code == 404
    assert (await ui.client.get("/register/member/step/nope")).status_code == 404
    later = await ui.client.get("/register/member/step/credentials")
    assert later.status_code == 303  # no registration yet: back to its first step
