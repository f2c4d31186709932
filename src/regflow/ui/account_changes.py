"""The account page's changes: moving to another email address, and leaving.

Both ask for the password again (leaving also for a code when two-factor sign-in
is on) and run the same use cases as the API (``EmailChanges``,
``AccountSettings``), with a short-lived access token minted on the server for
the signed-in account (it never leaves the server). Moving the address sends a
code there and asks for it on the next page; once confirmed, every session and
token ends (the token version bumps), so the page asks to sign in with the new
address. Leaving deletes the account and signs the browser out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from regflow.errors import RegflowError, ValidationFailed
from regflow.services.login_sessions import SignedIn
from regflow.services.sessions import token_response
from regflow.ui.pages import redirect
from regflow.ui.wizard import Wizard
from regflow.ui.words import say

ACCOUNT = "/account"


def _field(form: Mapping[str, Any], name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _errors(error: RegflowError, default_field: str) -> dict[str, str]:
    if isinstance(error, ValidationFailed):
        return {p.field: say(p.code, p.field, p.message) for p in error.problems}
    field = "password" if error.code == "INVALID_CREDENTIALS" else default_field
    return {field: say(error.code, field, error.message)}


def account_changes_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])
    changes = w.services.email_changes
    settings = w.services.account
    factors = w.services.second_factors

    def token_of(signed: SignedIn) -> str:
        grant = token_response(w.services.ctx, signed.account, None, organization=None)
        return grant.access_token

    async def account_page(
        request: Request, signed: SignedIn, status: int, **context: Any
    ) -> Response:
        enabled, left = await factors.status(None, account_id=signed.account.id)
        return w.pages.render(
            request,
            "account.html",
            status,
            account=signed.account,
            enabled=enabled,
            left=left,
            **context,
        )

    @router.post(ACCOUNT + "/email")
    async def change_email(request: Request) -> Response:
        signed = await w.signed_in(request)
        if signed is None:
            return redirect("/sign-in?next=/account")
        form = await w.form(request)
        new_email, password = _field(form, "email", 320), _field(form, "password", 1024)
        try:
            sent = await changes.request(token_of(signed), new_email, password)
        except RegflowError as error:
            errors = _errors(error, "email")
            return await account_page(request, signed, 422, email_errors=errors, email=new_email)
        return w.pages.render(request, "email_change_code.html", target=sent.target)

    @router.post(ACCOUNT + "/email/confirm")
    async def confirm_email(request: Request) -> Response:
        signed = await w.signed_in(request)
        if signed is None:
            return redirect("/sign-in?next=/account")
        form = await w.form(request)
        try:
            moved = await changes.confirm(token_of(signed), _field(form, "code", 16))
        except RegflowError as error:
            return w.pages.render(
                request,
                "email_change_code.html",
                400,
                target=_field(form, "target", 320),
                error=say(error.code, "code", error.message),
            )
        response = w.pages.render(request, "email_change_done.html", email=moved.email)
        w.cookies.forget_login(response)  # every session ended with the old address
        return response

    @router.post(ACCOUNT + "/delete")
    async def delete(request: Request) -> Response:
        signed = await w.signed_in(request)
        if signed is None:
            return redirect("/sign-in?next=/account")
        form = await w.form(request)
        password, code = _field(form, "password", 1024), _field(form, "code", 16)
        try:
            await settings.delete(token_of(signed), password, code=code or None)
        except RegflowError as error:
            return await account_page(request, signed, 422, delete_errors=_errors(error, "code"))
        response = w.pages.render(request, "account_deleted.html")
        w.cookies.forget_login(response)
        return response

    return router
