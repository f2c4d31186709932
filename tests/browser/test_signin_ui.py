"""Signing in and invitations in a real browser: codes and links read from real sinks.

An organization's owner is registered through the API (its codes from the
SMTP and SMS sinks) and invites through the API with its access token; the
invitee follows the link of the mail the SMTP sink received, as a person
would.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from support.browser import TIMEOUT, Ui, served_ui
from support.harness import PASSWORD
from support.orgs import ORG, indian_mobile
from support.server import text_body

pytestmark = pytest.mark.e2e
INVITE = re.compile(r"https?://\S+/invite/[A-Za-z0-9_-]+")
GENERIC = "That email address and password do not match an account."
BRAND_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    '<circle cx="5" cy="5" r="5" fill="#0f5132"/></svg>'
)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path) -> Iterator[Ui]:
    tmp = tmp_path_factory.mktemp("signin-ui")
    logo = tmp / "brand.svg"
    logo.write_text(BRAND_LOGO)
    brand = {  # this service is branded: its pages show it
        "REGFLOW_BRAND_NAME": "Sunrise Schools",
        "REGFLOW_BRAND_COLOR": "#0F5132",
        "REGFLOW_BRAND_LOGO": str(logo),
        "REGFLOW_SUPPORT_EMAIL": "help@sunrise.example",
    }
    with served_ui(tmp, browser, artifacts, brand) as ui:
        yield ui


def email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def owner(ui: Ui) -> dict[str, Any]:
    """An organization registered through the API: the completion body (owner's token)."""
    address = email("owner")
    national, e164 = indian_mobile()
    with httpx.Client(base_url=ui.base_url, timeout=TIMEOUT) as api:
        started = api.post("/v1/registrations", json={"flow": "organization"}).json()
        rid, auth = started["id"], bearer(started["token"])

        def post(path: str, body: dict[str, Any] | None = None) -> httpx.Response:
            r = api.post(f"/v1/registrations/{rid}{path}", json=body, headers=auth)
            assert r.status_code in (200, 201), r.text
            return r

        post("/steps/organization", {**ORG, "name": f"Deccan College {uuid.uuid4().hex[:4]}"})
        admin = {"name": "Asha Rao", "email": address, "phone": national}
        post("/steps/admin", {**admin, "password": PASSWORD, "password_confirmation": PASSWORD})
        post("/verifications/email/confirm", {"code": ui.email_code(address)})
        post("/verifications/phone/confirm", {"code": ui.sms_code(e164)})
        post("/steps/preferences", {"structure": "single", "timezone": "Asia/Kolkata"})
        body: dict[str, Any] = post("/complete").json()
        return body


def invite(ui: Ui, owner: dict[str, Any], address: str, role: str) -> str:
    """Invite ``address`` with the owner's token; the link of the mail the sink received."""
    org_id = owner["organization"]["id"]
    with httpx.Client(base_url=ui.base_url) as api:
        r = api.post(
            f"/v1/organizations/{org_id}/invitations",
            json={"email": address, "role": role},
            headers=bearer(owner["access_token"]),
        )
        assert r.status_code == 201, r.text
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for rcpt, mail in list(ui.mail.messages):
            found = INVITE.search(text_body(mail)) if address in rcpt else None
            if found:
                return found.group(0)
        time.sleep(0.05)
    raise TimeoutError(f"no invitation mail for {address}")


def members(ui: Ui, owner: dict[str, Any]) -> list[dict[str, Any]]:
    org_id = owner["organization"]["id"]
    with httpx.Client(base_url=ui.base_url) as api:
        r = api.get(f"/v1/organizations/{org_id}/members", headers=bearer(owner["access_token"]))
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["members"]
        return found


def member_account(ui: Ui, page: Page, address: str) -> None:
    """Walk the member flow in the browser to its welcome page."""
    page.goto("/register/member")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code", exact=True).fill(ui.email_code(address))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Username").fill(f"ada{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Welcome, Ada!")).to_be_visible()


def sign_in(page: Page, address: str, password: str, button: str = "Sign in") -> None:
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name=button).click()


def test_sign_in_after_the_member_flow(ui: Ui) -> None:
    page = ui.page()
    address = email("member")
    member_account(ui, page, address)
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    ui.check(page, "signin-1-form")
    sign_in(page, address, "not the password at all")
    expect(page.locator("#error-summary")).to_contain_text(GENERIC)
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.get_by_label("Email address").input_value() == address  # kept
    assert page.get_by_label("Password", exact=True).input_value() == ""  # never
    ui.check(page, "signin-2-wrong-password")
    sign_in(page, address, PASSWORD)
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    expect(page.get_by_text(address)).to_be_visible()
    expect(page.get_by_text("not part of an organization")).to_be_visible()
    assert "eyJ" not in page.content() and "eyJ" not in page.url  # no token anywhere
    ui.check(page, "signin-3-signed-in")


def test_an_invitee_accepts_and_walks_the_flow(ui: Ui, owner: dict[str, Any]) -> None:
    address = email("invitee")
    link = invite(ui, owner, address, "admin")
    page = ui.page()
    page.goto(link)
    name = owner["organization"]["name"]
    expect(page.get_by_role("heading", name=f"Join {name}")).to_be_visible()
    expect(page.get_by_text("as an administrator")).to_be_visible()
    ui.check(page, "invite-1-page")
    page.get_by_role("button", name="Accept and create my account").click()
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    assert page.get_by_label("Email address").input_value() == address  # the invited one
    expect(page.get_by_text("it is confirmed")).to_be_visible()
    ui.check(page, "invite-2-first-step")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 3")).to_be_visible()
    page.get_by_label("First name").fill("Meera")
    page.get_by_label("Last name").fill("Iyer")
    page.get_by_label("Username").fill(f"meera{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Welcome, Meera!")).to_be_visible()
    expect(page.get_by_text(name)).to_be_visible()
    ui.check(page, "invite-3-welcome")
    found = [m for m in members(ui, owner) if m["email"] == address]
    assert [(m["status"], m["role"]) for m in found] == [("active", "admin")]
    page.goto(link)  # used now
    expect(page.get_by_role("heading", name="This invitation was already used")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    ui.check(page, "invite-4-used")


def test_an_existing_account_signs_in_to_accept(ui: Ui, owner: dict[str, Any]) -> None:
    page = ui.page()
    address = email("teacher")
    member_account(ui, page, address)
    link = invite(ui, owner, address, "teacher")
    page.goto(link)
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in to accept").click()
    expect(page.locator("#error-summary")).to_contain_text(GENERIC)
    assert page.get_by_label("Email address").input_value() == address
    ui.check(page, "invite-signin-1-wrong-password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in to accept").click()
    name = owner["organization"]["name"]
    expect(page.get_by_role("heading", name=f"You joined {name} as a teacher")).to_be_visible()
    ui.check(page, "invite-signin-2-joined")
    found = [m for m in members(ui, owner) if m["email"] == address]
    assert [(m["status"], m["role"]) for m in found] == [("active", "teacher")]
    page.goto("/sign-in")
    sign_in(page, address, PASSWORD)
    expect(page.locator(".orgs")).to_contain_text(name)
    expect(page.locator(".orgs")).to_contain_text("Teacher")
    ui.check(page, "signin-4-organization")


def student_joins_by_api(ui: Ui, code: str, address: str) -> httpx.Response:
    """A student registers with the join code through the API (codes from the sinks)."""
    national, e164 = indian_mobile()
    with httpx.Client(base_url=ui.base_url, timeout=TIMEOUT) as api:
        started = api.post("/v1/registrations", json={"flow": "student"}).json()
        rid, auth = started["id"], bearer(started["token"])

        def post(path: str, body: dict[str, Any] | None = None) -> httpx.Response:
            return api.post(f"/v1/registrations/{rid}{path}", json=body, headers=auth)

        basic = {
            "full_name": "Kiran Patil",
            "email": address,
            "date_of_birth": "2007-01-15",
            "gender": "female",
            "country": "IN",
            "phone": national,
            "city": "Pune",
            "postal_code": "411004",
        }
        assert post("/steps/basic", basic).status_code == 200
        assert post("/verifications/email/confirm", {"code": ui.email_code(address)}).is_success
        assert post("/verifications/phone/confirm", {"code": ui.sms_code(e164)}).is_success
        school = {"registration_type": "organization", "org_code": code, "academic_level": "BSc"}
        step = post("/steps/organization", school)
        if step.status_code != 200:
            return step
        secret = {"password": PASSWORD, "password_confirmation": PASSWORD}
        assert post("/steps/security", secret).status_code == 200
        mapping = {"department": "Physics", "batch": "2025-2029"}
        assert post("/steps/mapping", mapping).status_code == 200
        return post("/complete")


def test_the_console_approves_invites_and_rotates(ui: Ui, owner: dict[str, Any]) -> None:
    page = ui.page()
    page.goto("/console")  # behind the hosted sign-in
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, owner["account"]["email"], PASSWORD)
    name = owner["organization"]["name"]
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    ui.check(page, "console-1-overview")
    page.get_by_label("Open, with approval").check()
    page.get_by_label("Departments").fill("Physics\nChemistry")
    # "Require two-factor sign-in" is left off here: once on, this password-only session no
    # longer speaks for the organization (tests/api/test_second_factor.py covers that).
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator("p.notice")).to_contain_text("settings are saved")
    expect(page.get_by_label("Departments")).to_have_value("Physics\nChemistry")
    old_code = page.locator("#join-code").inner_text()
    student = email("student")
    assert student_joins_by_api(ui, old_code, student).status_code == 201
    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f"[data-email='{student}']")
    expect(row).to_contain_text("Pending")
    ui.check(page, "console-2-pending")
    row.get_by_role("button", name=f"Approve {student}").click()
    expect(page.locator("p.notice")).to_contain_text("approved")
    found = [m for m in members(ui, owner) if m["email"] == student]
    assert [(m["status"], m["role"]) for m in found] == [("active", "student")]
    teacher = email("teacher")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#c-email-error")).to_be_visible()
    page.get_by_label("Email address").fill(teacher)
    page.get_by_label("Invite as").select_option("teacher")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("p.notice")).to_contain_text("invitation is on its way")
    expect(page.locator(f"[data-invitation='{teacher}']")).to_contain_text("Pending")
    ui.check(page, "console-3-invited")
    link = invite_link(ui, teacher)
    joiner = ui.page()
    joiner.goto(link)
    joiner.get_by_role("button", name="Accept and create my account").click()
    national, e164 = indian_mobile()
    joiner.get_by_label("Full name").fill("Vikram Joshi")
    joiner.get_by_label("Country").fill("India")
    joiner.get_by_label("Mobile number").fill(national)
    joiner.get_by_label("City").fill("Pune")
    joiner.get_by_label("Postal code").fill("411004")
    joiner.get_by_role("button", name="Continue").click()
    joiner.get_by_label("Code", exact=True).fill(ui.sms_code(e164))
    joiner.get_by_role("button", name="Confirm").click()
    joiner.get_by_label("Subjects you teach").fill("Chemistry")
    joiner.get_by_label("Your role").fill("Lecturer")
    joiner.get_by_label("With my school or organization").check()
    joiner.get_by_label("Experience level").fill("Junior")
    joiner.get_by_label("Years of experience").fill("2")
    joiner.get_by_role("button", name="Continue").click()
    joiner.get_by_label("Password", exact=True).fill(PASSWORD)
    joiner.get_by_label("Confirm password").fill(PASSWORD)
    joiner.get_by_role("button", name="Create my account").click()
    expect(joiner.get_by_role("heading", name="Welcome, Vikram!")).to_be_visible()
    page.reload()
    expect(page.locator(f"[data-invitation='{teacher}']")).to_contain_text("Accepted")
    page.get_by_label("Role").select_option("teacher")
    page.get_by_label("Status").select_option("")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"[data-email='{teacher}']")).to_contain_text("Active")
    page.get_by_role("button", name="Rotate the join code").click()
    expect(page.locator("p.notice")).to_contain_text("previous one no longer works")
    new_code = page.locator("#join-code").inner_text()
    assert new_code != old_code
    ui.check(page, "console-4-rotated")
    refused = student_joins_by_api(ui, old_code, email("late"))
    assert refused.status_code == 422 and "ORG_CODE_INVALID" in refused.text
    assert student_joins_by_api(ui, new_code, email("on-time")).status_code == 201


def invite_link(ui: Ui, address: str) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for rcpt, mail in list(ui.mail.messages):
            found = INVITE.search(text_body(mail)) if address in rcpt else None
            if found:
                return found.group(0)
        time.sleep(0.05)
    raise TimeoutError(f"no invitation mail for {address}")


def test_the_pages_carry_the_configured_brand(ui: Ui) -> None:
    page = ui.page()
    page.goto("/sign-in")
    expect(page).to_have_title("Sign in · Sunrise Schools")
    expect(page.locator(".brand")).to_have_text("Sunrise Schools")
    logo = page.locator(".brand-logo")
    expect(logo).to_have_attribute("src", "/brand/logo")
    assert page.evaluate("() => document.querySelector('.brand-logo').naturalWidth") > 0
    button = page.get_by_role("button", name="Sign in")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(15, 81, 50)"
    expect(page.get_by_role("link", name="help@sunrise.example")).to_be_visible()
    icon = page.request.get("/brand/favicon")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in icon.headers["content-security-policy"]
    ui.check(page, "brand-sign-in")
