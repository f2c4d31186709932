"""The one error tree of regflow. Every class carries a stable ``code``.

No HTTP lives here: the HTTP edge (``regflow.api.problems``) maps codes to
statuses and RFC 9457 problem details in one table, and each seed contract maps
them to its own documented shape. The same codes name UI messages and funnel
"step failed" events.

    RegflowError
    ├── ValidationFailed            VALIDATION_ERROR (carries FieldProblem list)
    │   └── FieldProblem            one field's problem (code per field)
    ├── NotFound                    REGISTRATION_NOT_FOUND, VERIFICATION_NOT_FOUND, ...
    ├── Gone                        REGISTRATION_EXPIRED
    ├── Conflict                    STEP_ORDER, VERIFICATION_REQUIRED, ALREADY_COMPLETED,
    │                               IDEMPOTENCY_IN_PROGRESS, USERNAME_TAKEN, INVITATION_USED,
    │                               ALREADY_MEMBER, CONFLICT
    ├── VerificationFailed          INVALID_CODE, CODE_EXPIRED, ATTEMPTS_EXCEEDED
    ├── TooSoon                     RESEND_TOO_SOON, RATE_LIMITED (retry_after seconds)
    ├── IdempotencyMismatch         IDEMPOTENCY_MISMATCH
    ├── AuthenticationFailed        INVALID_CREDENTIALS, EMAIL_NOT_VERIFIED, INVALID_TOKEN
    ├── Forbidden                   FORBIDDEN, INVITATION_EMAIL_MISMATCH
    ├── PayloadTooLarge             PAYLOAD_TOO_LARGE
    ├── UnsupportedMediaType        UNSUPPORTED_MEDIA_TYPE
    └── Unavailable                 OVERLOADED, DATABASE_UNAVAILABLE (retry_after seconds)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum, unique


@unique
class ErrorCode(StrEnum):
    """Every stable code regflow answers with: the one catalogue.

    Raise sites name a member (``Conflict(..., code=ErrorCode.USERNAME_TAKEN)``);
    the HTTP edge (``api.problems.STATUS``), the hosted UI (``ui.words``) and each
    seed contract's mapper (``MESSAGES`` plus its documented ``FALLBACK``) cover
    every member, which ``tests/unit/test_error_catalogue.py`` checks. A new code is
    added here first; that test then names each front end that must say something
    about it.
    """

    # the request as a whole
    ERROR = "ERROR"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INVALID_FIELD = "INVALID_FIELD"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    HTTP_ERROR = "HTTP_ERROR"
    CLIENT_DISCONNECTED = "CLIENT_DISCONNECTED"
    CSRF_FAILED = "CSRF_FAILED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    OVERLOADED = "OVERLOADED"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    # registrations and their steps
    REGISTRATION_NOT_FOUND = "REGISTRATION_NOT_FOUND"
    REGISTRATION_EXPIRED = "REGISTRATION_EXPIRED"
    STEP_NOT_FOUND = "STEP_NOT_FOUND"
    STEP_ORDER = "STEP_ORDER"
    FLOW_UNKNOWN = "FLOW_UNKNOWN"
    ALREADY_COMPLETED = "ALREADY_COMPLETED"
    USER_EXISTS = "USER_EXISTS"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_MISMATCH"
    # verification codes and links
    VERIFICATION_NOT_FOUND = "VERIFICATION_NOT_FOUND"
    VERIFICATION_REQUIRED = "VERIFICATION_REQUIRED"
    INVALID_CODE = "INVALID_CODE"
    CODE_EXPIRED = "CODE_EXPIRED"
    ATTEMPTS_EXCEEDED = "ATTEMPTS_EXCEEDED"
    RESEND_TOO_SOON = "RESEND_TOO_SOON"
    # sessions and tokens
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - a code, not a secret
    NOT_A_MEMBER = "NOT_A_MEMBER"
    # organizations, memberships and invitations
    ORG_NOT_FOUND = "ORG_NOT_FOUND"
    ORG_CODE_INVALID = "ORG_CODE_INVALID"
    ORG_CODE_EXHAUSTED = "ORG_CODE_EXHAUSTED"
    ORG_INVITE_ONLY = "ORG_INVITE_ONLY"
    ORG_SLUG_EXISTS = "ORG_SLUG_EXISTS"
    MEMBER_NOT_FOUND = "MEMBER_NOT_FOUND"
    MEMBERSHIP_NOT_PENDING = "MEMBERSHIP_NOT_PENDING"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    INVITATION_NOT_FOUND = "INVITATION_NOT_FOUND"
    INVITATION_USED = "INVITATION_USED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVITATION_INVALID = "INVITATION_INVALID"
    INVITATION_EMAIL_MISMATCH = "INVITATION_EMAIL_MISMATCH"
    INVITATION_NOT_REVOCABLE = "INVITATION_NOT_REVOCABLE"
    UPLOAD_NOT_FOUND = "UPLOAD_NOT_FOUND"
    MESSAGE_NOT_FOUND = "MESSAGE_NOT_FOUND"
    # one field (FieldProblem), answered inside VALIDATION_ERROR
    REQUIRED = "REQUIRED"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    TOO_LONG = "TOO_LONG"
    TOO_SHORT = "TOO_SHORT"
    INVALID_TYPE = "INVALID_TYPE"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_CHOICE = "INVALID_CHOICE"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    TOO_DEEP = "TOO_DEEP"
    MALFORMED_JSON = "MALFORMED_JSON"
    MALFORMED_MULTIPART = "MALFORMED_MULTIPART"
    MULTIPART_REQUIRED = "MULTIPART_REQUIRED"
    TOO_MANY_PARTS = "TOO_MANY_PARTS"
    INVALID_EMAIL = "INVALID_EMAIL"
    NAME_INVALID = "NAME_INVALID"
    USERNAME_INVALID = "USERNAME_INVALID"
    USERNAME_RESERVED = "USERNAME_RESERVED"
    USERNAME_TAKEN = "USERNAME_TAKEN"
    PHONE_INVALID = "PHONE_INVALID"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"  # noqa: S105 - a code, not a secret
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"  # noqa: S105 - a code, not a secret
    PASSWORD_COMMON = "PASSWORD_COMMON"  # noqa: S105 - a code, not a secret
    PASSWORD_CONTEXT = "PASSWORD_CONTEXT"  # noqa: S105 - a code, not a secret
    PASSWORD_WEAK = "PASSWORD_WEAK"  # noqa: S105 - a code, not a secret
    PASSWORD_INVALID = "PASSWORD_INVALID"  # noqa: S105 - a code, not a secret
    PASSWORD_MISMATCH = "PASSWORD_MISMATCH"  # noqa: S105 - a code, not a secret
    ORG_NAME_INVALID = "ORG_NAME_INVALID"
    RESERVED_SLUG = "RESERVED_SLUG"
    COUNTRY_INVALID = "COUNTRY_INVALID"
    STATE_INVALID = "STATE_INVALID"
    CITY_INVALID = "CITY_INVALID"
    CURRENT_INSTITUTION_INVALID = "CURRENT_INSTITUTION_INVALID"
    ACADEMIC_LEVEL_INVALID = "ACADEMIC_LEVEL_INVALID"
    BATCH_INVALID = "BATCH_INVALID"
    POSTAL_CODE_INVALID = "POSTAL_CODE_INVALID"
    TIMEZONE_INVALID = "TIMEZONE_INVALID"
    DEPARTMENT_INVALID = "DEPARTMENT_INVALID"
    DATE_OF_BIRTH_INVALID = "DATE_OF_BIRTH_INVALID"
    LOGO_INVALID = "LOGO_INVALID"
    IMAGE_INVALID = "IMAGE_INVALID"
    IMAGE_TYPE_UNSUPPORTED = "IMAGE_TYPE_UNSUPPORTED"
    IMAGE_DIMENSIONS_TOO_LARGE = "IMAGE_DIMENSIONS_TOO_LARGE"


class RegflowError(Exception):
    """Base of every error regflow raises on purpose."""

    code: ErrorCode = ErrorCode.ERROR
    default_message: str = "Something went wrong."

    def __init__(self, message: str | None = None, *, code: ErrorCode | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message or self.default_message
        super().__init__(self.message)


class FieldProblem(RegflowError):
    """One field's problem: ``field`` is the input name, ``code`` a stable code."""

    code = ErrorCode.INVALID_FIELD

    def __init__(self, field: str, code: ErrorCode, message: str) -> None:
        super().__init__(message, code=code)
        self.field = field


class ValidationFailed(RegflowError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = "The request has invalid fields."

    def __init__(self, problems: Iterable[FieldProblem], message: str | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def single(cls, field: str, code: ErrorCode, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, code, message)])


class NotFound(RegflowError):
    code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class Gone(RegflowError):
    code = ErrorCode.REGISTRATION_EXPIRED
    default_message = "This registration has expired; please start again."


class Conflict(RegflowError):
    code = ErrorCode.CONFLICT
    default_message = "The request conflicts with the current state."


class VerificationFailed(RegflowError):
    code = ErrorCode.INVALID_CODE
    default_message = "The code is not valid."


class TooSoon(RegflowError):
    code = ErrorCode.RATE_LIMITED
    default_message = "Too many requests; try again later."

    def __init__(
        self, message: str | None = None, *, code: ErrorCode | None = None, retry_after: int = 1
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class IdempotencyMismatch(RegflowError):
    code = ErrorCode.IDEMPOTENCY_MISMATCH
    default_message = "This Idempotency-Key was used with a different request."


class AuthenticationFailed(RegflowError):
    code = ErrorCode.INVALID_CREDENTIALS
    default_message = "The email or password is not correct."


class Forbidden(RegflowError):
    code = ErrorCode.FORBIDDEN
    default_message = "You are not allowed to do this."


class PayloadTooLarge(RegflowError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_message = "The request body is too large."


class UnsupportedMediaType(RegflowError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    default_message = "Send the body as application/json."


class Unavailable(RegflowError):
    code = ErrorCode.OVERLOADED
    default_message = "The service is busy; try again shortly."

    def __init__(
        self, message: str | None = None, *, code: ErrorCode | None = None, retry_after: int = 1
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class Overloaded(Unavailable):
    """The password hashing pool is saturated."""

    code = ErrorCode.OVERLOADED


class UniqueViolation(Conflict):
    """A uniqueness rule refused a write; ``field`` names the unique key."""

    code = ErrorCode.CONFLICT

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is already taken.")
        self.field = field


class ConcurrentUpdate(Conflict):
    """Another request changed the same record first; the caller may retry."""

    code = ErrorCode.CONFLICT
    default_message = "The registration was changed by another request; please retry."
