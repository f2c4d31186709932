"""The sign-up attempt a browser made, for seeds 002 and 003 (whose clients hold no token).

A pending registration that a later request contested completes without any
typed password (``regflow.services.contested``). The client that made the
*first* registration may still keep its own choice: each ``register`` call
hands its client a random attempt token in an HttpOnly cookie (``SameSite=
Strict``, scoped to the contract's auth paths, ``__Host-`` prefixed under
https; a client that sent one keeps it), the first registration stores its
SHA-256, and the confirmation from a client presenting it completes with that
registration's password. Everyone else (an attacker who registered second, a
second device) falls back to the contested completion; the answers' bodies
are the seeds' own either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from regflow.core import cryptokit

COOKIE = "regflow_signup_attempt"
# under https the cookie is host-only by the browser's rule (``__Host-``: Secure, Path=/,
# no Domain), so a sibling subdomain or a plain-http hop cannot plant one for the victim
HOST_COOKIE = "__Host-" + COOKIE
MAX_LENGTH = 128


@dataclass(frozen=True)
class AttemptCookie:
    path: str  # the contract's auth paths (plain http only; https uses Path=/)
    secure: bool  # REGFLOW_PUBLIC_URL is https

    @property
    def name(self) -> str:
        return HOST_COOKIE if self.secure else COOKIE

    def presented(self, request: Request) -> str | None:
        """The attempt token the client sent, when it looks like one."""
        value = request.cookies.get(self.name)
        if value is None or not 32 <= len(value) <= MAX_LENGTH or not value.isascii():
            return None
        return value if all(c.isalnum() or c in "-_" for c in value) else None

    def attempt(self, request: Request) -> str:
        """The client's attempt token, or a new one."""
        return self.presented(request) or cryptokit.new_token()

    def hand_out(self, response: Response, value: str) -> None:
        response.set_cookie(
            self.name,
            value,
            path="/" if self.secure else self.path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def take_back(self, response: Response) -> None:
        response.delete_cookie(
            self.name,
            path="/" if self.secure else self.path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
