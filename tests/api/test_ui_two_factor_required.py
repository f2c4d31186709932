"""An organization that requires two-factor sign-in leads its people to set it up, in the
hosted pages: the owner who ticks it in the console, and the owner whose sign-up ends with
it on. Never a bare 403 answer; afterwards, back where they were. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyotp
import pytest

from support import oidc
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import (
    PREFERENCES,
    organization_until_complete,
    register_organization,
    unique_email,
)

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
TOKEN = re.compile(r'name="mfa_token" value="([A-Za-z0-9_-]+)"')
SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
NEXT = re.compile(r'name="next" value="([^"]+)"')
CONTINUE = re.compile(r'class="button primary" href="([^"]+)"')


@pytest.fixture
async def ui(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(db_url, tmp_path, public_url="http://testserver")
    async with started_app(settings) as h:
        yield h


async def csrf(h: Harness) -> str:
    found = CSRF.search((await h.client.get("/sign-in")).text)
    assert found
    return found.group(1)


async def set_up_from(h: Harness, page: str, token: str) -> str:
    """Type the code of the secret the set-up page shows; where its "continue" goes."""
    assert "Set up two-factor sign-in" in page
    secret, mfa, then = SECRET.search(page), TOKEN.search(page), NEXT.search(page)
    assert secret and mfa and then
    form = {
        "mfa_token": mfa.group(1),
        "code": pyotp.TOTP(secret.group(1)).now(),
        "next": html.unescape(then.group(1)),
        "csrf": token,
    }
    done = await h.client.post("/sign-in/setup", data=form)
    assert done.status_code == 200 and len(re.findall(r"<li><code>", done.text)) == 10
    onward = CONTINUE.search(done.text)
    assert onward
    return html.unescape(onward.group(1))


async def test_ticking_two_factor_in_the_console_leads_to_its_set_up_then_back(
    ui: Harness,
) -> None:
    email = unique_email("owner")
    body = await register_organization(ui, email)
    org_id = body["organization"]["id"]
    token = await csrf(ui)
    signed = await ui.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert signed.status_code == 200
    assert (await ui.client.get("/console")).status_code == 200
    form = {
        "org": org_id,
        "join_policy": "open",
        "departments": "Physics",
        "two_factor": "on",
        "csrf": token,
    }
    saved = await ui.client.post("/console/settings", data=form)
    assert saved.status_code == 303

    page = await ui.client.get(saved.headers["location"])
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Set up two-factor sign-in" in page.text  # not a 403 problem document
    for path in ("/console", f"/console?org={org_id}"):  # any console page leads there
        again = await ui.client.get(path)
        assert again.status_code == 200 and "Set up two-factor sign-in" in again.text
    posted = await ui.client.post("/console/join-code/rotate", data={"org": org_id, "csrf": token})
    assert posted.status_code == 200 and "Set up two-factor sign-in" in posted.text

    # each page draws a new secret (one shown before may have been seen by someone else)
    page = await ui.client.get(saved.headers["location"])
    onward = await set_up_from(ui, page.text, token)
    assert onward == f"/console?org={org_id}"
    console = await ui.client.get(onward)
    assert console.status_code == 200 and body["organization"]["name"] in console.text
    assert "Set up two-factor sign-in" not in console.text


async def test_a_sign_up_ending_with_two_factor_on_sets_it_up_from_the_welcome_page(
    ui: Harness,
) -> None:
    email = unique_email("owner")
    preferences = {**PREFERENCES, "two_factor": True}
    rid, auth = await organization_until_complete(ui, email, preferences=preferences)
    token = auth["Authorization"].removeprefix("Bearer ")
    ui.client.cookies.set("regflow-reg-organization", f"{rid}.{token}")
    form_token = await csrf(ui)
    done = await ui.client.post("/register/organization/complete", data={"csrf": form_token})
    assert done.status_code == 303
    assert done.headers["location"] == "/register/organization/welcome"

    welcome = await ui.client.get("/register/organization/welcome")
    assert welcome.status_code == 200
    assert "Set up two-factor sign-in" in welcome.text and "Welcome" not in welcome.text
    onward = await set_up_from(ui, welcome.text, form_token)
    assert onward == "/register/organization/welcome"
    shown = await ui.client.get(onward)
    assert shown.status_code == 200 and "Welcome" in shown.text
    assert "Set up two-factor sign-in" not in shown.text
    console = await ui.client.get("/console")  # the session used the second factor
    assert console.status_code == 200 and "Set up two-factor sign-in" not in console.text


async def test_a_sign_up_without_two_factor_goes_straight_to_welcome(ui: Harness) -> None:
    rid, auth = await organization_until_complete(ui, unique_email("owner"))
    token = auth["Authorization"].removeprefix("Bearer ")
    ui.client.cookies.set("regflow-reg-organization", f"{rid}.{token}")
    done = await ui.client.post("/register/organization/complete", data={"csrf": await csrf(ui)})
    welcome = await ui.client.get(done.headers["location"])
    assert welcome.status_code == 200 and "Welcome" in welcome.text
    assert "Set up two-factor sign-in" not in welcome.text
    # the account page speaks the person's language too
    page = await ui.client.get("/account?lang=hi")
    assert page.status_code == 200 and 'lang="hi"' in page.text
    assert "दो-चरणीय साइन-इन सेट करें" in page.text and "Set up two-factor" not in page.text
    setup = await ui.client.post("/account/two-factor", data={"csrf": await csrf(ui)})
    assert "इस कोड को किसी ऑथेंटिकेटर ऐप से स्कैन करें" in setup.text


async def test_an_application_gets_the_person_back_after_the_set_up(
    db_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        db_url, tmp_path, public_url="https://id.test", oidc_clients=oidc.clients()
    )
    async with started_app(settings) as h:
        h.client.base_url = httpx.URL("https://id.test")
        verifier, challenge = oidc.pkce()
        wanted = oidc.params(challenge, prompt="create")
        opened = await h.client.get("/oauth2/authorize", params=wanted)
        assert opened.headers["location"] == "/register/organization"
        preferences = {**PREFERENCES, "two_factor": True}
        email = unique_email("owner")
        rid, auth = await organization_until_complete(h, email, preferences=preferences)
        token = auth["Authorization"].removeprefix("Bearer ")
        h.client.cookies.set("__Host-regflow-reg-organization", f"{rid}.{token}")
        form_token = await csrf(h)
        done = await h.client.post("/register/organization/complete", data={"csrf": form_token})
        # not straight back to the application: its tokens would not speak for the organization
        assert done.headers["location"] == "/register/organization/welcome"
        welcome = await h.client.get(done.headers["location"])
        onward = await set_up_from(h, welcome.text, form_token)
        assert onward.startswith("/oauth2/authorize?")
        back = await h.client.get(onward)
        assert back.headers["location"].startswith(oidc.APP)
        answer = oidc.query(back.headers["location"])
        assert answer["state"] == wanted["state"]
        r = await oidc.exchange(h, answer["code"], verifier)
        claims = oidc.payload(r.json()["id_token"])
        assert claims["email"] == email and claims["role"] == "owner" and claims["org"]
        assert claims["amr"] == ["pwd", "otp"]
