"""Access tokens: short-lived JWTs signed with the key ring's active key.

Verification trusts nothing in the token before the signature is checked: the
unverified header is read only to pick a published key by ``kid``, and the
algorithm is pinned to that key's own (EdDSA, ES256 or RS256). Header-supplied keys
(``jku``, ``jwk``, ``x5u``, ``x5c``), ``none``, HMAC and any algorithm other
than the key's are refused, and so is a token missing ``exp``, ``iat``,
``sub``, ``iss`` or ``aud``. Time claims are checked against the injected
clock. Every refusal is ``AuthenticationFailed`` with code ``INVALID_TOKEN``.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt.algorithms import Algorithm
from jwt.utils import base64url_encode
from pydantic import ValidationError

from regflow.core.claims import AccessClaims
from regflow.errors import AuthenticationFailed, ErrorCode
from regflow.keys.keyring import KeyRing
from regflow.keys.signing import ALGORITHMS, PrivateKey, algorithm_of

LEEWAY_SECONDS = 5
"""Tolerated clock skew between servers, for ``exp``, ``nbf`` and ``iat``."""

MAX_TOKEN_LENGTH = 8192
"""Longer strings are refused before any parsing."""

FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
"""Header parameters that would let the token name its own verification key."""

REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _refused(message: str = "The access token is not valid.") -> AuthenticationFailed:
    return AuthenticationFailed(message, code=ErrorCode.INVALID_TOKEN)


class TokenService:
    """Issues and verifies access tokens for one issuer and audience."""

    def __init__(
        self,
        keyring: KeyRing,
        issuer: str,
        audience: str,
        ttl_seconds: int = 900,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if not issuer or not audience:
            raise ValueError("issuer and audience are required")
        self._keyring = keyring
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._clock = clock
        self._signer: _Signer | None = None  # the active key's, made once per key

    @property
    def ttl_seconds(self) -> int:
        """Lifetime of an issued token (the ``expires_in`` of a token response)."""
        return self._ttl

    def issue(self, claims: AccessClaims, extra: Mapping[str, Any] | None = None) -> str:
        """A signed JWT: ``claims`` (and ``extra`` ones, e.g. the OpenID Provider's ``amr``,
        ``sid``) plus ``iss``, ``aud``, ``iat``, ``nbf``, ``exp``, ``jti``."""
        kid, key = self._keyring.active()
        now = int(self._clock().timestamp())
        payload: dict[str, Any] = {
            **(extra or {}),
            **claims.to_payload(),
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": secrets.token_urlsafe(16),
        }
        signer = self._signer
        if signer is None or signer.kid != kid or signer.key is not key:
            signer = self._signer = _Signer.of(kid, key)
        return signer.sign(payload)

    async def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; ``INVALID_TOKEN`` otherwise."""
        payload = await self.verify_payload(token)
        try:
            return AccessClaims.from_payload(payload)
        except ValidationError as exc:
            raise _refused() from exc

    async def verify_payload(self, token: str) -> dict[str, Any]:
        """Every claim of a valid token (application claims checked as :meth:`verify` does)."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise _refused()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _refused() from exc
        if FORBIDDEN_HEADERS & header.keys():
            raise _refused()
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS or not isinstance(kid, str) or not 0 < len(kid) <= 128:
            raise _refused()
        key = await self._keyring.public_key(kid)
        if key is None:
            raise _refused()
        pinned = algorithm_of(key)
        if alg != pinned:
            raise _refused()
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[pinned],
                issuer=self._issuer,
                audience=self._audience,
                # Time claims are checked below against the injected clock.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise _refused() from exc
        self._check_times(payload)
        try:
            AccessClaims.from_payload(payload)
        except ValidationError as exc:
            raise _refused() from exc
        return dict(payload)

    def _check_times(self, payload: Mapping[str, Any]) -> None:
        now = self._clock().timestamp()
        exp, iat = _number(payload.get("exp")), _number(payload.get("iat"))
        nbf = _number(payload.get("nbf", iat))
        if now >= exp + LEEWAY_SECONDS:
            raise _refused("The access token has expired.")
        if nbf > now + LEEWAY_SECONDS or iat > now + LEEWAY_SECONDS:
            raise _refused("The access token is not valid yet.")


@dataclass(frozen=True)
class _Signer:
    """What signing with one key needs, worked out once per key rather than per token:
    the encoded header, the algorithm and the key prepared for it. Tokens come out as
    ``jwt.encode(payload, key, algorithm, headers={"kid": kid, "typ": "JWT"})`` makes
    them, byte for byte (a key PyJWT would warn about is left to ``jwt.encode``)."""

    kid: str
    key: PrivateKey
    algorithm: str
    header: bytes | None  # the encoded header and "."; None: sign with jwt.encode
    signs: Algorithm
    prepared: Any

    @classmethod
    def of(cls, kid: str, key: PrivateKey) -> _Signer:
        algorithm = algorithm_of(key)
        signs = jwt.PyJWS().get_algorithm_by_name(algorithm)
        prepared = signs.prepare_key(key)
        header: bytes | None = None
        if isinstance(kid, str) and not signs.check_key_length(prepared):
            fields = {"typ": "JWT", "alg": algorithm, "kid": kid}
            encoded = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
            header = base64url_encode(encoded) + b"."
        return cls(kid, key, algorithm, header, signs, prepared)

    def sign(self, payload: dict[str, Any]) -> str:
        if self.header is None:
            headers = {"kid": self.kid, "typ": "JWT"}
            return jwt.encode(payload, self.key, algorithm=self.algorithm, headers=headers)
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        signing_input = self.header + base64url_encode(body)
        signature = self.signs.sign(signing_input, self.prepared)
        return (signing_input + b"." + base64url_encode(signature)).decode("utf-8")


def _number(value: object) -> float:
    # JSON may carry NaN, Infinity or huge integers; none of them is a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refused()
    try:
        number = float(value)
    except OverflowError as exc:
        raise _refused() from exc
    if not math.isfinite(number):
        raise _refused()
    return number
