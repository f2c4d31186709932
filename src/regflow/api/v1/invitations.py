"""``/v1/invitations/{token}``: the link in an invitation mail.

``GET`` describes the invitation without using it (mail scanners prefetch
links); ``POST`` accepts it, once: 201 with a registration (its ``token``
opens it, as ``POST /v1/registrations`` answers), or, with an access token as
``Authorization: Bearer``, 201 with the account's membership and a fresh access
token; 409 ``INVITATION_USED``, 410 ``INVITATION_EXPIRED`` or 404
``INVITATION_NOT_FOUND``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from regflow.api.deps import bearer_token
from regflow.api.v1 import serialize
from regflow.services.invitations import Invitations

LinkToken = Annotated[str, Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
Locale = Annotated[str, Query(max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Bearer = Annotated[str | None, Depends(bearer_token)]


def invitations_router(invitations: Invitations) -> APIRouter:
    router = APIRouter(prefix="/v1/invitations", tags=["invitations"])

    @router.get("/{link_token}")
    async def preview(link_token: LinkToken) -> dict[str, Any]:
        """What the invitation is for (organization name, role, masked email, expiry);
        it stays unused."""
        return serialize.invitation_preview(await invitations.preview(link_token))

    @router.post("/{link_token}", status_code=201)
    async def accept(
        link_token: LinkToken, access_token: Bearer, locale: Locale = "en"
    ) -> dict[str, Any]:
        """Accept the invitation, once.

        Without ``Authorization``: 201 with a registration pre-linked to the
        organization and role, the invited email already verified (its
        ``token`` opens it, as ``POST /v1/registrations`` answers).

        With ``Authorization: Bearer <access token>`` (from ``POST /v1/sessions``),
        for someone who has an account already: 201 ``{account, organization:
        {id, name, slug}, membership: {id, role, status}, access_token,
        token_type, expires_in}``; the membership is active with the invited
        role whatever the join policy (a pending or rejected one becomes
        active), and the new token's ``org`` and ``role`` are that
        organization and role. 401 ``INVALID_TOKEN`` for an invalid, expired
        or revoked token; 403 ``INVITATION_EMAIL_MISMATCH`` when the account's
        email is not the invited one; 409 ``ALREADY_MEMBER`` when it is an
        active member already. A refused accept leaves the invitation unused.

        Either way: 409 ``INVITATION_USED``, 410 ``INVITATION_EXPIRED``, 404
        ``INVITATION_NOT_FOUND``.
        """
        if access_token is not None:
            accepted = await invitations.accept_with_account(link_token, access_token)
            return serialize.invitation_accepted(accepted)
        started = await invitations.accept(link_token, locale)
        return {**serialize.registration(started.state), "token": started.token}

    return router
