"""``/sign-in``: email and password checked by the Sessions service; the page says who it is.

The access token the login answers with stays on the server: it is not shown,
put in a URL or kept in a cookie. Signing in here shows a person that their
password works and which organizations their account is in; what an
application does with sessions is its own business (it calls ``POST
/v1/sessions``). Wrong credentials get one sentence whether the email is
unknown or the password wrong; ``EMAIL_NOT_VERIFIED`` comes only after a
correct password, as the API answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from regflow.core.identifiers import normalize_email
from regflow.errors import AuthenticationFailed, FieldProblem, TooSoon
from regflow.services.sessions import Sessions
from regflow.ui.wizard import Wizard
from regflow.ui.words import role_words, say

MAX_EMAIL = 320
MAX_PASSWORD = 1024  # as ``POST /v1/sessions`` accepts


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


async def log_in(sessions: Sessions, email: str, password: str) -> dict[str, Any] | Refused:
    """The login answer, or the refusal to show; the form keeps the email, never the password."""
    missing = {}
    if not email:
        missing["email"] = say("REQUIRED", "email")
    if not password:
        missing["password"] = "Enter your password."  # noqa: S105 (a sentence, not a secret)
    if missing:
        return Refused(422, missing)
    if len(password) > MAX_PASSWORD:
        return Refused(401, {"email": say("INVALID_CREDENTIALS")})
    try:
        return await sessions.login(email, password)
    except AuthenticationFailed as failure:
        status = 403 if failure.code == "EMAIL_NOT_VERIFIED" else 401
        return Refused(status, {"email": say(failure.code)})
    except TooSoon:
        return Refused(429, {"email": say("RATE_LIMITED")})


def shown_email(email: str) -> str:
    try:
        return normalize_email(email)
    except FieldProblem:
        return email


def signin_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form_page(
        request: Request, email: str = "", errors: dict[str, str] | None = None, status: int = 200
    ) -> Response:
        return w.pages.render(request, "sign_in.html", status, email=email, errors=errors or {})

    @router.get("/sign-in")
    async def show(request: Request) -> Response:
        return form_page(request)

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        ok, form = await w.csrf_ok(request)
        if not ok:
            return w.csrf_failed(request)
        email, password = credentials(form)
        answer = await log_in(w.services.sessions, email, password)
        if isinstance(answer, Refused):
            return form_page(request, email, answer.errors, answer.status)
        organizations = [
            {"name": o["name"], "role": role_words(o["role"])} for o in answer["organizations"]
        ]
        return w.pages.render(
            request, "signed_in.html", email=shown_email(email), organizations=organizations
        )

    return router
