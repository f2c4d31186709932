"""The claims regflow puts in an access token, validated on construction.

``AccessClaims`` is the application part of a token; the registered claims
(``iss``, ``aud``, ``iat``, ``nbf``, ``exp``, ``jti``) are added and checked by
``regflow.keys.tokens``. A role is always the role *in an organization*, so a
role without ``org`` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from regflow.core.model import Role

ROLES: frozenset[str] = frozenset(role.value for role in Role)
"""Roles a membership can carry; ``AccessClaims.role`` is one of them or ``None``."""

CLAIM_NAMES: tuple[str, ...] = ("sub", "email", "email_verified", "org", "role", "ver")
"""The application claims, in payload order."""


class AccessClaims(BaseModel):
    """Who the bearer of an access token is.

    ``sub`` is the account id, ``ver`` the account's token version (bumping it
    on the account revokes every token issued before), ``org`` and ``role`` the
    organization and role the token speaks for, if any.

    Construction raises ``pydantic.ValidationError`` (a ``ValueError``) on any
    inconsistency; types are strict, so ``"1"`` is not a ``ver`` and ``1`` is
    not an ``email_verified``.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    sub: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=320)
    email_verified: bool
    org: str | None = Field(default=None, min_length=1, max_length=255)
    role: str | None = None
    ver: int = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> AccessClaims:
        if self.sub.strip() != self.sub:
            raise ValueError("sub must not have surrounding whitespace")
        if self.role is not None:
            if self.role not in ROLES:
                raise ValueError(f"unknown role {self.role!r}")
            if self.org is None:
                raise ValueError("a role requires an org")
        return self

    def to_payload(self) -> dict[str, Any]:
        """The claims as a JSON-ready dict (``org`` and ``role`` present, maybe ``None``)."""
        return {name: getattr(self, name) for name in CLAIM_NAMES}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AccessClaims:
        """Read the application claims from a decoded payload, ignoring registered claims.

        Raises ``pydantic.ValidationError`` when a claim is missing or invalid.
        """
        return cls.model_validate({name: payload[name] for name in CLAIM_NAMES if name in payload})
