"""After sign-up in a real browser: a forgotten password from the sign-in page, and setting
up two-factor sign-in (the secret read from the page, the code computed as an app would),
then signing in with it. Codes come from the real SMTP sink."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from support.browser import TIMEOUT, Ui, served_ui
from support.harness import PASSWORD

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a new passphrase from the browser"


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path) -> Iterator[Ui]:
    tmp = tmp_path_factory.mktemp("account-ui")
    with served_ui(tmp, browser, artifacts) as ui:
        yield ui


def member(ui: Ui) -> str:
    """A member account made through the API (its code from the SMTP sink)."""
    address = f"acct-{uuid.uuid4().hex[:10]}@example.com"
    with httpx.Client(base_url=ui.base_url, timeout=TIMEOUT) as api:
        started = api.post("/v1/registrations", json={"flow": "member"}).json()
        auth = {"Authorization": f"Bearer {started['token']}"}
        url = f"/v1/registrations/{started['id']}"
        api.post(f"{url}/steps/email", json={"email": address}, headers=auth).raise_for_status()
        code = {"code": ui.email_code(address)}
        api.post(f"{url}/verifications/email/confirm", json=code, headers=auth).raise_for_status()
        who = {"first_name": "Ada", "last_name": "Lovelace", "username": "a" + uuid.uuid4().hex[:9]}
        api.post(f"{url}/steps/identity", json=who, headers=auth).raise_for_status()
        secret = {"password": PASSWORD, "password_confirmation": PASSWORD}
        api.post(f"{url}/steps/credentials", json=secret, headers=auth).raise_for_status()
        api.post(f"{url}/complete", headers=auth).raise_for_status()
    return address


def sign_in(page: Page, address: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_forgot_password_from_the_sign_in_page(ui: Ui) -> None:
    address = member(ui)
    page = ui.page()
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    ui.check(page, "reset-1-ask")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    ui.check(page, "reset-2-code")
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.locator("#error-summary")).to_contain_text("That code is not right")
    ui.check(page, "reset-3-wrong-code")
    page.get_by_label("Code", exact=True).fill(ui.latest_email_code(address, 2))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Your password was changed")).to_be_visible()
    ui.check(page, "reset-4-done")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()


def test_set_up_two_factor_then_sign_in_with_it(ui: Ui) -> None:
    address = member(ui)
    page = ui.page()
    sign_in(page, address, PASSWORD)
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    page.goto("/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    ui.check(page, "twofactor-1-account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    ui.check(page, "twofactor-2-setup")
    secret = page.locator("#totp-secret").inner_text().strip()  # what a person types in
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    assert page.locator("#recovery-codes li").count() == 10
    ui.check(page, "twofactor-3-recovery-codes")
    page.goto("/account")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()

    sign_in(page, address, PASSWORD)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    ui.check(page, "twofactor-4-prompt")
    page.goto("/account")  # the password alone signed nobody in
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, address, PASSWORD)
    # the next step's code: the current one was spent turning the factor on
    page.get_by_label("Code from your app").fill(totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    ui.check(page, "twofactor-5-signed-in", scan=False)
