"""Asymmetric signing keys: generation, encrypted storage form, loading.

Access tokens are signed with EdDSA (Ed25519) or ES256 (P-256). RS256 (RSA
2048) is there for OpenID Connect: it is the ID token algorithm every relying
party must accept and the one a client gets unless it registers another. An
RS256 key lives in a *lane* of its own (``lane_of``), so the ring keeps one
active key for access tokens and one for RS256 ID tokens side by side.

A key is stored as a ``SigningKey``: the private half as PKCS#8 PEM encrypted
with the deployment secret (so a database dump alone does not yield it), the
public half as a JWK ready for ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from regflow.core.model import SigningKey

PrivateKey: TypeAlias = Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey: TypeAlias = Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

ALGORITHMS: frozenset[str] = frozenset({"EdDSA", "ES256", "RS256"})
"""The only algorithms regflow signs or verifies with (asymmetric, allow-listed)."""

RSA_BITS = 2048
"""Size of a generated RSA key; smaller RSA keys are refused when loaded."""

_COMPACT = frozenset({"EdDSA", "ES256"})
_RSA = frozenset({"RS256"})


def lane_of(algorithm: str) -> frozenset[str]:
    """The algorithms that share one active key with ``algorithm``: making a key of the
    lane active retires the lane's others. EdDSA and ES256 share one (switching between
    them is a rotation); RS256 has its own, kept beside it for ID tokens."""
    _check_algorithm(algorithm)
    return _RSA if algorithm in _RSA else _COMPACT


def generate_signing_key(now: datetime, secret: bytes, algorithm: str = "EdDSA") -> SigningKey:
    """A new active key: Ed25519 for ``EdDSA``, P-256 for ``ES256``, RSA 2048 for ``RS256``.

    ``kid`` is 16 random bytes, urlsafe; ``private_pem`` is encrypted with
    ``secret``; ``public_jwk`` carries ``kid``, ``alg`` and ``use: "sig"``.
    """
    _check_algorithm(algorithm)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not secret:
        raise ValueError("a non-empty secret is required to encrypt signing keys")
    private: PrivateKey
    if algorithm == "EdDSA":
        private = Ed25519PrivateKey.generate()
    elif algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    kid = secrets.token_urlsafe(16)
    pem = private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(secret),
    )
    jwk = public_jwk(private.public_key(), kid=kid, algorithm=algorithm)
    return SigningKey(
        kid=kid, algorithm=algorithm, private_pem=pem, public_jwk=jwk, created_at=now, active=True
    )


def public_jwk(key: PublicKey, *, kid: str, algorithm: str) -> dict[str, Any]:
    """The JWK of a public key, with ``kid``, ``alg`` and ``use``."""
    jwk: dict[str, Any]
    if isinstance(key, Ed25519PublicKey):
        jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    jwk.pop("key_ops", None)  # PyJWT adds it to RSA keys; RFC 7517 wants "use" or "key_ops"
    jwk.update(kid=kid, alg=algorithm, use="sig")
    return jwk


def load_private_key(key: SigningKey, secret: bytes) -> PrivateKey:
    """Decrypt ``key.private_pem``; ``ValueError`` on a wrong secret or a mismatched key type."""
    _check_algorithm(key.algorithm)
    try:
        private = serialization.load_pem_private_key(key.private_pem, password=secret)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot decrypt signing key {key.kid!r}: wrong secret?") from exc
    if (
        not isinstance(private, Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
        or _algorithm_or_none(private) != key.algorithm
    ):
        raise ValueError(f"signing key {key.kid!r} is not a {key.algorithm} key")
    return private


def load_public_key(key: SigningKey) -> PublicKey:
    """The public key object of ``key.public_jwk``; ``ValueError`` when it is inconsistent."""
    _check_algorithm(key.algorithm)
    jwk = key.public_jwk
    if jwk.get("alg") != key.algorithm or jwk.get("kid") != key.kid or "d" in jwk:
        raise ValueError(f"public JWK of signing key {key.kid!r} is inconsistent")
    try:
        loaded: object
        if key.algorithm == "EdDSA":
            loaded = OKPAlgorithm.from_jwk(jwk)
        elif key.algorithm == "RS256":
            loaded = RSAAlgorithm.from_jwk(jwk)
        else:
            loaded = ECAlgorithm.from_jwk(jwk)
    except Exception as exc:  # PyJWT raises InvalidKeyError, cryptography ValueError
        raise ValueError(f"public JWK of signing key {key.kid!r} is invalid") from exc
    if not isinstance(loaded, Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError(f"public JWK of signing key {key.kid!r} is not a public key")
    if _algorithm_or_none(loaded) != key.algorithm:
        raise ValueError(f"signing key {key.kid!r} is not a {key.algorithm} key")
    return loaded


def algorithm_of(key: PrivateKey | PublicKey) -> str:
    """The JWS algorithm a key signs or verifies with: ``EdDSA``, ``ES256``, ``RS256``
    (an RSA key of at least ``RSA_BITS``), or ``ValueError``."""
    found = _algorithm_or_none(key)
    if found is None:
        raise ValueError(f"unsupported key type {type(key).__name__}")
    return found


def _algorithm_or_none(key: object) -> str | None:
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size >= RSA_BITS:
        return "RS256"
    return None


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"unsupported signing algorithm {algorithm!r}; use one of EdDSA, ES256, RS256"
        )
