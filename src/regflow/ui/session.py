"""The UI's cookies: the registration (a bearer secret), the login session and the CSRF token.

The registration cookie holds ``<id>.<token>``: it is ``HttpOnly``,
``SameSite=Lax`` and, whenever the browser treats the site as secure (an
``https`` public URL, or a loopback address, which browsers count as a secure
context), ``Secure`` with the ``__Host-`` prefix. Over plain http to any other
host the prefix cannot be used, so the cookies are named without it.

The login session cookie (``__Host-regflow-session``; ``regflow-session`` in
the plain-http development fallback) holds the secret of a row in
``login_sessions`` (``regflow.services.login_sessions``), lives as long as the
session's absolute lifetime, and is replaced on every sign-in. A sign-up
opened by ``/oauth2/authorize`` keeps that request's query in ``...-authz``,
so the flow's end continues to the application instead of a welcome page.

CSRF: a random value in its own cookie; every form carries
HMAC(server secret, value), compared in constant time on each post.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
CSRF_FIELD = "csrf"
AUTHORIZE = "/oauth2/authorize"
MAX_CONTINUATION = 3000  # an authorize query longer than this is not kept (cookie size)


@dataclass(frozen=True)
class Cookies:
    secret: bytes
    secure: bool
    max_age: int
    session_max_age: int = 12 * 3600

    @classmethod
    def for_public_url(
        cls, public_url: str, secret: bytes, max_age: int, session_max_age: int = 12 * 3600
    ) -> Cookies:
        parts = urlsplit(public_url)
        secure = parts.scheme == "https" or (parts.hostname or "") in LOOPBACK
        return cls(secret, secure, max_age, session_max_age)

    def name(self, base: str) -> str:
        return f"__Host-regflow-{base}" if self.secure else f"regflow-{base}"

    def _set(self, response: Response, base: str, value: str, max_age: int) -> None:
        response.set_cookie(
            self.name(base),
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    # -- the registration ------------------------------------------------------------------

    def registration(self, request: Request, flow: str) -> tuple[str, str] | None:
        """``(id, token)`` of this browser's registration in ``flow``, if any."""
        value = request.cookies.get(self.name(f"reg-{flow}"), "")
        rid, _, token = value.partition(".")
        if not rid or not token or len(value) > 300:
            return None
        return rid, token

    def keep_registration(self, response: Response, flow: str, rid: str, token: str) -> None:
        self._set(response, f"reg-{flow}", f"{rid}.{token}", self.max_age)

    def forget_registration(self, response: Response, flow: str) -> None:
        response.delete_cookie(
            self.name(f"reg-{flow}"), path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    # -- a finished registration's welcome page ----------------------------------------------

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        """``payload`` as ``<base64 JSON>.<HMAC>``: readable, not forgeable."""
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        mac = hmac.new(self.secret, purpose.encode() + b":" + body, hashlib.sha256).hexdigest()
        return f"{body.decode()}.{mac}"

    def unsign(self, purpose: str, value: str) -> dict[str, Any] | None:
        body, _, mac = value.rpartition(".")
        if not body or len(value) > 3000:
            return None
        wanted = hmac.new(self.secret, purpose.encode() + b":" + body.encode(), hashlib.sha256)
        if not hmac.compare_digest(wanted.hexdigest(), mac):
            return None
        try:
            loaded = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None

    def keep_welcome(self, response: Response, flow: str, payload: dict[str, Any]) -> None:
        """What the welcome page shows, so reloading it (a GET after the 303) shows it again."""
        self._set(response, f"done-{flow}", self.sign(f"welcome-{flow}", payload), 3600)

    def welcome(self, request: Request, flow: str) -> dict[str, Any] | None:
        value = request.cookies.get(self.name(f"done-{flow}"), "")
        return self.unsign(f"welcome-{flow}", value) if value else None

    # -- the login session ------------------------------------------------------------------

    @property
    def session_name(self) -> str:
        return self.name("session")

    def login_secret(self, request: Request) -> str | None:
        """The secret of this browser's login session cookie, if it carries one."""
        value = request.cookies.get(self.session_name, "")
        return value if 0 < len(value) <= 200 else None

    def keep_login(self, response: Response, secret: str) -> None:
        self._set(response, "session", secret, self.session_max_age)

    def forget_login(self, response: Response) -> None:
        response.delete_cookie(
            self.session_name, path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    # -- an authorize request waiting for a sign-up to end -------------------------------------

    def authorize_continuation(self, request: Request) -> str | None:
        """The query of the ``/oauth2/authorize`` request a hosted flow was opened for."""
        value = request.cookies.get(self.name("authz"), "")
        return value if 0 < len(value) <= MAX_CONTINUATION else None

    def keep_authorize(self, response: Response, query: str) -> None:
        if len(query) <= MAX_CONTINUATION:
            self._set(response, "authz", query, self.max_age)

    def forget_authorize(self, response: Response) -> None:
        response.delete_cookie(
            self.name("authz"), path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    # -- CSRF ------------------------------------------------------------------------------

    def csrf_seed(self, request: Request) -> tuple[str, bool]:
        """The CSRF cookie's value and whether it is new (to be set on the response)."""
        current = request.cookies.get(self.name("csrf"), "")
        if 20 <= len(current) <= 100:
            return current, False
        return secrets.token_urlsafe(32), True

    def csrf_token(self, seed: str) -> str:
        return hmac.new(self.secret, b"ui-csrf:" + seed.encode(), hashlib.sha256).hexdigest()

    def set_csrf(self, response: Response, seed: str) -> None:
        self._set(response, "csrf", seed, 12 * 3600)

    def csrf_ok(self, request: Request, submitted: object) -> bool:
        seed = request.cookies.get(self.name("csrf"), "")
        if not seed or not isinstance(submitted, str):
            return False
        return hmac.compare_digest(self.csrf_token(seed), submitted)
