"""``/v1/account``: the account an access token speaks for."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from regflow.api.deps import bearer_token
from regflow.api.schemas import Strict
from regflow.api.v1 import serialize
from regflow.services.account import AccountSettings
from regflow.services.email_change import EmailChanges

Bearer = Annotated[str | None, Depends(bearer_token)]


class Leaving(Strict):
    password: str = Field(max_length=1024)
    code: str | None = Field(default=None, max_length=16)
    recovery_code: str | None = Field(default=None, max_length=32)


class EmailChangeRequest(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class Code(Strict):
    code: str = Field(max_length=16)


class Undo(Strict):
    token: str = Field(min_length=16, max_length=128)


def account_router(account: AccountSettings, changes: EmailChanges) -> APIRouter:
    router = APIRouter(prefix="/v1/account", tags=["account"])

    @router.get("")
    async def me(token: Bearer) -> dict[str, Any]:
        """The account of the access token; 401 ``INVALID_TOKEN`` for a revoked one."""
        return serialize.me(await account.view(token))

    @router.post("/email", status_code=202)
    async def change_email(token: Bearer, body: EmailChangeRequest) -> dict[str, Any]:
        """Ask to move the account to ``email`` (the password again): a 6-digit code goes
        there. The answer is the same whether or not another account uses that address."""
        sent = await changes.request(token, body.email, body.password)
        return serialize.change_code_sent(sent)

    @router.post("/email/confirm")
    async def confirm_email(token: Bearer, body: Code) -> dict[str, Any]:
        """The code from the new address: the account moves there, every earlier token ends
        (sign in again), the old address gets a notice with a link to undo it for a week;
        409 ``EMAIL_TAKEN`` when another account took the address meanwhile."""
        return serialize.email_changed(await changes.confirm(token, body.code))

    @router.post("/email/undo")
    async def undo_email(body: Undo) -> dict[str, Any]:
        """The token of the old address's notice: the old address comes back, every token
        ends again (then reset the password)."""
        return serialize.email_changed(await changes.undo(body.token))

    @router.delete("")
    async def leave(token: Bearer, body: Leaving) -> dict[str, Any]:
        """Delete the account: the password, and a code (or recovery code) when two-factor
        sign-in is on; 409 ``OWNER_MUST_TRANSFER`` for an organization's owner. Its
        memberships and personal data go, no mail address is kept, a confirmation is mailed.
        """
        deleted = await account.delete(
            token, body.password, code=body.code, recovery_code=body.recovery_code
        )
        return serialize.deleted(deleted)

    return router
