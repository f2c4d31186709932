"""Signing up from an application: authorize with ``prompt=create``, the organization flow in
Chromium, and back in the application with the ID token's organization and role.

The application is ``support.relying_party`` (Starlette) on a port of its own; regflow
runs with mail and SMS going to real sinks. The second visit goes through on regflow's
login session: no form is shown.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Request, expect

from support.browser import Ui, served_ui
from support.harness import PASSWORD
from support.server import free_port

pytestmark = pytest.mark.e2e

TESTS = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def relying_party(port: int, issuer: str, log: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    env = {"RP_ISSUER": issuer, "RP_CLIENT_ID": "school-app", "RP_URL": url, "PATH": "/usr/bin"}
    command = [sys.executable, "-m", "uvicorn", "support.relying_party:create", "--factory"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=TESTS,
            env=env,
            stdout=out,
            stderr=out,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(url + "/", timeout=1).status_code == 200:
                        break
                assert process.poll() is None, log.read_text()
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_and_ui(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path
) -> Iterator[tuple[str, Ui]]:
    tmp = tmp_path_factory.mktemp("oidc-ui")
    port = free_port()
    client = {
        "client_id": "school-app",
        "name": "School app",
        "redirect_uris": [f"http://127.0.0.1:{port}/callback"],
        "public": True,
        "first_party": True,
        "flows": ["organization"],
    }
    env = {"REGFLOW_OIDC_CLIENTS": json.dumps([client])}
    with served_ui(tmp, browser, artifacts, env) as ui:
        with relying_party(port, ui.base_url, tmp / "rp.log") as app:
            yield app, ui


def test_sign_up_from_the_app_ends_in_the_app_and_the_next_visit_needs_no_form(
    app_and_ui: tuple[str, Ui],
) -> None:
    app, ui = app_and_ui
    owner = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    school = f"Deccan College {secrets.token_hex(2)}"
    page = ui.page()
    page.goto(app + "/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()  # straight into the flow
    assert page.url.startswith(ui.base_url + "/register/organization")
    page.get_by_label("Organization name").fill(school)
    page.get_by_label("Country").fill("India")
    page.get_by_label("State or region").fill("Maharashtra")
    page.get_by_label("City").fill("Pune")
    page.get_by_label("Postal code").fill("411006")
    page.get_by_label("Type of institution").select_option("college")
    page.get_by_label("Number of students").fill("900")
    page.get_by_label("Recognized by the government").check()
    ui.check(page, "oidc-1-organization")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    national = "97" + "".join(secrets.choice("0123456789") for _ in range(8))
    page.get_by_label("Your full name").fill("Meera Kulkarni")
    page.get_by_label("Your email address").fill(owner)
    page.get_by_label("Your mobile number").fill(national)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(ui.email_code(owner))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Check your phone")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(ui.sms_code(f"+91{national}"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()  # 2 code pages
    page.get_by_label("Single department").check()
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Register my organization").click()

    # no welcome page: back in the application, signed in, with the token's claims
    expect(page.get_by_role("heading", name="Welcome, Meera Kulkarni")).to_be_visible(
        timeout=30_000  # completion, then authorize, then the app's token exchange
    )
    assert page.url.startswith(app + "/callback")
    expect(page.locator("#claim-email")).to_have_text(owner)
    expect(page.locator("#claim-role")).to_have_text("owner")
    slug = page.locator("#claim-org_slug").inner_text()
    assert slug.startswith("deccan-college")
    assert len(page.locator("#claim-org").inner_text()) == 36  # the organization's id
    ui.check(page, "oidc-2-back-in-the-app")

    # the second visit: regflow's login session answers, no form is shown
    seen: list[str] = []

    def remember(request: Request) -> None:
        if request.is_navigation_request():
            seen.append(request.url)

    page.on("request", remember)
    page.goto(app + "/")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Meera Kulkarni")).to_be_visible(
        timeout=30_000  # completion, then authorize, then the app's token exchange
    )
    expect(page.locator("#claim-org_slug")).to_have_text(slug)
    assert not [url for url in seen if "/sign-in" in url or "/register/" in url], seen
    assert any("/oauth2/authorize?" in url for url in seen)


def test_signing_in_from_the_app_without_a_session_shows_the_form_with_a_way_to_sign_up(
    app_and_ui: tuple[str, Ui],
) -> None:
    app, ui = app_and_ui
    page = ui.page()  # a new browser context: no login session
    page.goto(app + "/")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    ui.check(page, "oidc-3-sign-in-from-the-app")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()
    assert page.url.startswith(ui.base_url + "/register/organization")
