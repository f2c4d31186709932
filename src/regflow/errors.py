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


class RegflowError(Exception):
    """Base of every error regflow raises on purpose."""

    code: str = "ERROR"
    default_message: str = "Something went wrong."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message or self.default_message
        super().__init__(self.message)


class FieldProblem(RegflowError):
    """One field's problem: ``field`` is the input name, ``code`` a stable code."""

    code = "INVALID_FIELD"

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.field = field


class ValidationFailed(RegflowError):
    code = "VALIDATION_ERROR"
    default_message = "The request has invalid fields."

    def __init__(self, problems: Iterable[FieldProblem], message: str | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def single(cls, field: str, code: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, code, message)])


class NotFound(RegflowError):
    code = "NOT_FOUND"
    default_message = "Not found."


class Gone(RegflowError):
    code = "REGISTRATION_EXPIRED"
    default_message = "This registration has expired; please start again."


class Conflict(RegflowError):
    code = "CONFLICT"
    default_message = "The request conflicts with the current state."


class VerificationFailed(RegflowError):
    code = "INVALID_CODE"
    default_message = "The code is not valid."


class TooSoon(RegflowError):
    code = "RATE_LIMITED"
    default_message = "Too many requests; try again later."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, retry_after: int = 1
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class IdempotencyMismatch(RegflowError):
    code = "IDEMPOTENCY_MISMATCH"
    default_message = "This Idempotency-Key was used with a different request."


class AuthenticationFailed(RegflowError):
    code = "INVALID_CREDENTIALS"
    default_message = "The email or password is not correct."


class Forbidden(RegflowError):
    code = "FORBIDDEN"
    default_message = "You are not allowed to do this."


class PayloadTooLarge(RegflowError):
    code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class UnsupportedMediaType(RegflowError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Send the body as application/json."


class Unavailable(RegflowError):
    code = "OVERLOADED"
    default_message = "The service is busy; try again shortly."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, retry_after: int = 1
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class Overloaded(Unavailable):
    """The password hashing pool is saturated."""

    code = "OVERLOADED"


class UniqueViolation(Conflict):
    """A uniqueness rule refused a write; ``field`` names the unique key."""

    code = "CONFLICT"

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is already taken.")
        self.field = field


class ConcurrentUpdate(Conflict):
    """Another request changed the same record first; the caller may retry."""

    code = "CONFLICT"
    default_message = "The registration was changed by another request; please retry."
