"""``/v1/password-resets``: ask for a reset code and link; set a new password with either.

``POST /v1/password-resets`` ``{email}`` is 202 with the same body for every
well-formed address, whether an account uses it or not. ``POST
/v1/password-resets/confirm`` takes ``{email, code, password}`` (or ``{token,
password}`` with the token of the mail's link) and answers 200; a wrong, used
or expired code is 400 ``INVALID_CODE`` / ``CODE_EXPIRED``, the sixth try 400
``ATTEMPTS_EXCEEDED``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field, model_validator

from regflow.api.schemas import Strict
from regflow.api.v1 import serialize
from regflow.services.container import Services

REQUESTED = "If an account uses this address, a code to reset its password is on its way."


class ResetRequest(Strict):
    email: str = Field(max_length=320)


class ResetConfirmation(Strict):
    email: str | None = Field(default=None, max_length=320)
    code: str | None = Field(default=None, max_length=32)
    token: str | None = Field(default=None, max_length=128)
    password: str = Field(max_length=1024)

    @model_validator(mode="after")
    def _one_proof(self) -> ResetConfirmation:
        if (self.token is None) == (self.email is None or self.code is None):
            raise ValueError("give either email and code, or token")
        return self


def password_resets_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["password resets"])
    resets = services.resets

    @router.post("/v1/password-resets", status_code=202)
    async def request(body: ResetRequest) -> dict[str, Any]:
        """Mail a 6-digit code and a link (15 minutes) to the account of ``email``, if any.

        The answer is the same whether or not an account uses the address.
        """
        await resets.request(body.email)
        return {"status": "requested", "detail": REQUESTED}

    @router.post("/v1/password-resets/confirm")
    async def confirm(body: ResetConfirmation) -> dict[str, Any]:
        """Set the new password; every earlier access token stops working."""
        if body.token is not None:
            changed = await resets.confirm_link(body.token, body.password)
        else:
            changed = await resets.confirm_code(str(body.email), str(body.code), body.password)
        return serialize.password_changed(changed)

    return router
