"""The sign-up attempt a browser made, for seeds 002 and 003 (whose clients hold no token).

A pending registration that a later request contested completes without any
typed password (``regflow.services.contested``). The client that made the
*first* registration may still keep its own choice: each ``register`` call
hands its client a random attempt token in an HttpOnly cookie (``SameSite=
Strict``, scoped to the contract's auth paths; a client that sent one keeps
it), the first registration stores its SHA-256, and the confirmation from a
client presenting it completes with that registration's password. Everyone
else (an attacker who registered second, a second device) falls back to the
contested completion; the answers' bodies are the seeds' own either way.
"""

from __future__ import annotations

from fastapi import Request, Response

from regflow.core import cryptokit

COOKIE = "regflow_signup_attempt"
MAX_LENGTH = 128


def presented(request: Request) -> str | None:
    """The attempt token the client sent, when it looks like one."""
    value = request.cookies.get(COOKIE)
    if value is None or not 32 <= len(value) <= MAX_LENGTH or not value.isascii():
        return None
    return value if all(c.isalnum() or c in "-_" for c in value) else None


def attempt(request: Request) -> str:
    """The client's attempt token, or a new one."""
    return presented(request) or cryptokit.new_token()


def hand_out(response: Response, value: str, *, path: str, secure: bool) -> None:
    response.set_cookie(COOKIE, value, path=path, secure=secure, httponly=True, samesite="strict")


def take_back(response: Response, *, path: str, secure: bool) -> None:
    response.delete_cookie(COOKIE, path=path, secure=secure, httponly=True, samesite="strict")
