"""Signing keys, their rotation and JWKS, and the access tokens signed with them."""

from regflow.keys.keyring import KeyRing, SigningKeyStore, UnitOfWorkKeyStore
from regflow.keys.signing import (
    ALGORITHMS,
    generate_signing_key,
    load_private_key,
    load_public_key,
)
from regflow.keys.tokens import TokenService

__all__ = [
    "ALGORITHMS",
    "KeyRing",
    "SigningKeyStore",
    "TokenService",
    "UnitOfWorkKeyStore",
    "generate_signing_key",
    "load_private_key",
    "load_public_key",
]
