"""Registrations named by an email address instead of a token.

Some seed contracts' clients never hold a registration token: seed 002
verifies with ``{email, verificationCode}``, seed 004 with ``{email, code}``
and registers with the email again. For them the registration token is
derived from the server secret, the contract and the normalized email (an
HMAC: unguessable without the secret, never sent to anyone), so the normal
token-checked use cases serve them unchanged; the newest active registration
with that token is the one the email names.
"""

from __future__ import annotations

import uuid

from regflow.core import cryptokit
from regflow.services.context import ServiceContext


class Lookups:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def token_for(self, contract: str, email: str) -> str:
        """The registration token of ``contract``'s registrations for ``email`` (normalized)."""
        return cryptokit.hmac_hex(self.ctx.secret, "registration-lookup", contract, email)

    async def find(self, contract: str, email: str) -> tuple[str, str] | None:
        """``(registration id, token)`` of the newest live registration for ``email``."""
        token = self.token_for(contract, email)
        async with self.ctx.uow(read_only=True) as uow:
            registration = await uow.registrations.find_active(cryptokit.sha256_hex(token))
        if registration is None or registration.expires_at <= self.ctx.clock():
            return None
        return registration.id, token

    def derived_id(self, purpose: str, email: str) -> str:
        """A UUID-shaped id derived from ``email`` with the server secret: the same email
        always gives the same id, and nobody without the secret can compute it."""
        digest = bytes.fromhex(cryptokit.hmac_hex(self.ctx.secret, "derived-id", purpose, email))
        raw = bytearray(digest[:16])
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4, like every other id regflow hands out
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        return str(uuid.UUID(bytes=bytes(raw)))
