"""Stable error codes turned into words for people: the one mapping the UI uses.

A code can have a field-specific sentence (``(code, field)``) and a general
one (``code``); anything unknown falls back to the service's own message.
"""

from __future__ import annotations

_BY_FIELD: dict[tuple[str, str], str] = {
    ("REQUIRED", "email"): "Enter your email address.",
    ("REQUIRED", "first_name"): "Enter your first name.",
    ("REQUIRED", "last_name"): "Enter your last name.",
    ("REQUIRED", "full_name"): "Enter your full name.",
    ("REQUIRED", "username"): "Choose a username.",
    ("REQUIRED", "password"): "Choose a password.",
    ("REQUIRED", "password_confirmation"): "Type your password a second time.",
    ("REQUIRED", "phone"): "Enter your mobile number.",
    ("REQUIRED", "code"): "Enter the 6-digit code from the message.",
    ("REQUIRED", "departments"): "Add at least one department, one per line.",
    ("REQUIRED", "subjects"): "Add at least one subject, one per line.",
    ("TOO_SHORT", "subjects"): "Add at least one subject, one per line.",
    ("INVALID_TYPE", "student_strength"): "Enter a whole number, for example 250.",
    ("INVALID_TYPE", "years_of_experience"): "Enter a whole number of years, for example 5.",
    ("INVALID_TYPE", "year"): "Enter the year as a number from 1 to 12.",
    ("INVALID_TYPE", "date_of_birth"): "Enter your date of birth.",
    ("INVALID_VALUE", "student_strength"): "Enter a number of students of 0 or more, for "
    "example 250.",
    ("INVALID_VALUE", "years_of_experience"): "Enter a number of years of 0 or more.",
    ("INVALID_VALUE", "year"): "Enter the year as a number from 1 to 12.",
    ("REQUIRED", "department"): "Choose your department.",
    ("REQUIRED", "country"): "Choose your country from the list.",
    ("INVITATION_EMAIL_MISMATCH", "email"): "Use the address your invitation was sent to.",
    ("REQUIRED", "new_password"): "Choose a new password.",
    ("INVALID_CODE", "reset_code"): "That code is not right, or it was used already. Check the "
    "latest mail and try again.",
    ("CODE_EXPIRED", "reset_code"): "This code has expired. Ask for a new one.",
    ("ATTEMPTS_EXCEEDED", "reset_code"): "Too many wrong codes. Ask for a new one, or use the "
    "button in the mail.",
}

_BY_CODE: dict[str, str] = {
    "REQUIRED": "This field is required.",
    "TOO_LONG": "This is too long; shorten it a little.",
    "TOO_SHORT": "This is too short.",
    "INVALID_TYPE": "This value is not in the expected format.",
    "INVALID_VALUE": "This value is not valid.",
    "INVALID_CHOICE": "Choose one of the options.",
    "INVALID_EMAIL": "Enter an email address like name@example.com.",
    "NAME_INVALID": "Use 2 to 50 letters; spaces, hyphens and apostrophes are fine.",
    "USERNAME_INVALID": "This username is not allowed: use 3 to 30 letters, digits, dots, "
    "hyphens or underscores.",
    "USERNAME_RESERVED": "This username is reserved; choose another.",
    "USERNAME_TAKEN": "This username is taken; choose another or pick a suggestion.",
    "PASSWORD_TOO_SHORT": "Your password is too short.",
    "PASSWORD_TOO_LONG": "Your password is too long.",
    "PASSWORD_COMMON": "This password is too common and easy to guess; choose another.",
    "PASSWORD_CONTEXT": "Your password should not contain your name, username, email or "
    "organization.",
    "PASSWORD_WEAK": "Your password does not meet the rules listed above.",
    "PASSWORD_INVALID": "Your password contains characters that cannot be used.",
    "PASSWORD_MISMATCH": "The two passwords are not the same.",
    "ORG_CODE_INVALID": "No organization has this code. Check it with your organization.",
    "ORG_INVITE_ONLY": "This organization accepts members by invitation only.",
    "ORG_NAME_INVALID": "Enter your organization's name (at least 2 letters).",
    "RESERVED_SLUG": "This name cannot be used; add a word to it.",
    "COUNTRY_INVALID": "Choose a country from the list, for example India.",
    "PHONE_INVALID": "Enter a mobile number, for example +91 98765 43210.",
    "POSTAL_CODE_INVALID": "This postal code does not match the country.",
    "TIMEZONE_INVALID": "Choose a time zone from the list.",
    "DEPARTMENT_INVALID": "Each department needs a name of up to 100 characters.",
    "DATE_OF_BIRTH_INVALID": "Enter your real date of birth.",
    "LOGO_INVALID": "Upload the logo again.",
    "IMAGE_INVALID": "This file is not an image we can read. Use a PNG, JPEG or GIF.",
    "IMAGE_TYPE_UNSUPPORTED": "Use a PNG, JPEG or GIF image.",
    "IMAGE_DIMENSIONS_TOO_LARGE": "This image is too large; use one up to 4096 by 4096 pixels.",
    "PAYLOAD_TOO_LARGE": "This file is too large.",
    "INVALID_CODE": "That code is not right. Check the latest message and try again.",
    "CODE_EXPIRED": "This code has expired. Ask for a new one below.",
    "ATTEMPTS_EXCEEDED": "Too many wrong codes. Ask for a new code below.",
    "VERIFICATION_NOT_FOUND": "No code was sent to this address yet. Ask for one below.",
    "RESEND_TOO_SOON": "A code was sent a moment ago. You can ask for another shortly.",
    "RATE_LIMITED": "Too many attempts. Wait a minute and try again.",
    "REGISTRATION_EXPIRED": "It was left unfinished for too long, so we closed it.",
    "REGISTRATION_NOT_FOUND": "We could not find your registration. Please start again.",
    "ALREADY_COMPLETED": "An account with this email exists already. Sign in instead.",
    "VERIFICATION_REQUIRED": "Confirm your address first.",
    "STEP_ORDER": "Please finish the earlier steps first.",
    "CSRF_FAILED": "This page was open too long. Please submit again.",
    "INVALID_CREDENTIALS": "That email address and password do not match an account.",
    "EMAIL_NOT_VERIFIED": "Your email address is not confirmed yet, so you cannot sign in.",
    "INVITATION_NOT_FOUND": "Check that you opened the whole link from the mail, or ask the "
    "organization for a new invitation.",
    "INVITATION_USED": "Each invitation link works once. If you accepted it, sign in; if not, "
    "ask the organization for a new invitation.",
    "INVITATION_EXPIRED": "Invitations are valid for a limited time. Ask the organization for a "
    "new one.",
    "INVITATION_EMAIL_MISMATCH": "This invitation was sent to another email address. Sign in "
    "with the account of the address it was sent to.",
    "ALREADY_MEMBER": "Your account is a member of this organization already; the invitation "
    "was not needed and stays unused.",
}

ROLE_WORDS = {
    "owner": "administrator",
    "admin": "administrator",
    "sub_admin": "sub-administrator",
    "teacher": "teacher",
    "student": "student",
    "member": "member",
}


def role_words(role: str) -> str:
    """A membership role as people say it."""
    return ROLE_WORDS.get(role, role.replace("_", " "))


# sentences that do not say which field they are about: the label goes in front of them
GENERIC = frozenset(
    {"REQUIRED", "TOO_LONG", "TOO_SHORT", "INVALID_TYPE", "INVALID_VALUE", "INVALID_CHOICE"}
)


def say_on(code: str, field: str, label: str, fallback: str | None = None) -> str:
    """The sentence for ``code`` on a field, naming the field (its ``label``) when the
    sentence alone would not: an error summary of "This field is required." x4 says nothing."""
    if (code, field) in _BY_FIELD:
        return _BY_FIELD[(code, field)]
    if code == "REQUIRED":
        return f"{label} is required." if label else say(code)
    if code in GENERIC or code not in _BY_CODE:
        sentence = say(code, fallback=fallback)
        return f"{label}: {sentence[:1].lower()}{sentence[1:]}"
    return say(code, fallback=fallback)


def say(code: str, field: str | None = None, fallback: str | None = None) -> str:
    """The sentence for ``code`` (on ``field``), or ``fallback``, or a general one."""
    if field is not None and (code, field) in _BY_FIELD:
        return _BY_FIELD[(code, field)]
    return _BY_CODE.get(code) or fallback or "This value is not valid."
