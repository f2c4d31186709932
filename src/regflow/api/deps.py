"""Request-level dependencies: the registration token and the idempotency key.

They are ``async def`` although they do no I/O: FastAPI runs a plain ``def``
dependency in a worker thread, a thread hop per request for a string split.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from regflow.errors import ErrorCode, ValidationFailed

MAX_IDEMPOTENCY_KEY = 255


async def registration_token(
    authorization: Annotated[str | None, Header()] = None,
    x_registration_token: Annotated[str | None, Header()] = None,
) -> str | None:
    """``Authorization: Bearer <token>`` or ``X-Registration-Token``."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if x_registration_token:
        return x_registration_token.strip()
    return None


async def idempotency_key(
    idempotency_key: Annotated[str | None, Header()] = None,
) -> str | None:
    if idempotency_key is None:
        return None
    key = idempotency_key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
        raise ValidationFailed.single(
            "Idempotency-Key", ErrorCode.INVALID_VALUE, "The Idempotency-Key header is not valid."
        )
    return key


async def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """An access token from ``Authorization: Bearer <token>`` (admin calls, invitations)."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None
