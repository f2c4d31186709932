"""Verification codes and links, as pure functions over plain data.

A code is 6 digits from ``secrets``; only its HMAC (keyed with the server
secret and bound to the registration, channel and target) is stored, so a code
sent to one address cannot confirm another. Every attempt is counted by the
repository in SQL, atomically and before anything is answered (a right code is
used by the statement that counts it); this module only decides.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from regflow.core import cryptokit
from regflow.core.model import Channel, Verification
from regflow.errors import ErrorCode, TooSoon, VerificationFailed

CODE_DIGITS = 6


@dataclass(frozen=True)
class VerificationPolicy:
    ttl: timedelta = timedelta(minutes=10)
    cooldown: timedelta = timedelta(seconds=60)
    max_attempts: int = 5


@dataclass(frozen=True)
class Issued:
    """A fresh challenge: the stored record plus the secrets to deliver (never stored)."""

    verification: Verification
    code: str
    link_token: str


def _digest(secret: bytes, registration_id: str, channel: Channel, target: str, code: str) -> str:
    return cryptokit.hmac_hex(secret, "code", registration_id, channel.value, target, code)


def issue(
    *,
    secret: bytes,
    registration_id: str,
    channel: Channel,
    target: str,
    now: datetime,
    policy: VerificationPolicy,
    attempts: int = 0,
) -> Issued:
    """A new challenge for ``target``; ``attempts`` carries the failure count over."""
    code = cryptokit.new_numeric_code(CODE_DIGITS)
    link_token = cryptokit.new_token()
    verification = Verification(
        id=cryptokit.new_uuid(),
        registration_id=registration_id,
        channel=channel,
        target=target,
        code_hmac=_digest(secret, registration_id, channel, target, code),
        link_hash=cryptokit.sha256_hex(link_token),
        created_at=now,
        expires_at=now + policy.ttl,
        resend_available_at=now + policy.cooldown,
        attempts=attempts,
    )
    return Issued(verification, code, link_token)


class SendAction(enum.Enum):
    """What a request for a code does (see :func:`decide_send`)."""

    REUSE = "reuse"  # the code sent moments ago, to the same address, stays valid
    REISSUE = "reissue"  # replace the code (a resend; cooldown and attempts checked)
    ISSUE = "issue"  # a first code, or one for a new address


def decide_send(
    current: Verification | None, target: str, now: datetime, *, resend: bool
) -> SendAction:
    """The one cooldown decision: reuse the unconsumed code for ``target`` while it is in
    its cooldown (unless the client asked to resend), replace it otherwise, or issue a
    fresh one when there is none for that address."""
    if current is None or current.target != target or current.consumed_at is not None:
        return SendAction.ISSUE
    if not resend and now < current.resend_available_at:
        return SendAction.REUSE
    return SendAction.REISSUE


def reissue(
    current: Verification, *, secret: bytes, now: datetime, policy: VerificationPolicy
) -> Issued:
    """Replace the code of ``current`` (resend): same target, failure count kept."""
    if current.attempts >= policy.max_attempts:
        raise VerificationFailed(
            "Too many wrong codes for this address; please start again.",
            code=ErrorCode.ATTEMPTS_EXCEEDED,
        )
    if now < current.resend_available_at:
        wait = int((current.resend_available_at - now).total_seconds()) + 1
        raise TooSoon(
            "Please wait before asking for another code.",
            code=ErrorCode.RESEND_TOO_SOON,
            retry_after=wait,
        )
    fresh = issue(
        secret=secret,
        registration_id=current.registration_id,
        channel=current.channel,
        target=current.target,
        now=now,
        policy=policy,
        attempts=current.attempts,
    )
    record = replace(fresh.verification, id=current.id, sends=current.sends + 1)
    return Issued(record, fresh.code, fresh.link_token)


def check_usable(verification: Verification, now: datetime, policy: VerificationPolicy) -> None:
    """Refuse a used, exhausted or expired challenge before any attempt is counted."""
    if verification.consumed_at is not None:
        raise VerificationFailed("This code was already used.", code=ErrorCode.INVALID_CODE)
    if verification.attempts >= policy.max_attempts:
        raise VerificationFailed(
            "Too many wrong codes for this address; please start again.",
            code=ErrorCode.ATTEMPTS_EXCEEDED,
        )
    if now >= verification.expires_at:
        raise VerificationFailed(
            "The code has expired; ask for a new one.", code=ErrorCode.CODE_EXPIRED
        )


def code_matches(verification: Verification, code: str, secret: bytes) -> bool:
    """Constant-time check of ``code`` against the stored HMAC."""
    candidate = _digest(
        secret, verification.registration_id, verification.channel, verification.target, code
    )
    return cryptokit.equal(candidate, verification.code_hmac)


def is_well_formed(code: str) -> bool:
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()
