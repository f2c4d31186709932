"""The member flow in a real browser: with and without JavaScript, back, resume, errors."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from support.browser import Ui, served_ui
from support.harness import PASSWORD

pytestmark = pytest.mark.e2e
ADMIN_TOKEN = "browser-admin-token-0123456789abcdef"


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path) -> Iterator[Ui]:
    tmp = tmp_path_factory.mktemp("member-ui")
    env = {
        "REGFLOW_ADMIN_TOKEN": ADMIN_TOKEN,
        "REGFLOW_RESEND_COOLDOWN_SECONDS": "30",
        "REGFLOW_DEV_MAILBOX": "true",
    }
    with served_ui(tmp, browser, artifacts, env) as ui:
        yield ui


def email() -> str:
    return f"ui-{uuid.uuid4().hex[:10]}@example.com"


def username() -> str:
    return f"ada{uuid.uuid4().hex[:8]}"


def start_member(ui: Ui, page: Page, address: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create your account").click()
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_member_flow_with_javascript(ui: Ui) -> None:
    page = ui.page()
    page.goto("/")
    ui.check(page, "00-choose")
    page.get_by_role("link", name="Create your account").click()
    ui.check(page, "member-1-email")
    address = email()
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    code_input = page.get_by_label("Code", exact=True)
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert code_input.get_attribute("inputmode") == "numeric"
    expect(page.locator("[data-resend]")).to_be_disabled()  # the countdown runs
    expect(page.locator("[data-resend]")).to_contain_text("Send a new code in")
    ui.check(page, "member-2-code")
    code = ui.email_code(address)
    code_input.fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    name = username()
    page.get_by_label("Username").fill(name)
    expect(page.locator("#f-username-live")).to_contain_text("is available")
    ui.check(page, "member-3-identity")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    expect(page.locator("#password-rules")).to_be_visible()  # the rules are shown up front
    page.get_by_label("Password", exact=True).fill("short")
    expect(page.locator("li[data-rule=length]")).not_to_have_class("met")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    expect(page.locator("li[data-rule=length]")).to_have_class("met")
    page.get_by_label("Confirm password").fill(PASSWORD)
    expect(page.locator("#match-live")).to_contain_text("match")
    page.get_by_role("button", name="Show password").click()
    assert page.get_by_label("Password", exact=True).get_attribute("type") == "text"
    ui.check(page, "member-4-credentials")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Welcome, Ada!")).to_be_visible()
    expect(page.get_by_text(name)).to_be_visible()
    ui.check(page, "member-5-welcome")
    assert page.url.endswith("/register/member/welcome")  # the POST answered with a 303
    page.reload()  # reload and Back are safe: no re-post, no empty first step
    expect(page.get_by_role("heading", name="Welcome, Ada!")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Welcome, Ada!")).to_be_visible()


def test_member_flow_without_javascript(ui: Ui) -> None:
    page = ui.page(java_script_enabled=False)
    address = email()
    start_member(ui, page, address)
    page.get_by_label("Code", exact=True).fill(ui.email_code(address))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Username").fill("x")  # refused by the server, said next to the field
    page.get_by_role("button", name="Continue").click()
    field_error = page.locator("#f-username-error")
    expect(field_error).to_contain_text("use 3 to 30 letters")
    expect(page.locator("#error-summary")).to_contain_text("not allowed")
    described = page.get_by_label("Username").get_attribute("aria-describedby") or ""
    assert "f-username-error" in described
    assert page.get_by_label("First name").input_value() == "Grace"  # kept after the refusal
    ui.check(page, "member-nojs-identity-error", scan=False)
    page.get_by_label("Username").fill(username())
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#f-password_confirmation-error")).to_contain_text("not the same")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Welcome, Grace!")).to_be_visible()


def test_errors_are_announced_and_focused(ui: Ui) -> None:
    page = ui.page()
    page.goto("/register/member")
    page.get_by_role("button", name="Send me a code").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Enter your email address")
    expect(summary).to_be_focused()
    ui.check(page, "member-1-email-error")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#f-email-error")).to_contain_text("name@example.com")


def test_keyboard_only(ui: Ui) -> None:
    page = ui.page()
    page.goto("/")
    for _ in range(8):  # skip link, brand, then the flows: reachable with Tab alone
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent").startswith("Create"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "f-email":
            break
    page.keyboard.type(email())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_label("Code", exact=True)).to_be_focused()  # ready to type the code


def test_back_navigation_keeps_every_value(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    page.get_by_label("Code", exact=True).fill(ui.email_code(address))
    page.get_by_role("button", name="Confirm").click()
    name = username()
    page.get_by_label("First name").fill("Mary")
    page.get_by_label("Last name").fill("Somerville")
    page.get_by_label("Username").fill(name)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Organization code").fill("")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    assert page.get_by_label("First name").input_value() == "Mary"
    assert page.get_by_label("Last name").input_value() == "Somerville"
    assert page.get_by_label("Username").input_value() == name
    page.get_by_role("link", name="Back").click()
    assert page.get_by_label("Email address").input_value() == address
    hint = page.locator("#f-email-hint")
    expect(hint).to_contain_text("This address is confirmed")
    expect(hint).not_to_contain_text("invitation")  # there was none
    page.go_back()
    assert page.get_by_label("Username").input_value() == name


def test_resume_after_closing_the_browser(ui: Ui) -> None:
    first = ui.context()
    page = ui.page(first)
    address = email()
    start_member(ui, page, address)
    state = first.storage_state()
    cookie = [c for c in state["cookies"] if c["name"].startswith("__Host-regflow-reg-")]
    assert cookie and cookie[0]["httpOnly"] and cookie[0]["secure"]
    assert cookie[0]["sameSite"] == "Lax"
    first.close()
    ui.contexts.remove(first)
    reopened = ui.page(storage_state=state)
    reopened.goto("/register/member")
    expect(reopened.get_by_role("heading", name="Check your email")).to_be_visible()
    reopened.get_by_label("Code", exact=True).fill(ui.email_code(address))
    reopened.get_by_role("button", name="Confirm").click()
    expect(reopened.get_by_text("Step 3 of 4")).to_be_visible()


def test_mail_link_on_another_device(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    other = ui.page()  # another device: no cookie of this registration
    other.goto(ui.email_link(address))
    expect(other.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    ui.check(other, "member-link-confirm")
    other.get_by_role("button", name="Confirm my email").click()
    expect(other.get_by_role("heading", name="Email confirmed")).to_be_visible()
    ui.check(other, "member-link-done")
    # the first device's code page notices and moves on by itself
    expect(page.get_by_text("Step 3 of 4")).to_be_visible(timeout=10_000)


def test_mail_link_on_the_same_device_continues(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    page.goto(ui.email_link(address))
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()


def test_wrong_code_then_resend(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    good = ui.email_code(address)
    wrong = "000000" if good != "000000" else "111111"
    page.get_by_label("Code", exact=True).fill(wrong)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#f-code-error")).to_contain_text("That code is not right")
    expect(page.locator("#error-summary")).to_be_focused()
    ui.check(page, "member-2-code-wrong")
    page.get_by_label("Code", exact=True).fill(good)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()


def test_pasting_a_whole_code_submits_it(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    code = ui.email_code(address)
    page.wait_for_load_state("load")  # code.js listens from DOMContentLoaded on
    page.get_by_label("Code", exact=True).focus()
    page.evaluate(
        """text => {
             const data = new DataTransfer(); data.setData('text', text);
             document.getElementById('f-code').dispatchEvent(
               new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
           }""",
        f"Your code: {code[:3]} {code[3:]}",
    )
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()


def test_expired_registration_says_so(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    with sqlite3.connect(ui.db_path) as db:  # time passes: this registration's hour runs out
        rid, expires = db.execute(
            "SELECT id, expires_at FROM registrations ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        db.execute(
            "UPDATE registrations SET expires_at = ? WHERE id = ?", ("2000" + expires[4:], rid)
        )
    page.reload()
    expect(page.get_by_role("heading", name="This registration has expired")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("left unfinished for too long")
    ui.check(page, "member-expired")
    page.get_by_role("link", name="Start again").click()
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()


def test_funnel_page_shows_bars(ui: Ui) -> None:
    ctx = ui.context(http_credentials={"username": "operator", "password": ADMIN_TOKEN})
    page = ui.page(ctx)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/v1/admin/funnel.html?flow=member")
    bars = page.locator("svg rect")
    assert bars.count() > 0
    assert max(float(bars.nth(i).get_attribute("width") or 0) for i in range(bars.count())) > 0
    expect(page.get_by_text(re.compile(r"from \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC"))).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= 390, f"the funnel page scrolls sideways at 390 px ({scroll})"
    ui.check(page, "funnel")


def test_docs_render_under_the_csp(ui: Ui) -> None:
    page = ui.page()
    page.set_viewport_size({"width": 1280, "height": 800})
    # a deep link opens one operation: Swagger UI draws it from /openapi.json
    response = page.goto("/docs#/registrations/start_v1_registrations_post")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "cdn" not in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in response.text() and "<style" not in response.text()
    operation = page.locator("#operations-registrations-start_v1_registrations_post")
    expect(operation.locator(".opblock-summary-path")).to_have_text(
        "/v1/registrations", timeout=30_000
    )
    expect(page.locator(".opblock-tag", has_text="registrations")).to_be_visible()
    expect(operation.locator(".opblock-description-wrapper").first).to_have_text(
        "Start a registration; the token in the answer opens it from then on.", timeout=15_000
    )
    try_it = operation.get_by_role("button", name="Try it out")
    try_it.click(no_wait_after=True)  # an editable body: more of Swagger UI's widgets
    expect(operation.locator("textarea.body-param__text")).to_be_visible()
    page.screenshot(path=str(ui.artifacts / "docs-1280x800.png"))
    assert not ui.console_errors, ui.console_errors  # no CSP refusal, no script error
    metrics = page.request.get("/metrics").text()
    assert 'route="/docs"' in metrics


def test_dev_mailbox_page_shows_the_code(ui: Ui) -> None:
    page = ui.page()
    address = email()
    start_member(ui, page, address)
    code = ui.email_code(address)
    page = ui.page()  # its CSP allows no script: axe runs through the driver
    page.goto("/dev/mailbox")
    mail = page.get_by_role("region", name=f"email to {address}")
    expect(mail.locator(".code")).to_have_text(code)
    ui.check(page, "dev-mailbox")
