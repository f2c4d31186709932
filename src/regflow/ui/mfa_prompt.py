"""The page a hosted sign-in continues on when the password was not enough: the code
prompt, or setting up the second factor an organization requires (see ``second_factor``)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from regflow.errors import SecondFactorRequired
from regflow.ui.wizard import Wizard

ENROL = "MFA_ENROLMENT_REQUIRED"


async def prompt(
    w: Wizard,
    request: Request,
    required: SecondFactorRequired,
    next_url: str | None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The page a sign-in continues on: the code prompt, or the set-up when it is required."""
    if required.code == ENROL:
        factors = w.services.second_factors
        shown = await factors.pending(None, required.mfa_token) if error else None
        shown = shown or await factors.enrol(None, required.mfa_token)
        return w.pages.render(
            request,
            "two_factor_setup.html",
            status,
            enrolment=shown,
            mfa_token=required.mfa_token,
            action="/sign-in/setup",
            required=True,
            next=next_url,
            error=error,
        )
    return w.pages.render(
        request,
        "sign_in_code.html",
        status,
        mfa_token=required.mfa_token,
        next=next_url,
        error=error,
    )
