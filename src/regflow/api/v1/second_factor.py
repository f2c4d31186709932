"""TOTP two-factor over the API: enrol, confirm, and the login's second step.

``POST /v1/account/totp`` (access token, or ``{mfa_token}`` of a login refused
with ``MFA_ENROLMENT_REQUIRED``) -> ``{secret, otpauth_uri, qr_svg}``;
``POST /v1/account/totp/confirm`` ``{code, mfa_token?}`` -> ``{recovery_codes}``
(ten, shown once; with an ``mfa_token``, the login's tokens too);
``GET /v1/account/totp`` -> ``{enabled, recovery_codes_left}``;
``POST /v1/sessions/mfa`` ``{mfa_token, code | recovery_code}`` -> tokens with
``amr: ["pwd", "otp"]``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from regflow.api.deps import bearer_token
from regflow.api.schemas import Strict
from regflow.api.v1 import serialize
from regflow.services.second_factor import SecondFactors

Bearer = Annotated[str | None, Depends(bearer_token)]


class EnrolRequest(Strict):
    mfa_token: str | None = Field(default=None, max_length=128)


class EnrolConfirmation(Strict):
    code: str = Field(max_length=16)
    mfa_token: str | None = Field(default=None, max_length=128)


class SecondStep(Strict):
    mfa_token: str = Field(max_length=128)
    code: str | None = Field(default=None, max_length=16)
    recovery_code: str | None = Field(default=None, max_length=32)


def second_factor_router(factors: SecondFactors) -> APIRouter:
    router = APIRouter(tags=["two-factor"])

    @router.post("/v1/account/totp", status_code=201)
    async def enrol(token: Bearer, body: EnrolRequest | None = None) -> dict[str, Any]:
        """A new TOTP secret for the account, its ``otpauth://`` URI and a QR code (SVG).

        Nothing changes at sign-in until ``/v1/account/totp/confirm``; 409
        ``MFA_ALREADY_ENABLED`` when the second factor is on already.
        """
        mfa_token = body.mfa_token if body else None
        started = await factors.enrol(None if mfa_token else token, mfa_token)
        return {
            "secret": started.secret,
            "otpauth_uri": started.otpauth_uri,
            "qr_svg": started.qr_svg,
        }

    @router.post("/v1/account/totp/confirm")
    async def confirm(token: Bearer, body: EnrolConfirmation) -> dict[str, Any]:
        """Turn the second factor on with a code from the app: ten single-use recovery codes,
        shown this once (and the login's tokens when enrolling finished a login)."""
        done = await factors.confirm(None if body.mfa_token else token, body.code, body.mfa_token)
        signed_in = serialize.token(done.signed_in, amr=True) if done.signed_in else {}
        return {"enabled": True, "recovery_codes": done.recovery_codes, **signed_in}

    @router.get("/v1/account/totp")
    async def status(token: Bearer) -> dict[str, Any]:
        enabled, left = await factors.status(token)
        return {"enabled": enabled, "recovery_codes_left": left}

    @router.post("/v1/sessions/mfa")
    async def second_step(body: SecondStep) -> dict[str, Any]:
        """The second step of a login answered 401 ``MFA_REQUIRED``: the ``mfa_token`` with a
        code from the app or one recovery code."""
        grant = await factors.verify(body.mfa_token, body.code, body.recovery_code)
        return serialize.token(grant, amr=True)

    return router
