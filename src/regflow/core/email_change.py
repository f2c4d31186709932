"""Changing an account's email address, as pure functions over plain data.

The new address must prove itself: a 6-digit code goes there (stored as an
HMAC bound to the change and the address; attempts counted in SQL, capped).
Once confirmed, the old address gets a notice with a link that undoes the
change for a week (the link token stored as SHA-256): whoever took over the
account cannot also take the address away for good. The old address is kept
only as long as that link works.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from regflow.core import cryptokit
from regflow.errors import ErrorCode, VerificationFailed

CODE_DIGITS = 6


@dataclass(frozen=True)
class EmailChangePolicy:
    ttl: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    undo_ttl: timedelta = timedelta(days=7)


@dataclass
class EmailChange:
    """One account's change of address: pending (a code out), then confirmed (undo open)."""

    id: str
    account_id: str
    new_email: str
    code_hmac: str
    created_at: datetime
    expires_at: datetime
    resend_available_at: datetime
    attempts: int = 0
    consumed_at: datetime | None = None
    old_email: str | None = None
    undo_hash: str | None = None
    undo_expires_at: datetime | None = None


@dataclass(frozen=True)
class EmailChanged:
    account_id: str
    email: str
    changed_at: datetime


def _digest(secret: bytes, change_id: str, address: str, code: str) -> str:
    return cryptokit.hmac_hex(secret, "email-change", change_id, address, code)


def start(
    secret: bytes, account_id: str, new_email: str, now: datetime, policy: EmailChangePolicy
) -> tuple[EmailChange, str]:
    code = cryptokit.new_numeric_code(CODE_DIGITS)
    change_id = str(uuid.uuid4())
    change = EmailChange(
        id=change_id,
        account_id=account_id,
        new_email=new_email,
        code_hmac=_digest(secret, change_id, new_email, code),
        created_at=now,
        expires_at=now + policy.ttl,
        resend_available_at=now + policy.cooldown,
    )
    return change, code


def check_usable(change: EmailChange, now: datetime, policy: EmailChangePolicy) -> None:
    if change.consumed_at is not None:
        raise VerificationFailed("This code was already used.", code=ErrorCode.INVALID_CODE)
    if change.attempts >= policy.max_attempts:
        raise VerificationFailed(
            "Too many wrong codes; start again.", code=ErrorCode.ATTEMPTS_EXCEEDED
        )
    if now >= change.expires_at:
        raise VerificationFailed("The code has expired; start again.", code=ErrorCode.CODE_EXPIRED)


def code_matches(change: EmailChange, code: str, secret: bytes) -> bool:
    well_formed = len(code) == CODE_DIGITS and code.isascii() and code.isdigit()
    candidate = _digest(secret, change.id, change.new_email, code if well_formed else "-")
    return cryptokit.equal(candidate, change.code_hmac) and well_formed
