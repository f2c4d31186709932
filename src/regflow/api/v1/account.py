"""``/v1/account``: the account an access token speaks for."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from regflow.api.deps import bearer_token
from regflow.services.account import AccountSettings, AccountView

Bearer = Annotated[str | None, Depends(bearer_token)]


def account_view(view: AccountView) -> dict[str, Any]:
    return {
        "id": view.id,
        "email": view.email,
        "email_verified": view.email_verified,
        "username": view.username,
        "first_name": view.first_name,
        "last_name": view.last_name,
        "created_at": view.created_at.isoformat().replace("+00:00", "Z"),
    }


def account_router(account: AccountSettings) -> APIRouter:
    router = APIRouter(prefix="/v1/account", tags=["account"])

    @router.get("")
    async def me(token: Bearer) -> dict[str, Any]:
        """The account of the access token; 401 ``INVALID_TOKEN`` for a revoked one."""
        return account_view(await account.view(token))

    return router
