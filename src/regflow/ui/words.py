"""Stable error codes turned into words for people: the one mapping the UI uses.

Every ``ErrorCode`` has a general sentence here (a test checks it); a code can
also have a field-specific one (``(code, field)``). A code from outside the
catalogue (a contract's own) falls back to the service's message.
"""

from __future__ import annotations

from regflow.errors import ErrorCode
from regflow.ui.i18n import N_, gettext

_BY_FIELD: dict[tuple[ErrorCode, str], str] = {
    (ErrorCode.REQUIRED, "email"): N_("Enter your email address."),
    (ErrorCode.REQUIRED, "first_name"): N_("Enter your first name."),
    (ErrorCode.REQUIRED, "last_name"): N_("Enter your last name."),
    (ErrorCode.REQUIRED, "full_name"): N_("Enter your full name."),
    (ErrorCode.REQUIRED, "username"): N_("Choose a username."),
    (ErrorCode.REQUIRED, "password"): N_("Choose a password."),
    (ErrorCode.REQUIRED, "password_confirmation"): N_("Type your password a second time."),
    (ErrorCode.REQUIRED, "phone"): N_("Enter your mobile number."),
    (ErrorCode.REQUIRED, "code"): N_("Enter the 6-digit code from the message."),
    (ErrorCode.REQUIRED, "departments"): N_("Add at least one department, one per line."),
    (ErrorCode.REQUIRED, "subjects"): N_("Add at least one subject, one per line."),
    (ErrorCode.TOO_SHORT, "subjects"): N_("Add at least one subject, one per line."),
    (ErrorCode.INVALID_TYPE, "student_strength"): N_("Enter a whole number, for example 250."),
    (
        ErrorCode.INVALID_TYPE,
        "years_of_experience",
    ): N_("Enter a whole number of years, for example 5."),
    (ErrorCode.INVALID_TYPE, "year"): N_("Enter the year as a number from 1 to 12."),
    (ErrorCode.INVALID_TYPE, "date_of_birth"): N_("Enter your date of birth."),
    (ErrorCode.INVALID_VALUE, "student_strength"): (
        N_("Enter a number of students of 0 or more, for example 250.")
    ),
    (ErrorCode.INVALID_VALUE, "years_of_experience"): N_("Enter a number of years of 0 or more."),
    (ErrorCode.INVALID_VALUE, "year"): N_("Enter the year as a number from 1 to 12."),
    (ErrorCode.REQUIRED, "department"): N_("Choose your department."),
    (ErrorCode.REQUIRED, "country"): N_("Choose your country from the list."),
    (ErrorCode.INVITATION_EMAIL_MISMATCH, "email"): N_(
        "Use the address your invitation was sent to."
    ),
    (ErrorCode.REQUIRED, "new_password"): N_("Choose a new password."),
    (ErrorCode.REQUIRED, "mfa_code"): (
        "Enter the 6-digit code from your authenticator app, or a recovery code."
    ),
    (ErrorCode.INVALID_CODE, "mfa"): (
        "That code is not right, or it was used already. Wait for the next code in your app "
        "and try again."
    ),
    (ErrorCode.ATTEMPTS_EXCEEDED, "mfa"): ("Too many wrong codes. Sign in again."),
    (ErrorCode.INVALID_CODE, "reset_code"): (
        N_("That code is not right, or it was used already. Check the latest mail and try again.")
    ),
    (ErrorCode.CODE_EXPIRED, "reset_code"): N_("This code has expired. Ask for a new one."),
    (ErrorCode.ATTEMPTS_EXCEEDED, "reset_code"): (
        N_("Too many wrong codes. Ask for a new one, or use the button in the mail.")
    ),
}

PLACE_WORDS = N_(
    "Use letters, with digits, spaces and - ' . ( ) , & / if needed (up to 100 characters)."
)

_BY_CODE: dict[ErrorCode, str] = {
    ErrorCode.MFA_REQUIRED: ("Enter the code from your authenticator app."),
    ErrorCode.MFA_ENROLMENT_REQUIRED: (
        "Your organization asks every member to sign in with a second step. Set up two-factor "
        "sign-in to continue."
    ),
    ErrorCode.MFA_TOKEN_INVALID: ("This sign-in was used or has ended. Sign in again."),
    ErrorCode.MFA_TOKEN_EXPIRED: ("This sign-in took too long. Sign in again."),
    ErrorCode.MFA_ALREADY_ENABLED: ("Two-factor sign-in is on already."),
    ErrorCode.MFA_NOT_STARTED: ("Start setting up two-factor sign-in again."),
    ErrorCode.OWNER_MUST_TRANSFER: (
        "You own an organization: hand it over to another administrator or delete it before "
        "you delete your account."
    ),
    ErrorCode.EMAIL_TAKEN: ("Another account uses this email address."),
    ErrorCode.SAME_EMAIL: ("This is your email address already."),
    ErrorCode.REQUIRED: N_("This field is required."),
    ErrorCode.TOO_LONG: N_("This is too long; shorten it a little."),
    ErrorCode.TOO_SHORT: N_("This is too short."),
    ErrorCode.INVALID_TYPE: N_("This value is not in the expected format."),
    ErrorCode.INVALID_VALUE: N_("This value is not valid."),
    ErrorCode.INVALID_CHOICE: N_("Choose one of the options."),
    ErrorCode.INVALID_EMAIL: N_("Enter an email address like name@example.com."),
    ErrorCode.NAME_INVALID: N_("Use 2 to 50 letters; spaces, hyphens and apostrophes are fine."),
    ErrorCode.USERNAME_INVALID: N_(
        "This username is not allowed: use 3 to 30 letters, digits, dots, hyphens or underscores."
    ),
    ErrorCode.USERNAME_RESERVED: N_("This username is reserved; choose another."),
    ErrorCode.USERNAME_TAKEN: N_("This username is taken; choose another or pick a suggestion."),
    ErrorCode.PASSWORD_TOO_SHORT: N_("Your password is too short."),
    ErrorCode.PASSWORD_TOO_LONG: N_("Your password is too long."),
    ErrorCode.PASSWORD_COMMON: N_("This password is too common and easy to guess; choose another."),
    ErrorCode.PASSWORD_CONTEXT: (
        N_("Your password should not contain your name, username, email or organization.")
    ),
    ErrorCode.PASSWORD_WEAK: N_("Your password does not meet the rules listed above."),
    ErrorCode.PASSWORD_INVALID: N_("Your password contains characters that cannot be used."),
    ErrorCode.PASSWORD_MISMATCH: N_("The two passwords are not the same."),
    ErrorCode.ORG_CODE_INVALID: N_(
        "No organization has this code. Check it with your organization."
    ),
    ErrorCode.ORG_INVITE_ONLY: N_("This organization accepts members by invitation only."),
    ErrorCode.ORG_NAME_INVALID: N_("Enter your organization's name (at least 2 letters)."),
    ErrorCode.RESERVED_SLUG: N_("This name cannot be used; add a word to it."),
    ErrorCode.STATE_INVALID: PLACE_WORDS,
    ErrorCode.CITY_INVALID: PLACE_WORDS,
    ErrorCode.CURRENT_INSTITUTION_INVALID: PLACE_WORDS,
    ErrorCode.ACADEMIC_LEVEL_INVALID: PLACE_WORDS,
    ErrorCode.BATCH_INVALID: N_(
        "Use letters, digits, spaces and - ' . ( ) , & / only, for example 2024-2028."
    ),
    ErrorCode.COUNTRY_INVALID: N_("Choose a country from the list, for example India."),
    ErrorCode.PHONE_INVALID: N_("Enter a mobile number, for example +91 98765 43210."),
    ErrorCode.POSTAL_CODE_INVALID: N_("This postal code does not match the country."),
    ErrorCode.TIMEZONE_INVALID: N_("Choose a time zone from the list."),
    ErrorCode.DEPARTMENT_INVALID: N_("Each department needs a name of up to 100 characters."),
    ErrorCode.DATE_OF_BIRTH_INVALID: N_("Enter your real date of birth."),
    ErrorCode.LOGO_INVALID: N_("Upload the logo again."),
    ErrorCode.IMAGE_INVALID: N_("This file is not an image we can read. Use a PNG, JPEG or GIF."),
    ErrorCode.IMAGE_TYPE_UNSUPPORTED: N_("Use a PNG, JPEG or GIF image."),
    ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE: (
        N_("This image is too large; use one up to 4096 by 4096 pixels.")
    ),
    ErrorCode.PAYLOAD_TOO_LARGE: N_("This file is too large."),
    ErrorCode.INVALID_CODE: N_("That code is not right. Check the latest message and try again."),
    ErrorCode.CODE_EXPIRED: N_("This code has expired. Ask for a new one below."),
    ErrorCode.ATTEMPTS_EXCEEDED: N_("Too many wrong codes. Ask for a new code below."),
    ErrorCode.VERIFICATION_NOT_FOUND: N_(
        "No code was sent to this address yet. Ask for one below."
    ),
    ErrorCode.RESEND_TOO_SOON: N_("A code was sent a moment ago. You can ask for another shortly."),
    ErrorCode.RATE_LIMITED: N_("Too many attempts. Wait a minute and try again."),
    ErrorCode.REGISTRATION_EXPIRED: N_("It was left unfinished for too long, so we closed it."),
    ErrorCode.REGISTRATION_NOT_FOUND: N_(
        "We could not find your registration. Please start again."
    ),
    ErrorCode.ALREADY_COMPLETED: N_("An account with this email exists already. Sign in instead."),
    ErrorCode.VERIFICATION_REQUIRED: N_("Confirm your address first."),
    ErrorCode.STEP_ORDER: N_("Please finish the earlier steps first."),
    ErrorCode.CSRF_FAILED: N_("This page was open too long. Please submit again."),
    ErrorCode.INVALID_CREDENTIALS: N_("That email address and password do not match an account."),
    ErrorCode.EMAIL_NOT_VERIFIED: N_(
        "Your email address is not confirmed yet, so you cannot sign in."
    ),
    ErrorCode.INVITATION_NOT_FOUND: (
        N_(
            "Check that you opened the whole link from the mail, or ask the organization for a "
            "new invitation."
        )
    ),
    ErrorCode.INVITATION_USED: (
        N_(
            "Each invitation link works once. If you accepted it, sign in; if not, ask the "
            "organization for a new invitation."
        )
    ),
    ErrorCode.INVITATION_EXPIRED: (
        N_("Invitations are valid for a limited time. Ask the organization for a new one.")
    ),
    ErrorCode.INVITATION_EMAIL_MISMATCH: (
        N_(
            "This invitation was sent to another email address. Sign in with the account of the "
            "address it was sent to."
        )
    ),
    ErrorCode.ALREADY_MEMBER: (
        N_(
            "Your account is a member of this organization already; the invitation was not "
            "needed and stays unused."
        )
    ),
    ErrorCode.INVITATION_INVALID: N_("The organization of this invitation no longer exists."),
    # the rest of the catalogue: rarely shown by the hosted UI, worded all the same
    ErrorCode.ERROR: N_("Something went wrong. Please try again."),
    ErrorCode.VALIDATION_ERROR: N_("Some fields need your attention."),
    ErrorCode.INVALID_FIELD: N_("This value is not valid."),
    ErrorCode.UNKNOWN_FIELD: N_("This field is not part of the form."),
    ErrorCode.INVALID_CHARACTERS: N_("Remove control characters and broken Unicode."),
    ErrorCode.TOO_DEEP: N_("The request could not be read."),
    ErrorCode.MALFORMED_JSON: N_("The request could not be read."),
    ErrorCode.MALFORMED_MULTIPART: N_("The file could not be read; upload it again."),
    ErrorCode.MULTIPART_REQUIRED: N_("Upload the file with the form."),
    ErrorCode.TOO_MANY_PARTS: N_("Upload only the file."),
    ErrorCode.NOT_FOUND: N_("This page does not exist."),
    ErrorCode.METHOD_NOT_ALLOWED: N_("This page cannot be used that way."),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: N_("The request could not be read."),
    ErrorCode.HTTP_ERROR: N_("Something went wrong. Please try again."),
    ErrorCode.CLIENT_DISCONNECTED: N_(
        "The connection closed before the form arrived; submit again."
    ),
    ErrorCode.OVERLOADED: N_("We are busy right now. Please try again in a moment."),
    ErrorCode.DATABASE_UNAVAILABLE: N_("We are busy right now. Please try again in a moment."),
    ErrorCode.CONFLICT: N_("Something changed meanwhile. Please try again."),
    ErrorCode.FORBIDDEN: N_("You are not allowed to do this."),
    ErrorCode.STEP_NOT_FOUND: N_("This step does not exist. Please start again."),
    ErrorCode.FLOW_UNKNOWN: N_("This kind of registration is not offered here."),
    ErrorCode.USER_EXISTS: N_("An account with this email exists already. Sign in instead."),
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: N_("Your account is being created; wait a moment."),
    ErrorCode.IDEMPOTENCY_MISMATCH: N_("This was already submitted with other values."),
    ErrorCode.INVALID_TOKEN: N_("Your sign-in has ended. Please sign in again."),
    ErrorCode.NOT_A_MEMBER: N_("Your account is not a member of this organization."),
    ErrorCode.ORG_NOT_FOUND: N_("No such organization."),
    ErrorCode.ORG_CODE_EXHAUSTED: N_("We could not draw a new join code. Please try again."),
    ErrorCode.ORG_SLUG_EXISTS: N_(
        "We could not give this organization an address; add a word to its name."
    ),
    ErrorCode.MEMBER_NOT_FOUND: N_("No such member in this organization."),
    ErrorCode.MEMBERSHIP_NOT_PENDING: N_("This request to join was already decided."),
    ErrorCode.UPLOAD_NOT_FOUND: N_("This upload is gone; upload the file again."),
    ErrorCode.MESSAGE_NOT_FOUND: N_("No such message."),
    ErrorCode.INVITATION_NOT_REVOCABLE: N_("This invitation was used or has expired already."),
}

ROLE_WORDS = {
    "owner": N_("administrator"),
    "admin": N_("administrator"),
    "sub_admin": N_("sub-administrator"),
    "teacher": N_("teacher"),
    "student": N_("student"),
    "member": N_("member"),
}


ROLE_PHRASES = {
    "owner": N_("an administrator"),
    "admin": N_("an administrator"),
    "sub_admin": N_("a sub-administrator"),
    "teacher": N_("a teacher"),
    "student": N_("a student"),
    "member": N_("a member"),
}
STATUS_WORDS = (N_("Pending"), N_("Active"), N_("Rejected"), N_("Accepted"), N_("Expired"))


def role_words(role: str) -> str:
    """A membership role as people say it (English: templates translate it)."""
    return ROLE_WORDS.get(role, role.replace("_", " "))


def role_phrase(role: str) -> str:
    """ "a teacher", "an administrator" (English: templates translate it)."""
    return ROLE_PHRASES.get(role, role.replace("_", " "))


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
        return gettext(_BY_FIELD[(code, field)])
    if code == ErrorCode.REQUIRED:
        return gettext("%(label)s is required.", label=label) if label else say(code)
    if code in GENERIC or code not in _BY_CODE:
        return gettext("%(label)s: %(problem)s", label=label, problem=say(code, fallback=fallback))
    return say(code, fallback=fallback)


def say(code: ErrorCode, field: str | None = None, fallback: str | None = None) -> str:
    """The sentence for ``code`` (on ``field``) in the request's language, or ``fallback``
    (the service's own English message), or a general one."""
    if field is not None and (code, field) in _BY_FIELD:
        return gettext(_BY_FIELD[(code, field)])
    known = _BY_CODE.get(code)
    if known is not None:
        return gettext(known)
    return fallback or gettext("This value is not valid.")
