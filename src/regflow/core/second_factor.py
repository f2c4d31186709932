"""TOTP (RFC 6238) second factor and recovery codes, as pure functions over plain data.

The TOTP secret must be read back to check a code, so it cannot be hashed: it
is sealed (AES-GCM, key derived from the server secret, bound to the account)
and opened only to compare. A code is accepted for the current 30-second step
and one step either side (clock drift); the step it matched is recorded and a
step at or before the last one used is refused, so a code cannot be replayed.
Recovery codes are 10 random base-32 characters (50 bits), shown once, stored
as HMACs, each usable once.

A login that needs the second factor gets an ``mfa_token`` instead of access
tokens: a random bearer secret stored as its SHA-256, short-lived, bound to
the account and the organization asked for, with its wrong attempts counted
in SQL and capped like verification codes.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
import segno

from regflow.core import cryptokit
from regflow.errors import ErrorCode

ISSUER = "regflow"
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class ChallengePurpose(enum.StrEnum):
    VERIFY = "verify"  # enrolled: type a code
    ENROL = "enrol"  # not enrolled, but the organization asks for it: enrol first


@dataclass(frozen=True)
class SecondFactorPolicy:
    challenge_ttl: timedelta = timedelta(minutes=5)
    # a set-up never confirmed is deleted by the sweep after this (enrolling again draws a
    # new secret)
    enrolment_ttl: timedelta = timedelta(days=1)
    max_attempts: int = 5
    issuer: str = ISSUER


@dataclass
class TotpCredential:
    account_id: str
    sealed_secret: str
    created_at: datetime
    confirmed_at: datetime | None = None
    last_step: int | None = None


@dataclass
class MfaChallenge:
    id: str
    token_hash: str
    account_id: str
    purpose: ChallengePurpose
    organization_id: str | None
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    consumed_at: datetime | None = None


@dataclass(frozen=True)
class TotpEnrolment:
    """What a person needs to add the account to an authenticator app (shown once)."""

    secret: str
    otpauth_uri: str
    qr_svg: str


def requires_second_factor(settings: Mapping[str, Any]) -> bool:
    """Whether an organization's settings ask every member for a second factor."""
    return settings.get("two_factor") is True


def is_enrolled(credential: TotpCredential | None) -> bool:
    """Whether the account has a confirmed TOTP credential (a set-up not yet confirmed
    does not count)."""
    return credential is not None and credential.confirmed_at is not None


# -- TOTP --------------------------------------------------------------------------------------


def new_secret() -> str:
    """160 random bits, base-32 (what authenticator apps expect)."""
    return pyotp.random_base32()


def _key(server_secret: bytes) -> bytes:
    return bytes.fromhex(cryptokit.hmac_hex(server_secret, "totp-seal"))


def seal(server_secret: bytes, account_id: str, secret: str) -> str:
    return cryptokit.seal(_key(server_secret), secret, associated=account_id)


def unseal(server_secret: bytes, account_id: str, sealed: str) -> str:
    return cryptokit.unseal(_key(server_secret), sealed, associated=account_id)


def enrolment(secret: str, account_name: str, issuer: str = ISSUER) -> TotpEnrolment:
    uri = pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(name=account_name, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=svg)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` is valid for (now, or one step either side), else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS)
    current = totp.timecode(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if cryptokit.equal(totp.generate_otp(step), code):  # every step compared: no early exit
            found = step
    return found


# -- recovery codes ----------------------------------------------------------------------------


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """``count`` codes like ``k7pq3-x9mfd``: 10 characters from a 31-letter alphabet."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalize_recovery_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())[:32]


def recovery_digest(server_secret: bytes, account_id: str, code: str) -> str:
    return cryptokit.hmac_hex(server_secret, "recovery", account_id, normalize_recovery_code(code))


# -- the login's second step -------------------------------------------------------------------


def new_challenge(
    account_id: str,
    purpose: ChallengePurpose,
    organization_id: str | None,
    now: datetime,
    policy: SecondFactorPolicy,
) -> tuple[MfaChallenge, str]:
    """A challenge and its ``mfa_token`` (the token is never stored)."""
    token = cryptokit.new_token()
    challenge = MfaChallenge(
        id=str(uuid.uuid4()),
        token_hash=cryptokit.sha256_hex(token),
        account_id=account_id,
        purpose=purpose,
        organization_id=organization_id,
        created_at=now,
        expires_at=now + policy.challenge_ttl,
    )
    return challenge, token


def challenge_usable(
    challenge: MfaChallenge | None, now: datetime, policy: SecondFactorPolicy
) -> ErrorCode | None:
    """None when usable, else the error code to answer with."""
    if challenge is None or challenge.consumed_at is not None:
        return ErrorCode.MFA_TOKEN_INVALID
    if now >= challenge.expires_at:
        return ErrorCode.MFA_TOKEN_EXPIRED
    if challenge.attempts >= policy.max_attempts:
        return ErrorCode.ATTEMPTS_EXCEEDED
    return None
