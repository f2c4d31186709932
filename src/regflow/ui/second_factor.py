"""Two-factor in the hosted UI: the code prompt at sign-in, setting it up, the account page.

``/sign-in`` hands over here (:func:`prompt`) when the password was right but
the account has a second factor (a code from the app, or one recovery code),
or when one of its organizations requires a factor it has not set up (set it
up now, then go on). ``/account`` shows the signed-in account; its "Set up
two-factor sign-in" button starts the set-up there. Setting up shows the QR
code and the secret to type, checks a code, then shows the ten recovery codes
once. A session started after the second factor carries ``amr: ["pwd",
"otp"]``. The ``mfa_token`` of a login rides in a hidden field: it is bound
to that login, short-lived and single use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from regflow.core.model import Account
from regflow.errors import ErrorCode, RegflowError, SecondFactorRequired
from regflow.services.second_factor import AMR_OTP
from regflow.ui.i18n import N_
from regflow.ui.mfa_prompt import prompt
from regflow.ui.pages import redirect
from regflow.ui.signin import safe_next
from regflow.ui.wizard import Wizard
from regflow.ui.words import role_words, say

MAX_TOKEN = 128


def _field(form: Mapping[str, Any], name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def second_factor_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])
    factors = w.services.second_factors

    async def finish(
        request: Request, account: Account, next_url: str | None, codes: list[str] | None = None
    ) -> Response:
        """Signed in with both factors: recovery codes (once), then where the person was going."""
        response: Response
        if codes:
            response = w.pages.render(request, "recovery_codes.html", codes=codes, next=next_url)
        elif next_url is not None:
            response = redirect(next_url)
        else:
            active = await w.services.sessions.active_memberships(account.id)
            organizations = [{"name": name, "role": role_words(m.role)} for m, name in active]
            response = w.pages.render(
                request, "signed_in.html", email=account.email, organizations=organizations
            )
        await w.start_session(request, response, account.id, AMR_OTP)
        return response

    def start_again(request: Request, error: RegflowError) -> Response:
        return w.pages.render(
            request,
            "problem.html",
            401,
            title=N_("Sign in again"),
            message=say(error.code, "mfa", error.message),
            sign_in=True,
        )

    @router.post("/sign-in/code")
    async def code(request: Request) -> Response:
        form = await w.form(request)
        next_url = safe_next(form.get("next"))
        token = _field(form, "mfa_token", MAX_TOKEN)
        typed, recovery = _field(form, "code", 16), _field(form, "recovery_code", 32)
        again = SecondFactorRequired(token)
        if not typed and not recovery:
            return await prompt(
                w, request, again, next_url, say(ErrorCode.REQUIRED, "mfa_code"), 422
            )
        try:
            account, _ = await factors.pass_second_step(
                token, typed or None, None if typed else recovery
            )
        except RegflowError as error:
            if error.code is ErrorCode.INVALID_CODE:
                return await prompt(w, request, again, next_url, say(error.code, "mfa"), 400)
            return start_again(request, error)
        return await finish(request, account, next_url)

    @router.post("/sign-in/setup")
    async def setup_at_sign_in(request: Request) -> Response:
        form = await w.form(request)
        next_url = safe_next(form.get("next"))
        token = _field(form, "mfa_token", MAX_TOKEN)
        try:
            done = await factors.confirm(None, _field(form, "code", 16), token)
        except RegflowError as error:
            if error.code is ErrorCode.INVALID_CODE:
                again = SecondFactorRequired(token, enrol=True)
                return await prompt(w, request, again, next_url, say(error.code, "mfa"), 400)
            return start_again(request, error)
        return await finish(request, done.account, next_url, done.recovery_codes)

    # -- the account page ----------------------------------------------------------------------

    @router.get("/account")
    async def account_page(request: Request) -> Response:
        signed_in = await w.signed_in(request)
        if signed_in is None:
            return redirect("/sign-in?next=/account")
        enabled, left = await factors.status(None, account_id=signed_in.account.id)
        return w.pages.render(
            request, "account.html", account=signed_in.account, enabled=enabled, left=left
        )

    @router.post("/account/two-factor")
    async def setup(request: Request) -> Response:
        signed_in = await w.signed_in(request)
        if signed_in is None:
            return redirect("/sign-in?next=/account")
        try:
            started = await factors.enrol(None, account_id=signed_in.account.id)
        except RegflowError:
            return redirect("/account")  # on already
        return w.pages.render(
            request,
            "two_factor_setup.html",
            enrolment=started,
            action="/account/two-factor/confirm",
            required=False,
        )

    @router.post("/account/two-factor/confirm")
    async def setup_confirm(request: Request) -> Response:
        form = await w.form(request)
        signed_in = await w.signed_in(request)
        if signed_in is None:
            return redirect("/sign-in?next=/account")
        account_id = signed_in.account.id
        try:
            done = await factors.confirm(None, _field(form, "code", 16), account_id=account_id)
        except RegflowError as error:
            shown = await factors.pending(None, account_id=account_id)
            if shown is None:
                return redirect("/account")
            return w.pages.render(
                request,
                "two_factor_setup.html",
                400,
                enrolment=shown,
                action="/account/two-factor/confirm",
                required=False,
                error=say(error.code, "mfa", error.message),
            )
        return await finish(request, done.account, "/account", done.recovery_codes)

    return router
