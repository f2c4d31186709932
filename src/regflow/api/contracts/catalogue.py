"""What each seed contract's error mapper covers, code by code.

Every ``ErrorCode`` is either in a contract's ``MESSAGES`` (its own status and
words) or in its ``FALLBACK``: answered in the contract's shape with the
native status (``problems.status_for``) and the service's message. Three groups
are shared by every contract:

- ``FIELD_CODES``: a field's code, answered in the contract's validation shape;
- ``EDGE_CODES``: answered before a contract's route runs (routing, body
  limits, the database being down), never by its mapper;
- ``NATIVE_ONLY``: raised only by native routes (organization admin, outbox
  admin, logo reads), which no contract calls.

``tests/unit/test_error_catalogue.py`` fails when a new code is in neither
table of a contract, so each contract decides what its clients read.
"""

from __future__ import annotations

from collections.abc import Iterable

from regflow.api import problems
from regflow.errors import ErrorCode

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
        E.INVITATION_NOT_REVOCABLE,
    }
)
SHARED = FIELD_CODES | EDGE_CODES | NATIVE_ONLY


def fallback(*codes: ErrorCode) -> frozenset[ErrorCode]:
    """A contract's FALLBACK: the shared groups plus ``codes``."""
    return SHARED | frozenset(codes)


def uncovered(messages: Iterable[ErrorCode], fallback: Iterable[ErrorCode]) -> set[ErrorCode]:
    """The codes a contract's mapper has no word on."""
    return set(ErrorCode) - set(messages) - set(fallback)
