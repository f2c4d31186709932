"""The organization, teacher and student flows in a real browser, codes from real sinks.

The organization registered here (with a logo) gives the join code the
teacher and the student then type; its name shows before they commit.
"""

from __future__ import annotations

import io
import re
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from support.browser import TIMEOUT, Ui, served_ui
from support.harness import PASSWORD
from support.server import text_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path) -> Iterator[Ui]:
    tmp = tmp_path_factory.mktemp("org-ui")
    with served_ui(tmp, browser, artifacts) as ui:
        yield ui


@pytest.fixture(scope="module")
def join_code(ui: Ui, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Register an organization in the browser; its join code, read as its owner."""
    logo = tmp_path_factory.mktemp("logo") / "logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (29, 78, 216)).save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())
    owner = email("owner")
    page = ui.page()
    page.goto("/")
    page.get_by_role("link", name="Register your organization").click()
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()  # 3 forms and 2 code pages
    page.get_by_role("button", name="Continue").click()
    summary = page.locator("#error-summary")  # each refusal names its field
    for label in ("Organization name", "City is required", "Number of students is required"):
        expect(summary).to_contain_text(label)
    expect(summary).not_to_contain_text("This field is required")
    expect(page.locator("#f-type option[value=ngo]")).to_have_text("NGO")
    page.get_by_label("Organization name").fill(f"Fergusson Institute {secrets.token_hex(2)}")
    page.get_by_label("Country").fill("India")  # a name from the list, not a code
    page.get_by_label("State or region").fill("Maharashtra")
    page.get_by_label("City").fill("Pune")
    page.get_by_label("Postal code").fill("411004")
    page.get_by_label("Type of institution").select_option("college")
    page.get_by_label("Number of students").fill("-5")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#f-student_strength-error")).to_contain_text("0 or more")
    expect(page.get_by_label("Country")).to_have_value("India")
    page.get_by_label("Number of students").fill("1200")
    page.get_by_label("Recognized by the government").check()
    ui.check(page, "organization-1-organization")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    national, e164 = mobile()
    expect(page.locator("#f-phone-hint")).to_contain_text("For example 081234 56789")
    page.get_by_label("Your full name").fill("Sunita Rao")
    page.get_by_label("Your email address").fill(owner)
    page.get_by_label("Your mobile number").fill("12")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#f-phone-error")).to_be_visible()
    expect(page.locator("#password-cleared")).to_contain_text("type your password again")
    page.get_by_label("Your mobile number").fill(national)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    ui.check(page, "organization-2-admin")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("Step 3 of 5")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(ui.email_code(owner))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Check your phone")).to_be_visible()
    expect(page.locator("form.resend")).not_to_contain_text("spam")  # an SMS has no spam folder
    ui.check(page, "organization-3-phone-code")
    page.get_by_label("Code", exact=True).fill(ui.sms_code(e164))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
    page.get_by_label("Several departments").check()
    page.get_by_role("textbox", name="Departments").fill("Physics\nMathematics")
    zones = page.locator("#f-timezone optgroup").first.locator("option")
    expect(zones.first).to_have_text("UTC")  # then this device's zone and India's
    expect(zones.filter(has_text="Asia/Kolkata")).to_have_count(1)
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_label("Logo").set_input_files(str(logo))
    expect(page.locator("#logo-preview")).to_be_visible()  # previewed before upload
    ui.check(page, "organization-4-preferences")
    page.get_by_role("button", name="Register my organization").click()
    expect(page.get_by_role("heading", name="Welcome, Sunita!")).to_be_visible()
    assert page.url.endswith("/register/organization/welcome")  # a GET after a 303
    expect(page.get_by_text("is registered and you are its administrator")).to_be_visible()
    shown = page.locator("#join-code").inner_text()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_role("link", name="Invite people")).to_be_visible()
    expect(page.get_by_role("heading", name="Next steps")).to_be_visible()
    ui.check(page, "organization-5-welcome")
    page.reload()  # the same page again, not an empty first step
    expect(page.locator("#join-code")).to_have_text(shown)
    page.go_back()
    expect(page.get_by_role("heading", name="Welcome, Sunita!")).to_be_visible()
    with httpx.Client(base_url=ui.base_url) as api:
        session = api.post("/v1/sessions", json={"email": owner, "password": PASSWORD}).json()
        token = session["access_token"]
        org_id = session.get("organization_id") or _claim(token, "org")
        found = api.get(f"/v1/organizations/{org_id}", headers={"Authorization": f"Bearer {token}"})
        assert found.status_code == 200, found.text
        assert found.json()["logo_url"]  # the logo chosen in the form was stored
        assert found.json()["join_code"] == shown
        assert found.json()["settings"]["timezone"] == "Asia/Kolkata"
        return str(found.json()["join_code"])


def _claim(token: str, name: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})[name])


def email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def mobile() -> tuple[str, str]:
    digits = "98" + "".join(secrets.choice("0123456789") for _ in range(8))
    return digits, f"+91{digits}"


def basic(ui: Ui, page: Page, flow: str, address: str, *, germany: bool = False) -> str:
    national, e164 = ("01512 " + mobile()[0][2:9], "") if germany else mobile()
    page.get_by_label("Full name").fill("Ravi Kumar")
    page.get_by_label("Email address").fill(address)
    if flow == "student":
        page.get_by_label("Date of birth").fill("2006-04-12")
        page.get_by_label("Gender").select_option("male")
    optional = page.locator("[data-postal-optional]")
    page.get_by_label("Country").fill("Qatar")  # no postal codes there
    expect(optional).to_be_visible()
    page.get_by_label("Country").fill("Germany" if germany else "India")
    expect(optional).to_be_hidden()
    example = "01512 3456789" if germany else "081234 56789"
    expect(page.locator("#f-phone-hint")).to_contain_text(f"For example {example}")
    page.get_by_label("Mobile number").fill(national)
    page.get_by_label("City").fill("Berlin" if germany else "Pune")
    page.get_by_label("Postal code").fill("10115" if germany else "411004")
    ui.check(page, f"{flow}-1-basic")
    page.get_by_role("button", name="Continue").click()
    if germany:  # read as a German number: "Germany" no longer becomes "Ge" (Georgia)
        e164 = "+49" + national.replace(" ", "")[1:]
    return e164


def codes(ui: Ui, page: Page, flow: str, address: str, e164: str) -> None:
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(ui.email_code(address))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Check your phone")).to_be_visible()
    ui.check(page, f"{flow}-2-phone-code")
    page.get_by_label("Code", exact=True).fill(ui.sms_code(e164))
    page.get_by_role("button", name="Confirm").click()


def org_code(ui: Ui, page: Page, flow: str, code: str) -> None:
    page.get_by_label("Organization code").fill(code)
    expect(page.locator("#f-org_code-live")).to_contain_text("You will join Fergusson Institute")


def test_teacher_joins_by_code(ui: Ui, join_code: str) -> None:
    page = ui.page()
    page.goto("/register/teacher")
    address = email("teacher")
    e164 = basic(ui, page, "teacher", address, germany=True)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    page.get_by_role("link", name="Change email address").click()
    expect(page.get_by_label("Email address")).to_have_value(address)  # where it can change
    page.get_by_role("button", name="Continue").click()
    codes(ui, page, "teacher", address, e164)
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
    page.get_by_label("Subjects you teach").fill("Physics\nAstronomy")
    page.get_by_label("Your role").fill("Lecturer")
    page.get_by_label("With my school or organization").check()
    page.get_by_label("Experience level").fill("Senior")
    page.get_by_label("Years of experience").fill("7")
    ui.check(page, "teacher-3-professional")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your organization")).to_be_visible()
    page.get_by_label("Organization code").fill("IN-NOPE-0000")
    expect(page.locator("#f-org_code-live")).to_contain_text("No organization has this code")
    page.get_by_role("button", name="Continue").click()  # refused by the server too
    expect(page.locator("#f-org_code-error")).to_be_visible()
    org_code(ui, page, "teacher", join_code)
    expect(page.locator("#f-org_code-error")).to_have_count(0)  # the stale refusal is gone
    expect(page.locator("#error-summary")).to_have_count(0)
    ui.check(page, "teacher-4-organization")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill("Fergusson Institute 7866")
    page.get_by_label("Confirm password").fill("Fergusson Institute 7866")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#f-password-error")).to_contain_text("organization")  # the rule holds
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    ui.check(page, "teacher-5-security")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Welcome, Ravi!")).to_be_visible()
    expect(page.get_by_text("Fergusson Institute")).to_be_visible()
    expect(page.locator("#join-code")).to_have_count(0)  # only its owner sees the code
    ui.check(page, "teacher-6-welcome")


def test_student_joins_by_code(ui: Ui, join_code: str) -> None:
    page = ui.page()
    page.goto("/register/student")
    address = email("student")
    e164 = basic(ui, page, "student", address)
    codes(ui, page, "student", address, e164)
    expect(page.get_by_role("heading", name="Your school")).to_be_visible()
    page.get_by_label("With my school or organization").check()
    org_code(ui, page, "student", join_code)
    page.get_by_label("Academic level").fill("Undergraduate")
    ui.check(page, "student-3-school")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    ui.check(page, "student-4-security")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your class")).to_be_visible()
    # the organization's own departments, as choices (not free text)
    expect(page.get_by_role("radio", name="Physics")).to_be_visible()
    expect(page.get_by_role("radio", name="Mathematics")).to_be_visible()
    page.get_by_role("radio", name="Physics").check()
    page.get_by_label("Batch").fill("2024-2028")
    page.get_by_label("Year").fill("2")
    ui.check(page, "student-5-class")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Welcome, Ravi!")).to_be_visible()
    ui.check(page, "student-6-welcome")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "hi",
            {
                "step": "चरण 1 / 5",
                "email": "अपना ईमेल देखें",
                "done": "स्वागत है, Sunita!",
                "subject": "आपका सत्यापन कोड",
                "button": "आगे बढ़ें",
            },
        ),
        (
            "fr",
            {
                "step": "Étape 1 sur 5",
                "email": "Consultez vos e\u2011mails",
                "done": "Bienvenue, Sunita !",
                "subject": "Votre code de vérification",
                "button": "Continuer",
            },
        ),
    ],
)
def test_an_organization_signs_up_in_another_language(
    ui: Ui, lang: str, words: dict[str, str]
) -> None:
    owner = email(f"owner-{lang}")
    page = ui.page()
    page.goto(f"/register/organization?lang={lang}")  # then kept in a cookie
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_text(words["step"])).to_be_visible()
    page.locator("button.primary").click()  # refused: the sentences are in the language too
    expect(page.locator("#error-summary")).to_be_visible()
    ui.check(page, f"organization-1-error-{lang}")
    page.locator("#f-name").fill(f"Sunrise Public School {secrets.token_hex(2)}")
    page.locator("#f-country").fill("India" if lang == "fr" else "भारत")
    page.locator("#f-state").fill("Maharashtra")
    page.locator("#f-city").fill("Pune")
    page.locator("#f-postal_code").fill("411004")
    page.locator("#f-type").select_option("school")
    page.locator("#f-student_strength").fill("800")
    ui.check(page, f"organization-1-organization-{lang}")
    page.get_by_role("button", name=words["button"]).click()
    national, e164 = mobile()
    page.locator("#f-name").fill("Sunita Rao")
    page.locator("#f-email").fill(owner)
    page.locator("#f-phone").fill(national)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_confirmation").fill(PASSWORD)
    ui.check(page, f"organization-2-admin-{lang}")
    page.locator("button.primary").click()
    expect(page.get_by_role("heading", name=words["email"])).to_be_visible()
    ui.check(page, f"organization-3-email-code-{lang}")
    mail = ui.mail.wait_for(owner, TIMEOUT)
    assert mail["Subject"] == words["subject"]  # the mail speaks the registration's language
    link = re.search(r"https?://\S+/register/confirm/\S+", text_body(mail))
    assert link and link.group(0).endswith(f"?lang={lang}")  # and its link opens it so
    page.locator("#f-code").fill(ui.email_code(owner))
    page.locator("button.primary").click()
    page.locator("#f-code").fill(ui.sms_code(e164))
    ui.check(page, f"organization-4-phone-code-{lang}")
    page.locator("button.primary").click()
    page.locator("#f-structure").check()
    page.locator("#f-timezone").select_option("Asia/Kolkata")
    ui.check(page, f"organization-5-preferences-{lang}")
    page.locator("button.primary").click()
    expect(page.get_by_role("heading", name=words["done"])).to_be_visible()
    expect(page.locator("ol.next")).not_to_contain_text("Invite your first teachers")
    ui.check(page, f"organization-6-welcome-{lang}")
    page.goto(f"/sign-in?lang={lang}")
    ui.check(page, f"sign-in-{lang}")
    page.goto("/")
    ui.check(page, f"choose-{lang}")
    page.goto("/forgot-password")
    ui.check(page, f"forgot-password-{lang}")
    page.goto("/console")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    ui.check(page, f"console-{lang}")
