"""Small, pure security primitives: random secrets, digests, constant-time compare."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_BYTES = 32  # 256 bits: registration tokens and link tokens


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    """A URL-safe random secret from ``secrets`` (never a UUID)."""
    return secrets.token_urlsafe(nbytes)


def new_uuid() -> str:
    """A random (version 4) UUID as text, like ``str(uuid.uuid4())`` at a third of its cost."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sha256_hex(value: str) -> str:
    """Digest under which bearer secrets are stored: high-entropy, so no salt is needed."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hmac_hex(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the parts, joined unambiguously (length-prefixed)."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8")
        mac.update(len(data).to_bytes(4, "big"))
        mac.update(data)
    return mac.hexdigest()


def equal(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def new_numeric_code(digits: int = 6) -> str:
    """A uniformly random numeric code, zero-padded."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def seal(key: bytes, plaintext: str, *, associated: str) -> str:
    """AES-256-GCM encryption of ``plaintext`` bound to ``associated`` (URL-safe text).

    For the few secrets that must be read back (TOTP secrets); everything else is hashed.
    """
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), associated.encode("utf-8"))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(key: bytes, sealed: str, *, associated: str) -> str:
    """The plaintext of :func:`seal`; ``ValueError`` when it was altered or bound elsewhere."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], associated.encode("utf-8"))
    except (InvalidTag, ValueError) as exc:
        raise ValueError("the sealed value cannot be opened") from exc
    return plain.decode("utf-8")
