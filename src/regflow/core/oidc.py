"""OpenID Provider data: configured clients, authorization codes, refresh tokens, claims.

Plain data and pure rules; the protocol itself (request validation, PKCE,
grants, revocation, logout) is Authlib's, wired in ``regflow.oidc``.

- A **client** comes from ``REGFLOW_OIDC_CLIENTS``: exact redirect URIs, public
  (no secret, PKCE S256 required) or confidential (the SHA-256 of its secret),
  first-party (no consent screen) or not, the sign-up flows it may open and the
  organization its tokens speak for.
- An **authorization code** is stored as its SHA-256, lives
  ``CODE_TTL`` and is used once; a second use revokes the refresh-token family
  it started.
- A **refresh token** is stored as its SHA-256 and belongs to a *family* (one
  sign-in at one client). Using one rotates it (marks it used, issues the next
  of the family); presenting a used one again revokes the whole family. A
  family also dies with the account's token version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_TTL = timedelta(seconds=60)
# an expired code is kept this long before the sweep deletes it, so that a replay soon after
# still finds it used and revokes what it issued
CODE_KEPT = timedelta(hours=1)
SCOPES = ("openid", "email", "profile", "offline_access")
CLAIMS = ("sub", "email", "email_verified", "org", "org_slug", "role", "amr")


@dataclass(frozen=True)
class Client:
    """One relying party (``REGFLOW_OIDC_CLIENTS`` entry)."""

    client_id: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    public: bool = False
    client_secret_sha256: str | None = None
    first_party: bool = False
    flows: tuple[str, ...] = ()  # empty: every enabled flow
    organization: str | None = None  # id or slug
    name: str | None = None
    id_token_alg: str = "RS256"  # noqa: S105 - its id_token_signed_response_alg, no secret

    @property
    def title(self) -> str:
        return self.name or self.client_id


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    account_id: str
    redirect_uri: str
    scope: str
    created_at: datetime
    expires_at: datetime
    auth_time: datetime
    amr: tuple[str, ...] = ("pwd",)
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used_at: datetime | None = None

    def usable(self, client_id: str, now: datetime) -> bool:
        return self.used_at is None and self.client_id == client_id and now < self.expires_at


@dataclass(frozen=True)
class RefreshToken:
    id: str
    token_hash: str
    family_id: str
    client_id: str
    account_id: str
    scope: str
    token_version: int
    created_at: datetime
    expires_at: datetime
    auth_time: datetime
    amr: tuple[str, ...] = ("pwd",)
    code_hash: str | None = None  # the code that started the family
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, client_id: str, token_version: int, now: datetime) -> bool:
        return (
            self.used_at is None
            and self.revoked_at is None
            and self.client_id == client_id
            and self.token_version == token_version
            and now < self.expires_at
        )

    def replayed(self) -> bool:
        """Presented after it was rotated or revoked: whoever holds it, the family ends."""
        return self.used_at is not None or self.revoked_at is not None


@dataclass(frozen=True)
class Subject:
    """Who a token speaks for, with the claims both the ID and the access token carry."""

    account_id: str
    email: str
    email_verified: bool
    token_version: int
    auth_time: datetime
    amr: tuple[str, ...] = ("pwd",)
    org: str | None = None
    org_slug: str | None = None
    role: str | None = None
    name: str | None = None
    family_id: str | None = None

    def claims(self, scope: str) -> dict[str, object]:
        """The user claims for ``scope`` (``sub`` always; ``email``; organization and role)."""
        scopes = set(scope.split())
        found: dict[str, object] = {"sub": self.account_id}
        if "email" in scopes or "openid" in scopes:
            found["email"] = self.email
            found["email_verified"] = self.email_verified
        if "profile" in scopes and self.name:
            found["name"] = self.name
        found["org"] = self.org
        found["org_slug"] = self.org_slug
        found["role"] = self.role
        found["amr"] = list(self.amr)
        return found
