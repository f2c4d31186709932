"""``/v1/sessions`` (log in) and ``/v1/usernames`` (availability)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from regflow.api.schemas import LoginRequest
from regflow.api.v1 import serialize
from regflow.services.container import Services


def sessions_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["sessions"])

    @router.post("/v1/sessions")
    async def login(body: LoginRequest) -> dict[str, Any]:
        """Email and password for an access token; 401 INVALID_CREDENTIALS otherwise.

        The token carries one organization and role: ``organization_id`` when given (403
        ``NOT_A_MEMBER`` unless the account is an active member), else the oldest active
        membership. ``organizations`` lists every active membership to choose from.
        """
        login = await services.sessions.login(
            body.email, body.password, organization_id=body.organization_id
        )
        return serialize.logged_in(login)

    @router.get("/v1/usernames/{name}/availability")
    async def availability(name: str = Path(max_length=64)) -> dict[str, Any]:
        return serialize.availability(await services.usernames.availability(name))

    return router
