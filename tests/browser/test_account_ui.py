"""After sign-up in a real browser: a forgotten password from the sign-in page, and setting
up two-factor sign-in (the secret read from the page, the code computed as an app would),
then signing in with it; an organization that requires it, ticked at the end of its sign-up
or later in the console, leads its owner through the set-up and back. Codes come from the
real SMTP and SMS sinks."""

from __future__ import annotations

import re
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


def organization_in_the_browser(ui: Ui, page: Page, owner: str, *, two_factor: bool) -> None:
    """The organization flow's five pages, up to its welcome (codes from the sinks)."""
    page.goto("/register/organization")
    page.get_by_label("Organization name").fill(f"Deccan College {uuid.uuid4().hex[:4]}")
    page.get_by_label("Country").fill("India")
    page.get_by_label("State or region").fill("Maharashtra")
    page.get_by_label("City").fill("Pune")
    page.get_by_label("Postal code").fill("411004")
    page.get_by_label("Type of institution").select_option("college")
    page.get_by_label("Number of students").fill("800")
    page.get_by_role("button", name="Continue").click()
    digits = "97" + uuid.uuid4().int.__str__()[:8]
    page.get_by_label("Your full name").fill("Meera Iyer")
    page.get_by_label("Your email address").fill(owner)
    page.get_by_label("Your mobile number").fill(digits)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code", exact=True).fill(ui.email_code(owner))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Code", exact=True).fill(ui.sms_code(f"+91{digits}"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
    page.get_by_label("Several departments").check()
    page.get_by_role("textbox", name="Departments").fill("Physics")
    if two_factor:
        page.get_by_label("Require two-factor sign-in").check()
    page.get_by_role("button", name="Register my organization").click()


def turn_on_from(ui: Ui, page: Page, name: str) -> None:
    """On the set-up page: read the secret, type its code, see the recovery codes."""
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_text("Your organization asks every member")).to_be_visible()
    ui.check(page, f"{name}-setup")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    ui.check(page, f"{name}-recovery-codes")
    page.get_by_role("link", name="I saved them, continue").click()


def test_a_sign_up_with_two_factor_on_sets_it_up_before_the_welcome(ui: Ui) -> None:
    owner = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    page = ui.page()
    organization_in_the_browser(ui, page, owner, two_factor=True)
    expect(page).to_have_url(re.compile(r"/register/organization/welcome$"))
    turn_on_from(ui, page, "signup-twofactor")
    expect(page.get_by_role("heading", name="Welcome, Meera!")).to_be_visible()
    expect(page.locator("#join-code")).to_be_visible()
    page.goto("/console")  # the session used both factors: the console opens
    expect(page.get_by_role("heading", name="Deccan College")).to_be_visible()


def test_ticking_two_factor_in_the_console_leads_to_its_set_up(ui: Ui) -> None:
    owner = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    page = ui.page()
    organization_in_the_browser(ui, page, owner, two_factor=False)
    expect(page.get_by_role("heading", name="Welcome, Meera!")).to_be_visible()
    page.goto("/console")
    page.get_by_label("Require two-factor sign-in for members").check()
    page.get_by_role("button", name="Save the settings").click()
    # the next console page: the set-up (not a bare 403), then back to the console
    expect(page.locator("body")).not_to_contain_text('"status":403')
    turn_on_from(ui, page, "console-twofactor")
    expect(page.get_by_role("heading", name="Deccan College")).to_be_visible()
    assert "/console?org=" in page.url
    expect(page.get_by_label("Require two-factor sign-in for members")).to_be_checked()
