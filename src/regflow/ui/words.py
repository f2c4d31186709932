"""Stable error codes turned into words for people: the one mapping the UI uses.

Every ``ErrorCode`` has a general sentence here (a test checks it); a code can
also have a field-specific one (``(code, field)``). A code from outside the
catalogue (a contract's own) falls back to the service's message.
"""

from __future__ import annotations

from regflow.errors import ErrorCode

_BY_FIELD: dict[tuple[ErrorCode, str], str] = {
    (ErrorCode.REQUIRED, "email"): "Enter your email address.",
    (ErrorCode.REQUIRED, "first_name"): "Enter your first name.",
    (ErrorCode.REQUIRED, "last_name"): "Enter your last name.",
    (ErrorCode.REQUIRED, "full_name"): "Enter your full name.",
    (ErrorCode.REQUIRED, "username"): "Choose a username.",
    (ErrorCode.REQUIRED, "password"): "Choose a password.",
    (ErrorCode.REQUIRED, "password_confirmation"): "Type your password a second time.",
    (ErrorCode.REQUIRED, "phone"): "Enter your mobile number.",
    (ErrorCode.REQUIRED, "code"): "Enter the 6-digit code from the message.",
    (ErrorCode.REQUIRED, "departments"): "Add at least one department, one per line.",
    (ErrorCode.REQUIRED, "subjects"): "Add at least one subject, one per line.",
    (ErrorCode.TOO_SHORT, "subjects"): "Add at least one subject, one per line.",
    (ErrorCode.INVALID_TYPE, "student_strength"): "Enter a whole number, for example 250.",
    (
        ErrorCode.INVALID_TYPE,
        "years_of_experience",
    ): "Enter a whole number of years, for example 5.",
    (ErrorCode.INVALID_TYPE, "year"): "Enter the year as a number from 1 to 12.",
    (ErrorCode.INVALID_TYPE, "date_of_birth"): "Enter your date of birth.",
    (ErrorCode.INVALID_VALUE, "student_strength"): (
        "Enter a number of students of 0 or more, for example 250."
    ),
    (ErrorCode.INVALID_VALUE, "years_of_experience"): "Enter a number of years of 0 or more.",
    (ErrorCode.INVALID_VALUE, "year"): "Enter the year as a number from 1 to 12.",
    (ErrorCode.REQUIRED, "department"): "Choose your department.",
    (ErrorCode.REQUIRED, "country"): "Choose your country from the list.",
    (ErrorCode.INVITATION_EMAIL_MISMATCH, "email"): "Use the address your invitation was sent to.",
    (ErrorCode.REQUIRED, "new_password"): "Choose a new password.",
    (ErrorCode.INVALID_CODE, "reset_code"): (
        "That code is not right, or it was used already. Check the latest mail and try again."
    ),
    (ErrorCode.CODE_EXPIRED, "reset_code"): "This code has expired. Ask for a new one.",
    (ErrorCode.ATTEMPTS_EXCEEDED, "reset_code"): (
        "Too many wrong codes. Ask for a new one, or use the button in the mail."
    ),
}

PLACE_WORDS = (
    "Use letters, with digits, spaces and - ' . ( ) , & / if needed (up to 100 characters)."
)

_BY_CODE: dict[ErrorCode, str] = {
    ErrorCode.REQUIRED: "This field is required.",
    ErrorCode.TOO_LONG: "This is too long; shorten it a little.",
    ErrorCode.TOO_SHORT: "This is too short.",
    ErrorCode.INVALID_TYPE: "This value is not in the expected format.",
    ErrorCode.INVALID_VALUE: "This value is not valid.",
    ErrorCode.INVALID_CHOICE: "Choose one of the options.",
    ErrorCode.INVALID_EMAIL: "Enter an email address like name@example.com.",
    ErrorCode.NAME_INVALID: "Use 2 to 50 letters; spaces, hyphens and apostrophes are fine.",
    ErrorCode.USERNAME_INVALID: "This username is not allowed: use 3 to 30 letters, digits, dots, "
    "hyphens or underscores.",
    ErrorCode.USERNAME_RESERVED: "This username is reserved; choose another.",
    ErrorCode.USERNAME_TAKEN: "This username is taken; choose another or pick a suggestion.",
    ErrorCode.PASSWORD_TOO_SHORT: "Your password is too short.",
    ErrorCode.PASSWORD_TOO_LONG: "Your password is too long.",
    ErrorCode.PASSWORD_COMMON: "This password is too common and easy to guess; choose another.",
    ErrorCode.PASSWORD_CONTEXT: (
        "Your password should not contain your name, username, email or organization."
    ),
    ErrorCode.PASSWORD_WEAK: "Your password does not meet the rules listed above.",
    ErrorCode.PASSWORD_INVALID: "Your password contains characters that cannot be used.",
    ErrorCode.PASSWORD_MISMATCH: "The two passwords are not the same.",
    ErrorCode.ORG_CODE_INVALID: "No organization has this code. Check it with your organization.",
    ErrorCode.ORG_INVITE_ONLY: "This organization accepts members by invitation only.",
    ErrorCode.ORG_NAME_INVALID: "Enter your organization's name (at least 2 letters).",
    ErrorCode.RESERVED_SLUG: "This name cannot be used; add a word to it.",
    ErrorCode.STATE_INVALID: PLACE_WORDS,
    ErrorCode.CITY_INVALID: PLACE_WORDS,
    ErrorCode.CURRENT_INSTITUTION_INVALID: PLACE_WORDS,
    ErrorCode.ACADEMIC_LEVEL_INVALID: PLACE_WORDS,
    ErrorCode.BATCH_INVALID: "Use letters, digits, spaces and - ' . ( ) , & / only, for "
    "example 2024-2028.",
    ErrorCode.COUNTRY_INVALID: "Choose a country from the list, for example India.",
    ErrorCode.PHONE_INVALID: "Enter a mobile number, for example +91 98765 43210.",
    ErrorCode.POSTAL_CODE_INVALID: "This postal code does not match the country.",
    ErrorCode.TIMEZONE_INVALID: "Choose a time zone from the list.",
    ErrorCode.DEPARTMENT_INVALID: "Each department needs a name of up to 100 characters.",
    ErrorCode.DATE_OF_BIRTH_INVALID: "Enter your real date of birth.",
    ErrorCode.LOGO_INVALID: "Upload the logo again.",
    ErrorCode.IMAGE_INVALID: "This file is not an image we can read. Use a PNG, JPEG or GIF.",
    ErrorCode.IMAGE_TYPE_UNSUPPORTED: "Use a PNG, JPEG or GIF image.",
    ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE: (
        "This image is too large; use one up to 4096 by 4096 pixels."
    ),
    ErrorCode.PAYLOAD_TOO_LARGE: "This file is too large.",
    ErrorCode.INVALID_CODE: "That code is not right. Check the latest message and try again.",
    ErrorCode.CODE_EXPIRED: "This code has expired. Ask for a new one below.",
    ErrorCode.ATTEMPTS_EXCEEDED: "Too many wrong codes. Ask for a new code below.",
    ErrorCode.VERIFICATION_NOT_FOUND: "No code was sent to this address yet. Ask for one below.",
    ErrorCode.RESEND_TOO_SOON: "A code was sent a moment ago. You can ask for another shortly.",
    ErrorCode.RATE_LIMITED: "Too many attempts. Wait a minute and try again.",
    ErrorCode.REGISTRATION_EXPIRED: "It was left unfinished for too long, so we closed it.",
    ErrorCode.REGISTRATION_NOT_FOUND: "We could not find your registration. Please start again.",
    ErrorCode.ALREADY_COMPLETED: "An account with this email exists already. Sign in instead.",
    ErrorCode.VERIFICATION_REQUIRED: "Confirm your address first.",
    ErrorCode.STEP_ORDER: "Please finish the earlier steps first.",
    ErrorCode.CSRF_FAILED: "This page was open too long. Please submit again.",
    ErrorCode.INVALID_CREDENTIALS: "That email address and password do not match an account.",
    ErrorCode.EMAIL_NOT_VERIFIED: "Your email address is not confirmed yet, so you cannot sign in.",
    ErrorCode.INVITATION_NOT_FOUND: (
        "Check that you opened the whole link from the mail, or ask the organization for a "
        "new invitation."
    ),
    ErrorCode.INVITATION_USED: (
        "Each invitation link works once. If you accepted it, sign in; if not, ask the "
        "organization for a new invitation."
    ),
    ErrorCode.INVITATION_EXPIRED: (
        "Invitations are valid for a limited time. Ask the organization for a new one."
    ),
    ErrorCode.INVITATION_EMAIL_MISMATCH: (
        "This invitation was sent to another email address. Sign in with the account of the "
        "address it was sent to."
    ),
    ErrorCode.ALREADY_MEMBER: (
        "Your account is a member of this organization already; the invitation was not "
        "needed and stays unused."
    ),
    ErrorCode.INVITATION_INVALID: "The organization of this invitation no longer exists.",
    # the rest of the catalogue: rarely shown by the hosted UI, worded all the same
    ErrorCode.ERROR: "Something went wrong. Please try again.",
    ErrorCode.VALIDATION_ERROR: "Some fields need your attention.",
    ErrorCode.INVALID_FIELD: "This value is not valid.",
    ErrorCode.UNKNOWN_FIELD: "This field is not part of the form.",
    ErrorCode.INVALID_CHARACTERS: "Remove control characters and broken Unicode.",
    ErrorCode.TOO_DEEP: "The request could not be read.",
    ErrorCode.MALFORMED_JSON: "The request could not be read.",
    ErrorCode.MALFORMED_MULTIPART: "The file could not be read; upload it again.",
    ErrorCode.MULTIPART_REQUIRED: "Upload the file with the form.",
    ErrorCode.TOO_MANY_PARTS: "Upload only the file.",
    ErrorCode.NOT_FOUND: "This page does not exist.",
    ErrorCode.METHOD_NOT_ALLOWED: "This page cannot be used that way.",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "The request could not be read.",
    ErrorCode.HTTP_ERROR: "Something went wrong. Please try again.",
    ErrorCode.CLIENT_DISCONNECTED: "The connection closed before the form arrived; submit again.",
    ErrorCode.OVERLOADED: "We are busy right now. Please try again in a moment.",
    ErrorCode.DATABASE_UNAVAILABLE: "We are busy right now. Please try again in a moment.",
    ErrorCode.CONFLICT: "Something changed meanwhile. Please try again.",
    ErrorCode.FORBIDDEN: "You are not allowed to do this.",
    ErrorCode.STEP_NOT_FOUND: "This step does not exist. Please start again.",
    ErrorCode.FLOW_UNKNOWN: "This kind of registration is not offered here.",
    ErrorCode.USER_EXISTS: "An account with this email exists already. Sign in instead.",
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: "Your account is being created; wait a moment.",
    ErrorCode.IDEMPOTENCY_MISMATCH: "This was already submitted with other values.",
    ErrorCode.INVALID_TOKEN: "Your sign-in has ended. Please sign in again.",
    ErrorCode.NOT_A_MEMBER: "Your account is not a member of this organization.",
    ErrorCode.ORG_NOT_FOUND: "No such organization.",
    ErrorCode.ORG_CODE_EXHAUSTED: "We could not draw a new join code. Please try again.",
    ErrorCode.ORG_SLUG_EXISTS: "We could not give this organization an address; add a word to "
    "its name.",
    ErrorCode.MEMBER_NOT_FOUND: "No such member in this organization.",
    ErrorCode.MEMBERSHIP_NOT_PENDING: "This request to join was already decided.",
    ErrorCode.UPLOAD_NOT_FOUND: "This upload is gone; upload the file again.",
    ErrorCode.MESSAGE_NOT_FOUND: "No such message.",
    ErrorCode.INVITATION_NOT_REVOCABLE: "This invitation was used or has expired already.",
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
    {
        ErrorCode.REQUIRED,
        ErrorCode.TOO_LONG,
        ErrorCode.TOO_SHORT,
        ErrorCode.INVALID_TYPE,
        ErrorCode.INVALID_VALUE,
        ErrorCode.INVALID_CHOICE,
    }
)


def say_on(code: ErrorCode, field: str, label: str, fallback: str | None = None) -> str:
    """The sentence for ``code`` on a field, naming the field (its ``label``) when the
    sentence alone would not: an error summary of "This field is required." x4 says nothing."""
    if (code, field) in _BY_FIELD:
        return _BY_FIELD[(code, field)]
    if code == ErrorCode.REQUIRED:
        return f"{label} is required." if label else say(code)
    if code in GENERIC or code not in _BY_CODE:
        sentence = say(code, fallback=fallback)
        return f"{label}: {sentence[:1].lower()}{sentence[1:]}"
    return say(code, fallback=fallback)


def say(code: ErrorCode, field: str | None = None, fallback: str | None = None) -> str:
    """The sentence for ``code`` (on ``field``), or ``fallback``, or a general one."""
    if field is not None and (code, field) in _BY_FIELD:
        return _BY_FIELD[(code, field)]
    return _BY_CODE.get(code) or fallback or "This value is not valid."
