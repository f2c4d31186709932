"""``/v1/invitations/{token}``: the link in an invitation mail.

``GET`` describes the invitation without using it (mail scanners prefetch
links); ``POST`` accepts it, once: 201 with a registration (its ``token``
opens it, as ``POST /v1/registrations`` answers), 409 ``INVITATION_USED``,
410 ``INVITATION_EXPIRED`` or 404 ``INVITATION_NOT_FOUND``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from regflow.services.invitations import Invitations

LinkToken = Annotated[str, Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
Locale = Annotated[str, Query(max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]


def invitations_router(invitations: Invitations) -> APIRouter:
    router = APIRouter(prefix="/v1/invitations", tags=["invitations"])

    @router.get("/{link_token}")
    async def preview(link_token: LinkToken) -> dict[str, Any]:
        return await invitations.preview(link_token)

    @router.post("/{link_token}", status_code=201)
    async def accept(link_token: LinkToken, locale: Locale = "en") -> dict[str, Any]:
        return await invitations.accept(link_token, locale)

    return router
