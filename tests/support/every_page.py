"""The walk of every hosted page, in one language, at 390x844 and 1280x800.

What a person and an operator see: the start page, the member, organization,
teacher and student flows (codes from the real SMTP and SMS sinks), the welcome
pages, signing in and out, the account and its two-factor set-up, an
application's consent and sign-out, a password reset, a change of address and
its undoing, the console, an invitation, the expired and invalid-link pages, the
dev mailbox and the funnel report. On every page ``Ui.check`` asserts no
sideways scrolling, no console error (a CSP refusal included), no serious or
critical axe violation at either size, and writes a screenshot of each size
under ``artifacts/screenshots/every-page/<lang>/`` (ignored by git).

``tests/browser/test_every_page_<lang>.py`` walk it in English, French and Hindi,
one file (one service, one browser) per language so that test workers share the
languages out. Fields are found by their ids, never by their English labels, so
the same walk runs in every language; each page must declare the language it was
asked in.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyotp
from playwright.sync_api import Browser, Page, expect

from support.browser import TIMEOUT, Ui, served_ui
from support.harness import PASSWORD
from support.server import text_body

ADMIN_TOKEN = "every-page-admin-token-0123456789abcdef"
NEW_PASSWORD = "a brand new passphrase for the tour"
COUNTRY = {"en": "India", "fr": "Inde", "hi": "भारत"}
LOCALES = {"en": "en-GB", "fr": "fr-FR", "hi": "hi-IN"}
RESET = re.compile(r"https?://\S+/reset/[A-Za-z0-9_-]+")
INVITE = re.compile(r"https?://\S+/invite/[A-Za-z0-9_-]+")
APP_CALLBACK = "http://127.0.0.1:9/callback"  # never followed: the walk stops at the pages
UNDO = re.compile(r"https?://\S+/account/email/undo/[A-Za-z0-9_-]+")


@contextlib.contextmanager
def tour_service(tmp: Path, browser: Browser, artifacts: Path) -> Iterator[Ui]:
    """The service the walk needs: the dev mailbox, an operator token, an application."""
    app = {  # an application of another party: it asks for consent
        "client_id": "tour-app",
        "name": "Tour app",
        "redirect_uris": [APP_CALLBACK],
        "public": True,
    }
    env = {
        "REGFLOW_ADMIN_TOKEN": ADMIN_TOKEN,
        "REGFLOW_DEV_MAILBOX": "true",
        "REGFLOW_OIDC_CLIENTS": json.dumps([app]),
    }
    with served_ui(tmp, browser, artifacts, env) as ui:
        yield ui


@dataclass
class Tour:
    """Pages opened in one language; ``shot`` checks a page and numbers its screenshots."""

    ui: Ui
    lang: str
    seen: list[str] = field(default_factory=list)

    def page(self) -> Page:
        page = self.ui.page(locale=LOCALES[self.lang])  # the browser's own widgets too
        page.context.add_cookies(
            [{"name": "regflow-lang", "value": self.lang, "url": self.ui.base_url}]
        )
        return page

    def shot(self, page: Page, name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        self.seen.append(name)
        self.ui.check(page, f"every-page/{self.lang}/{len(self.seen):02d}-{name}")


def email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def mobile() -> tuple[str, str]:
    digits = "98" + "".join(secrets.choice("0123456789") for _ in range(8))
    return digits, f"+91{digits}"


def submit(page: Page) -> None:
    page.locator("main button.primary").first.click()


def mail_link(ui: Ui, address: str, pattern: re.Pattern[str]) -> str:
    """The first link matching ``pattern`` in the mails to ``address`` (waits for it)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for rcpt, mail in list(ui.mail.messages):
            found = pattern.search(text_body(mail)) if address in rcpt else None
            if found:
                return found.group(0)
        time.sleep(0.05)
    raise TimeoutError(f"no link {pattern.pattern} for {address}")


def walk_every_page(ui: Ui, lang: str) -> None:
    """Every page in ``lang``, each checked by ``Tour.shot``."""
    tour = Tour(ui, lang)
    address = member_pages(tour)
    account_pages(tour, address)
    join_code, owner = organization_pages(tour)
    console_pages(tour, owner)
    teacher = joiner_pages(tour, "teacher", join_code)
    joiner_pages(tour, "student", join_code)
    address_change_pages(tour, teacher)
    odd_pages(tour)
    operator_pages(tour)
    assert len(tour.seen) >= 45, tour.seen


def member_pages(tour: Tour) -> str:
    ui, page = tour.ui, tour.page()
    page.goto("/")
    tour.shot(page, "start")
    page.locator("a[href='/register/member']").first.click()
    expect(page.locator("#f-email")).to_be_visible()
    tour.shot(page, "member-1-email")
    page.locator("#f-email").fill("not an address")
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    tour.shot(page, "member-1-email-error")
    address = email(f"member-{tour.lang}")
    page.locator("#f-email").fill(address)
    submit(page)
    expect(page.locator("#f-code")).to_be_visible()
    tour.shot(page, "member-2-code")
    page.locator("#f-code").fill("000000")
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    tour.shot(page, "member-2-code-wrong")
    link = ui.email_link(address)
    other = tour.page()
    other.goto(link)  # the mail's link: a button to press (scanners prefetch links)
    tour.shot(other, "member-link-confirm")
    page.locator("#f-code").fill(ui.email_code(address))
    submit(page)
    page.locator("#f-first_name").fill("Ada")
    page.locator("#f-last_name").fill("Lovelace")
    page.locator("#f-username").fill(f"ada{uuid.uuid4().hex[:8]}")
    expect(page.locator("#f-username-live")).not_to_be_empty()
    tour.shot(page, "member-3-identity")
    submit(page)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_confirmation").fill(PASSWORD)
    tour.shot(page, "member-4-credentials")
    submit(page)
    expect(page.locator(".welcome h1")).to_contain_text("Ada")
    tour.shot(page, "member-5-welcome")
    return address


def sign_in(page: Page, address: str, password: str) -> None:
    page.locator("#f-email").fill(address)
    page.locator("#f-password").fill(password)
    submit(page)


def account_pages(tour: Tour, address: str) -> None:
    ui, page = tour.ui, tour.page()
    page.goto("/sign-in")
    tour.shot(page, "sign-in")
    sign_in(page, address, "not the password at all")
    expect(page.locator("#error-summary")).to_be_visible()
    tour.shot(page, "sign-in-refused")
    sign_in(page, address, PASSWORD)
    expect(page.locator("form[action='/sign-out']")).to_be_visible()
    tour.shot(page, "signed-in")
    page.goto("/account")
    tour.shot(page, "account")
    application_pages(tour, page)
    page.locator("form[action='/sign-out'] button").click()
    expect(page.locator("form[action='/sign-out']")).to_have_count(0)
    tour.shot(page, "signed-out")

    page.goto("/forgot-password")
    tour.shot(page, "reset-1-ask")
    page.locator("#f-email").fill(address)
    submit(page)
    expect(page.locator("#f-code")).to_be_visible()
    tour.shot(page, "reset-2-code")
    page.locator("#f-code").fill("000000")
    page.locator("#f-password").fill(NEW_PASSWORD)
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    tour.shot(page, "reset-3-wrong-code")
    code = ui.latest_email_code(address, 2)
    other = tour.page()
    other.goto(mail_link(ui, address, RESET))
    tour.shot(other, "reset-4-link")
    other.goto("/reset/" + "A" * 43)
    tour.shot(other, "reset-5-invalid-link")
    page.locator("#f-code").fill(code)
    page.locator("#f-password").fill(NEW_PASSWORD)
    submit(page)
    expect(page.locator("#error-summary")).to_have_count(0)
    tour.shot(page, "reset-6-done")

    page.goto("/sign-in")
    sign_in(page, address, NEW_PASSWORD)
    page.goto("/account")
    page.locator("form[action='/account/two-factor'] button").click()
    expect(page.locator("#totp-secret")).to_be_visible()
    tour.shot(page, "two-factor-1-setup")
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    page.locator("#f-code").fill(totp.now())
    submit(page)
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    tour.shot(page, "two-factor-2-recovery-codes")
    page.goto("/account")
    page.locator("form[action='/sign-out'] button").click()
    page.goto("/sign-in")
    sign_in(page, address, NEW_PASSWORD)
    expect(page.locator("#f-recovery")).to_be_attached()
    tour.shot(page, "two-factor-3-code-prompt")


def application_pages(tour: Tour, page: Page) -> None:
    """An application asks the signed-in person to share their account, then to sign out."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    asked = {
        "client_id": "tour-app",
        "redirect_uri": APP_CALLBACK,
        "response_type": "code",
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    page.goto(f"/oauth2/authorize?{urlencode(asked)}")
    expect(page.locator("form[action='/oauth2/authorize']")).to_be_visible()
    tour.shot(page, "application-consent")
    page.goto(f"/oauth2/logout?{urlencode({'client_id': 'tour-app'})}")
    expect(page.locator("form[action='/oauth2/logout']")).to_be_visible()
    tour.shot(page, "application-sign-out")
    page.goto("/account")  # neither answered: still signed in


def organization_pages(tour: Tour) -> tuple[str, str]:
    ui, page = tour.ui, tour.page()
    owner = email(f"owner-{tour.lang}")
    page.goto("/register/organization")
    submit(page)  # refused: every sentence names its field
    expect(page.locator("#error-summary")).to_be_visible()
    tour.shot(page, "organization-1-refused")
    page.locator("#f-name").fill(f"Sunrise Public School {secrets.token_hex(2)}")
    page.locator("#f-country").fill(COUNTRY[tour.lang])
    page.locator("#f-state").fill("Maharashtra")
    page.locator("#f-city").fill("Pune")
    page.locator("#f-postal_code").fill("411004")
    page.locator("#f-type").select_option("school")
    page.locator("#f-student_strength").fill("800")
    tour.shot(page, "organization-1-organization")
    submit(page)
    national, e164 = mobile()
    page.locator("#f-name").fill("Sunita Rao")
    page.locator("#f-email").fill(owner)
    page.locator("#f-phone").fill(national)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_confirmation").fill(PASSWORD)
    tour.shot(page, "organization-2-admin")
    submit(page)
    expect(page.locator("#f-code")).to_be_visible()
    tour.shot(page, "organization-3-email-code")
    page.locator("#f-code").fill(ui.email_code(owner))
    submit(page)
    expect(page.locator("#f-code")).to_have_value("")
    tour.shot(page, "organization-4-phone-code")
    page.locator("#f-code").fill(ui.sms_code(e164))
    submit(page)
    page.locator("input[name=structure][value=multi]").check()
    page.locator("#f-departments").fill("Physics\nMathematics")
    page.locator("#f-timezone").select_option("Asia/Kolkata")
    tour.shot(page, "organization-5-preferences")
    submit(page)
    expect(page.locator("#join-code")).to_be_visible()
    tour.shot(page, "organization-6-welcome")
    return page.locator("#join-code").inner_text().strip(), owner


def console_pages(tour: Tour, owner: str) -> None:
    ui, page = tour.ui, tour.page()
    page.goto("/console")  # behind the hosted sign-in
    tour.shot(page, "console-0-sign-in")
    sign_in(page, owner, PASSWORD)
    expect(page.locator("#join-code")).to_be_visible()
    tour.shot(page, "console-1-overview")
    teacher = email(f"invited-{tour.lang}")
    page.locator("#c-email").fill(teacher)
    page.locator("#c-invite-role").select_option("teacher")
    page.locator("form:has(#c-email) button[type=submit]").click()
    expect(page.locator(f"[data-invitation='{teacher}']")).to_be_visible()
    tour.shot(page, "console-2-invited")
    invited = tour.page()
    invited.goto(mail_link(ui, teacher, INVITE))
    tour.shot(invited, "invitation")


def joiner_pages(tour: Tour, flow: str, join_code: str) -> str:
    ui, page = tour.ui, tour.page()
    address = email(f"{flow}-{tour.lang}")
    national, e164 = mobile()
    page.goto(f"/register/{flow}")
    page.locator("#f-full_name").fill("Ravi Kumar")
    page.locator("#f-email").fill(address)
    if flow == "student":
        page.locator("#f-date_of_birth").fill("2006-04-12")
        page.locator("#f-gender").select_option("male")
    page.locator("#f-country").fill(COUNTRY[tour.lang])
    page.locator("#f-phone").fill(national)
    page.locator("#f-city").fill("Pune")
    page.locator("#f-postal_code").fill("411004")
    tour.shot(page, f"{flow}-1-basic")
    submit(page)
    expect(page.locator("#f-code")).to_be_visible()
    tour.shot(page, f"{flow}-2-email-code")
    page.locator("#f-code").fill(ui.email_code(address))
    submit(page)
    expect(page.locator("#f-code")).to_have_value("")
    tour.shot(page, f"{flow}-3-phone-code")
    page.locator("#f-code").fill(ui.sms_code(e164))
    submit(page)
    if flow == "teacher":
        page.locator("#f-subjects").fill("Physics\nAstronomy")
        page.locator("#f-role").fill("Lecturer")
        page.locator("input[name=affiliation][value=organization]").check()
        page.locator("#f-experience_level").fill("Senior")
        page.locator("#f-years_of_experience").fill("7")
        tour.shot(page, "teacher-4-professional")
        submit(page)
        page.locator("#f-org_code").fill(join_code)
        expect(page.locator("#f-org_code-live")).to_contain_text("Sunrise Public School")
        tour.shot(page, "teacher-5-organization")
        submit(page)
    else:
        page.locator("input[name=registration_type][value=organization]").check()
        page.locator("#f-org_code").fill(join_code)
        expect(page.locator("#f-org_code-live")).to_contain_text("Sunrise Public School")
        page.locator("#f-academic_level").fill("Undergraduate")
        tour.shot(page, "student-4-school")
        submit(page)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_confirmation").fill(PASSWORD)
    tour.shot(page, f"{flow}-6-security")
    submit(page)
    if flow == "student":
        page.locator("input[name=department][value=Physics]").check()
        page.locator("#f-batch").fill("2024-2028")
        page.locator("#f-year").fill("2")
        tour.shot(page, "student-7-class")
        submit(page)
    expect(page.locator(".welcome h1")).to_contain_text("Ravi")
    tour.shot(page, f"{flow}-8-welcome")
    return address


def address_change_pages(tour: Tour, address: str) -> None:
    """The account moves to another address from its page; the old address's mail leads
    to the page that undoes it."""
    ui, page = tour.ui, tour.page()
    moved = email(f"moved-{tour.lang}")
    page.goto("/sign-in")
    sign_in(page, address, PASSWORD)
    page.goto("/account")
    page.locator("#a-email").fill(moved)
    page.locator("#a-password").fill(PASSWORD)
    page.locator("form[action='/account/email'] button").click()
    expect(page.locator("#f-code")).to_be_visible()
    tour.shot(page, "email-change-1-code")
    page.locator("#f-code").fill(ui.email_code(moved))
    submit(page)
    expect(page.locator("#f-code")).to_have_count(0)
    tour.shot(page, "email-change-2-done")
    undo = tour.page()
    undo.goto(mail_link(ui, address, UNDO))
    tour.shot(undo, "email-change-3-undo")
    submit(undo)
    expect(undo.locator(".welcome")).to_be_visible()
    tour.shot(undo, "email-change-4-undone")


def odd_pages(tour: Tour) -> None:
    """An expired registration, a link that is no longer valid, a page that does not exist."""
    ui, page = tour.ui, tour.page()
    page.goto("/register/member")
    page.locator("#f-email").fill(email(f"late-{tour.lang}"))
    submit(page)
    expect(page.locator("#f-code")).to_be_visible()
    with sqlite3.connect(ui.db_path) as db:  # this registration's hour runs out
        rid, expires = db.execute(
            "SELECT id, expires_at FROM registrations ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        db.execute(
            "UPDATE registrations SET expires_at = ? WHERE id = ?", ("2000" + expires[4:], rid)
        )
    page.reload()
    expect(page.locator("#f-code")).to_have_count(0)
    tour.shot(page, "member-expired")
    page.goto("/invite/" + "B" * 43)
    tour.shot(page, "invitation-invalid")
    page.goto("/register/confirm/" + "C" * 43)
    tour.shot(page, "link-invalid")
    page.goto("/account/email/undo/" + "D" * 43)
    tour.shot(page, "email-undo-invalid")


def operator_pages(tour: Tour) -> None:
    ui = tour.ui
    page = tour.page()
    page.goto("/dev/mailbox")
    expect(page.locator(".mail").first).to_be_visible()
    tour.shot(page, "dev-mailbox")
    ctx = ui.context(
        http_credentials={"username": "operator", "password": ADMIN_TOKEN},
        locale=LOCALES[tour.lang],
    )
    ctx.add_cookies([{"name": "regflow-lang", "value": tour.lang, "url": ui.base_url}])
    funnel = ui.page(ctx)
    funnel.goto("/v1/admin/funnel.html")
    expect(funnel.locator("svg rect").first).to_be_attached()
    tour.shot(funnel, "funnel")
