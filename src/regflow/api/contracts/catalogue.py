"""What each seed contract's error mapper covers, code by code.

Every ``ErrorCode`` is either in a contract's ``MESSAGES`` (its own status and
words) or in its ``FALLBACK``: answered in the contract's shape with the
native status (``problems.status_for``) and the service's message. Four groups
are shared by every contract:

- ``FIELD_CODES``: a field's code, answered in the contract's validation shape;
- ``EDGE_CODES``: answered before a contract's route runs (routing, body
  limits, the database being down), never by its mapper;
- ``NATIVE_ONLY``: raised only by native routes (organization admin, outbox
  admin, logo reads, the account's own routes), which no contract calls;
- ``NATIVE_WORDS``: codes no seed documents, answered by every contract with the
  native status and the service's message (a contract that gets words of its
  own for one names it in its ``MESSAGES``, which win).

:func:`words` and :func:`retry_headers` are the mappers' shared steps.

``tests/unit/test_error_catalogue.py`` fails when a new code is in neither
table of a contract, so each contract decides what its clients read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from regflow.api import problems
from regflow.errors import ErrorCode, RegflowError, TooSoon, Unavailable

E = ErrorCode
FIELD_CODES = problems.FIELD_CODES
EDGE_CODES = frozenset(
    {
        E.METHOD_NOT_ALLOWED,
        E.UNSUPPORTED_MEDIA_TYPE,
        E.HTTP_ERROR,
        E.CLIENT_DISCONNECTED,
        E.CSRF_FAILED,
        E.DATABASE_UNAVAILABLE,
    }
)
NATIVE_ONLY = frozenset(
    {
        E.MEMBER_NOT_FOUND,
        E.MEMBERSHIP_NOT_PENDING,
        E.MESSAGE_NOT_FOUND,
        E.UPLOAD_NOT_FOUND,
        # the account's own routes (/v1/account...) and the login's second step; of the
        # contracts only seed 003's login meets the MFA codes, and its MESSAGES name them
        E.MFA_REQUIRED,
        E.MFA_ENROLMENT_REQUIRED,
        E.MFA_TOKEN_INVALID,
        E.MFA_TOKEN_EXPIRED,
        E.MFA_ALREADY_ENABLED,
        E.MFA_NOT_STARTED,
        E.OWNER_MUST_TRANSFER,
        E.EMAIL_TAKEN,
        E.INVITATION_NOT_REVOCABLE,
    }
)
NATIVE_WORDS = frozenset(
    {
        E.ALREADY_MEMBER,
        E.CONFLICT,
        E.ERROR,
        E.FLOW_UNKNOWN,
        E.FORBIDDEN,
        E.IDEMPOTENCY_IN_PROGRESS,
        E.IDEMPOTENCY_MISMATCH,
        E.INVALID_FIELD,
        E.INVALID_TOKEN,
        E.INVITATION_EMAIL_MISMATCH,
        E.INVITATION_EXPIRED,
        E.INVITATION_INVALID,
        E.INVITATION_NOT_FOUND,
        E.INVITATION_USED,
        E.LOGO_INVALID,
        E.NOT_A_MEMBER,
        E.NOT_FOUND,
        E.ORG_CODE_EXHAUSTED,
        E.ORG_CODE_INVALID,
        E.ORG_INVITE_ONLY,
        E.ORG_NOT_FOUND,
        E.PAYLOAD_TOO_LARGE,
        E.STEP_NOT_FOUND,
        E.USERNAME_TAKEN,
        E.VALIDATION_ERROR,
    }
)
SHARED = FIELD_CODES | EDGE_CODES | NATIVE_ONLY | NATIVE_WORDS


def fallback(*codes: ErrorCode) -> frozenset[ErrorCode]:
    """A contract's FALLBACK: the shared groups plus ``codes``."""
    return SHARED | frozenset(codes)


def words(error: RegflowError, messages: Mapping[ErrorCode, tuple[int, str]]) -> tuple[int, str]:
    """The contract's own status and message for ``error``, or (its FALLBACK) the native
    status and the service's message."""
    return messages.get(error.code, (problems.status_for(error), error.message))


def retry_headers(error: RegflowError) -> dict[str, str] | None:
    """``Retry-After`` for a refusal that says when to come back (a limit, an overload)."""
    if isinstance(error, TooSoon | Unavailable):
        return {"Retry-After": str(error.retry_after)}
    return None


def uncovered(messages: Iterable[ErrorCode], fallback: Iterable[ErrorCode]) -> set[ErrorCode]:
    """The codes a contract's mapper has no word on."""
    return set(ErrorCode) - set(messages) - set(fallback)
