"""Asymmetric signing keys: generation, encrypted storage form, loading.

A key is stored as a ``SigningKey``: the private half as PKCS#8 PEM encrypted
with the deployment secret (so a database dump alone does not yield it), the
public half as a JWK ready for ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from regflow.core.model import SigningKey

PrivateKey: TypeAlias = Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = Ed25519PublicKey | ec.EllipticCurvePublicKey

ALGORITHMS: frozenset[str] = frozenset({"EdDSA", "ES256"})
"""The only algorithms regflow signs or verifies with (asymmetric, allow-listed)."""


def generate_signing_key(now: datetime, secret: bytes, algorithm: str = "EdDSA") -> SigningKey:
    """A new active key: Ed25519 for ``EdDSA``, P-256 for ``ES256``.

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
    else:
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
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
        not isinstance(private, Ed25519PrivateKey | ec.EllipticCurvePrivateKey)
        or algorithm_of(private) != key.algorithm
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
        loaded = (
            OKPAlgorithm.from_jwk(jwk) if key.algorithm == "EdDSA" else ECAlgorithm.from_jwk(jwk)
        )
    except Exception as exc:  # PyJWT raises InvalidKeyError, cryptography ValueError
        raise ValueError(f"public JWK of signing key {key.kid!r} is invalid") from exc
    if not isinstance(loaded, Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"public JWK of signing key {key.kid!r} is not a public key")
    if algorithm_of(loaded) != key.algorithm:
        raise ValueError(f"signing key {key.kid!r} is not a {key.algorithm} key")
    return loaded


def algorithm_of(key: PrivateKey | PublicKey) -> str:
    """The JWS algorithm a key signs or verifies with: ``EdDSA``, ``ES256``, or ``ValueError``."""
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "ES256"
    raise ValueError(f"unsupported key type {type(key).__name__}")


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}; use one of EdDSA, ES256")
