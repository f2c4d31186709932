"""Forgotten passwords: ``/forgot-password`` (ask, then type the code and a new password)
and ``/reset/{token}`` (the mail's link: GET shows the form, POST sets the password).

Over the PasswordResets service, as the API's ``/v1/password-resets``: the page
after asking says the same for every address; a wrong code keeps the form with
one sentence; the link's GET changes nothing (mail scanners prefetch links).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from regflow.errors import ErrorCode, RegflowError, TooSoon, ValidationFailed
from regflow.ui.i18n import current
from regflow.ui.wizard import Wizard
from regflow.ui.words import say

LinkToken = Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
MAX_EMAIL = 320
MAX_PASSWORD = 1024


def _text(form: Mapping[str, Any], name: str, limit: int, *, strip: bool = True) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return (value.strip() if strip else value)[:limit]


def _sentences(error: RegflowError) -> dict[str, str]:
    """Field -> sentence for the page's summary and inline messages."""
    if isinstance(error, ValidationFailed):
        field = {p.field: say(p.code, p.field, p.message) for p in error.problems}
        return {("email" if k == "email" else "password"): v for k, v in field.items()}
    if isinstance(error, TooSoon):
        return {"email": say(ErrorCode.RATE_LIMITED)}
    return {"code": say(error.code, "reset_code", error.message)}


def recovery_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])
    resets = w.services.resets

    def ask_page(
        request: Request, email: str = "", errors: dict[str, str] | None = None, status: int = 200
    ) -> Response:
        return w.pages.render(
            request, "forgot_password.html", status, email=email, errors=errors or {}
        )

    def code_page(
        request: Request, email: str, errors: dict[str, str] | None = None, status: int = 200
    ) -> Response:
        return w.pages.render(request, "reset_code.html", status, email=email, errors=errors or {})

    @router.get("/forgot-password")
    async def ask(request: Request) -> Response:
        return ask_page(request)

    @router.post("/forgot-password")
    async def send(request: Request) -> Response:
        form = await w.form(request)
        email = _text(form, "email", MAX_EMAIL)
        if not email:
            return ask_page(request, email, {"email": say(ErrorCode.REQUIRED, "email")}, 422)
        try:
            await resets.request(email, current())
        except ValidationFailed as error:
            return ask_page(request, email, _sentences(error), 422)
        except TooSoon:
            return ask_page(request, email, {"email": say(ErrorCode.RATE_LIMITED)}, 429)
        return code_page(request, email)

    @router.post("/forgot-password/code")
    async def confirm(request: Request) -> Response:
        form = await w.form(request)
        email = _text(form, "email", MAX_EMAIL)
        code = _text(form, "code", 32).replace(" ", "")
        password = _text(form, "password", MAX_PASSWORD + 1, strip=False)
        if not code:
            return code_page(request, email, {"code": say(ErrorCode.REQUIRED, "code")}, 422)
        try:
            changed = await resets.confirm_code(email, code, password)
        except RegflowError as error:
            status = 422 if isinstance(error, ValidationFailed) else 400
            return code_page(request, email, _sentences(error), status)
        return w.pages.render(request, "reset_done.html", email=changed.email)

    @router.get("/reset/{link_token}")
    async def link(request: Request, link_token: str = LinkToken) -> Response:
        if not await resets.link_valid(link_token):
            return w.pages.render(request, "reset_invalid.html", 404)
        return w.pages.render(request, "reset_link.html", token=link_token, errors={})

    @router.post("/reset/{link_token}")
    async def set_password(request: Request, link_token: str = LinkToken) -> Response:
        form = await w.form(request)
        password = _text(form, "password", MAX_PASSWORD + 1, strip=False)
        try:
            changed = await resets.confirm_link(link_token, password)
        except ValidationFailed as error:
            errors = _sentences(error)
            return w.pages.render(request, "reset_link.html", 422, token=link_token, errors=errors)
        except RegflowError:
            return w.pages.render(request, "reset_invalid.html", 400)
        return w.pages.render(request, "reset_done.html", email=changed.email)

    return router
