"""Password reset challenges, as pure functions over plain data.

One challenge per email address, known or not: the address is stored only as
an HMAC (``email_key``), so a row for an address without an account looks
like any other and asking for a reset does the same work either way. A
challenge carries a 6-digit code (for typing) and a link token (for the mail's
button); both are stored only as HMAC / SHA-256. The code is guessable, so
its wrong attempts are counted (in SQL, before the comparison) and capped; the
link token carries 256 bits and is not capped, so someone who only knows the
address cannot lock the owner out of the link by burning the code's attempts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from regflow.core import cryptokit
from regflow.errors import ErrorCode, VerificationFailed

CODE_DIGITS = 6


@dataclass(frozen=True)
class ResetPolicy:
    ttl: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(seconds=60)
    max_attempts: int = 5


@dataclass
class PasswordReset:
    """The current reset challenge of one address; ``account_id`` is None for no account."""

    id: str
    email_key: str
    account_id: str | None
    code_hmac: str
    link_hash: str
    created_at: datetime
    expires_at: datetime
    resend_available_at: datetime
    attempts: int = 0
    consumed_at: datetime | None = None


@dataclass(frozen=True)
class IssuedReset:
    """A fresh challenge and the secrets to mail (never stored)."""

    reset: PasswordReset
    code: str
    link_token: str


@dataclass(frozen=True)
class PasswordChanged:
    """What a successful reset did: the account whose password changed, and when."""

    account_id: str
    email: str
    changed_at: datetime


def email_key(secret: bytes, address: str) -> str:
    """The stored name of an address: an HMAC, so the table lists no mail address."""
    return cryptokit.hmac_hex(secret, "reset-email", address)


def _code_digest(secret: bytes, challenge_id: str, code: str) -> str:
    return cryptokit.hmac_hex(secret, "reset-code", challenge_id, code)


def link_digest(secret: bytes, token: str) -> str:
    return cryptokit.hmac_hex(secret, "reset-link", token)


def due(current: PasswordReset | None, now: datetime) -> bool:
    """Whether a request should send a new code (none yet, or past the resend cooldown)."""
    return current is None or current.consumed_at is not None or now >= current.resend_available_at


def issue(
    *,
    secret: bytes,
    key: str,
    account_id: str | None,
    now: datetime,
    policy: ResetPolicy,
    current: PasswordReset | None = None,
) -> IssuedReset:
    """A new code and link for ``key``, replacing ``current``.

    A live, unexhausted challenge keeps its failure count (asking again buys no
    guesses); a used, expired or exhausted one starts over, bounded by the
    daily cap on wrong codes per address.
    """
    code = cryptokit.new_numeric_code(CODE_DIGITS)
    token = cryptokit.new_token()
    challenge_id = current.id if current is not None else str(uuid.uuid4())
    carried = 0
    if (
        current is not None
        and current.consumed_at is None
        and now < current.expires_at
        and current.attempts < policy.max_attempts
    ):
        carried = current.attempts
    reset = PasswordReset(
        id=challenge_id,
        email_key=key,
        account_id=account_id,
        code_hmac=_code_digest(secret, challenge_id, code),
        link_hash=link_digest(secret, token),
        created_at=now,
        expires_at=now + policy.ttl,
        resend_available_at=now + policy.cooldown,
        attempts=carried,
    )
    return IssuedReset(reset, code, token)


def check_code_usable(reset: PasswordReset, now: datetime, policy: ResetPolicy) -> None:
    """Refuse a used, exhausted or expired challenge before an attempt is counted."""
    check_link_usable(reset, now)
    if reset.attempts >= policy.max_attempts:
        raise VerificationFailed(
            "Too many wrong codes; ask for a new one.", code=ErrorCode.ATTEMPTS_EXCEEDED
        )


def check_link_usable(reset: PasswordReset, now: datetime) -> None:
    if reset.consumed_at is not None:
        raise VerificationFailed("This code was already used.", code=ErrorCode.INVALID_CODE)
    if now >= reset.expires_at:
        raise VerificationFailed(
            "The code has expired; ask for a new one.", code=ErrorCode.CODE_EXPIRED
        )


def code_matches(reset: PasswordReset, code: str, secret: bytes) -> bool:
    """Constant-time check of a well-formed ``code`` against the stored HMAC."""
    well_formed = len(code) == CODE_DIGITS and code.isascii() and code.isdigit()
    candidate = _code_digest(secret, reset.id, code if well_formed else "-")
    return cryptokit.equal(candidate, reset.code_hmac) and well_formed
