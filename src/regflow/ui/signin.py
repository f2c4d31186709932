"""``/sign-in`` and ``/sign-out``: the hosted login session.

Email and password are checked by the Sessions service; a successful sign-in
starts a login session (``regflow.services.login_sessions``, cookie
``__Host-regflow-session``), replacing the one this browser had, and either
continues to ``next`` (an authorize request waiting for it: only this site's
own paths in ``NEXT_PATHS``) or shows which organizations the account is in.
No access token is shown, put in a URL or kept in a cookie. Wrong credentials
get one sentence whether the email is unknown or the password wrong;
``EMAIL_NOT_VERIFIED`` comes only after a correct password, as the API
answers. ``/sign-out`` revokes the session and drops its cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from regflow.core.model import Account
from regflow.errors import AuthenticationFailed, ErrorCode, SecondFactorRequired, TooSoon
from regflow.services.second_factor import hosted_second_step
from regflow.services.sessions import LoggedIn, Sessions
from regflow.ui.i18n import gettext
from regflow.ui.mfa_prompt import prompt
from regflow.ui.pages import redirect
from regflow.ui.session import AUTHORIZE
from regflow.ui.wizard import Wizard
from regflow.ui.words import role_words, say

MAX_EMAIL = 320
MAX_PASSWORD = 1024  # as ``POST /v1/sessions`` accepts
# pages that send people to sign in first, or to the second step (a sign-up's welcome page)
NEXT_PATHS = (AUTHORIZE + "?", "/account", "/console", "/register/")


@dataclass(frozen=True)
class Refused:
    """Why a sign-in failed: the status of the page and its sentences by field."""

    status: int
    errors: dict[str, str]


def credentials(form: Mapping[str, Any]) -> tuple[str, str]:
    """The email (trimmed) and the password (exactly as typed) of a sign-in form."""
    email, password = form.get("email"), form.get("password")
    return (
        email.strip()[:MAX_EMAIL] if isinstance(email, str) else "",
        password if isinstance(password, str) else "",
    )


def _missing(email: str, password: str) -> Refused | None:
    missing = {}
    if not email:
        missing["email"] = say(ErrorCode.REQUIRED, "email")
    if not password:
        missing["password"] = gettext("Enter your password.")
    if missing:
        return Refused(422, missing)
    if len(password) > MAX_PASSWORD:
        return Refused(401, {"email": say(ErrorCode.INVALID_CREDENTIALS)})
    return None


def _refusal(failure: AuthenticationFailed | TooSoon) -> Refused:
    if isinstance(failure, TooSoon):
        return Refused(429, {"email": say(ErrorCode.RATE_LIMITED)})
    status = 403 if failure.code == ErrorCode.EMAIL_NOT_VERIFIED else 401
    return Refused(status, {"email": say(failure.code)})


async def log_in(sessions: Sessions, email: str, password: str) -> LoggedIn | Refused:
    """The login answer, or the refusal to show; the form keeps the email, never the password."""
    refused = _missing(email, password)
    if refused is not None:
        return refused
    try:
        return await sessions.login(email, password)
    except (AuthenticationFailed, TooSoon) as failure:
        return _refusal(failure)


async def authenticate(sessions: Sessions, email: str, password: str) -> Account | Refused:
    """The account these credentials open, or the refusal to show (as :func:`log_in`)."""
    refused = _missing(email, password)
    if refused is not None:
        return refused
    try:
        return await sessions.authenticate(email, password)
    except (AuthenticationFailed, TooSoon) as failure:
        return _refusal(failure)


def safe_next(value: object) -> str | None:
    """A place to continue after signing in: only this site's own pages that ask for it
    (never another origin: no ``//host``, no backslashes, no scheme)."""
    if not isinstance(value, str) or len(value) > 4096:
        return None
    if "\\" in value or any(ord(c) < 0x21 for c in value):
        return None
    if value.startswith(NEXT_PATHS):
        return value
    return None


def signin_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    def form_page(
        request: Request,
        email: str = "",
        errors: dict[str, str] | None = None,
        status: int = 200,
        next_url: str | None = None,
    ) -> Response:
        create = "/"
        if next_url is not None and next_url.startswith(AUTHORIZE + "?"):
            create = next_url + "&" + urlencode({"prompt": "create"})
        return w.pages.render(
            request,
            "sign_in.html",
            status,
            email=email,
            errors=errors or {},
            next=next_url,
            create=create,
        )

    @router.get("/sign-in")
    async def show(request: Request) -> Response:
        return form_page(request, next_url=safe_next(request.query_params.get("next")))

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await w.form(request)
        next_url = safe_next(form.get("next"))
        email, password = credentials(form)
        account = await authenticate(w.services.sessions, email, password)
        if isinstance(account, Refused):
            return form_page(request, email, account.errors, account.status, next_url)
        try:  # enrolled, or an organization of the account requires a second factor
            await hosted_second_step(w.services.ctx, account)
        except SecondFactorRequired as required:
            return await prompt(w, request, required, next_url)
        if next_url is not None:
            response = redirect(next_url)
        else:
            active = await w.services.sessions.active_memberships(account.id)
            organizations = [
                {"name": name, "role": role_words(m.role), "admin": m.role in ("owner", "admin")}
                for m, name in active
            ]
            response = w.pages.render(
                request, "signed_in.html", email=account.email, organizations=organizations
            )
        await w.start_session(request, response, account.id)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        await w.services.login_sessions.revoke(w.cookies.login_secret(request))
        response = w.pages.render(request, "signed_out.html")
        w.cookies.forget_login(response)
        return response

    return router
