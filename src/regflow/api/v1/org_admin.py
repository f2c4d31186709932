"""``/v1/organizations/{id}/…``: for the organization's owners and admins (their access token).

``GET /v1/organizations/{id}`` the organization; ``PATCH`` its join policy and
departments; ``GET …/members?status=pending`` the approval queue;
``POST …/members/{membership_id}/approve`` and ``/reject``;
``POST …/invitations`` ``{email, role}``, ``GET …/invitations``,
``POST …/invitations/{invitation_id}/revoke``; ``POST …/join-code/rotate``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from regflow.api.deps import bearer_token
from regflow.api.schemas import Strict
from regflow.api.v1 import serialize
from regflow.services.invitation_admin import InvitationAdmin
from regflow.services.invitations import Invitations
from regflow.services.org_admin import OrgAdmin

Bearer = Annotated[str | None, Depends(bearer_token)]
Id = Annotated[str, Path(max_length=64)]


class OrganizationPatch(Strict):
    join_policy: str | None = Field(default=None, max_length=32)
    departments: list[str] | None = Field(default=None, max_length=500)
    two_factor: bool | None = None
    logo: str | None = Field(default=None, max_length=128)


class InvitationRequest(Strict):
    email: str = Field(max_length=320)
    role: str = Field(max_length=32)


def org_admin_router(
    admin: OrgAdmin, invitations: Invitations, invitation_admin: InvitationAdmin
) -> APIRouter:
    router = APIRouter(prefix="/v1/organizations/{organization_id}", tags=["organization admin"])

    @router.get("")
    async def organization(organization_id: Id, token: Bearer) -> dict[str, Any]:
        return serialize.organization(await admin.organization(token, organization_id))

    @router.patch("")
    async def update(organization_id: Id, token: Bearer, body: OrganizationPatch) -> dict[str, Any]:
        """Change the join policy (open, approval, invite_only), the departments, the
        two-factor requirement and/or the logo (an upload's ``key``)."""
        updated = await admin.update(
            token,
            organization_id,
            join_policy=body.join_policy,
            departments=body.departments,
            two_factor=body.two_factor,
            logo=body.logo,
        )
        return serialize.organization(updated)

    @router.get("/members")
    async def members(
        organization_id: Id,
        token: Bearer,
        status: Annotated[str | None, Query(max_length=16)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """Members with their email and names, oldest first; ``status=pending`` for approvals."""
        return serialize.member_page(
            await admin.members(token, organization_id, status, limit, offset)
        )

    @router.post("/members/{membership_id}/approve")
    async def approve(organization_id: Id, membership_id: Id, token: Bearer) -> dict[str, Any]:
        decided = await admin.decide(token, organization_id, membership_id, approve=True)
        return serialize.decided(decided)

    @router.post("/members/{membership_id}/reject")
    async def reject(organization_id: Id, membership_id: Id, token: Bearer) -> dict[str, Any]:
        decided = await admin.decide(token, organization_id, membership_id, approve=False)
        return serialize.decided(decided)

    @router.post("/invitations", status_code=201)
    async def invite(organization_id: Id, token: Bearer, body: InvitationRequest) -> dict[str, Any]:
        """Mail a single-use link that starts a registration pre-linked to this organization."""
        sent = await invitations.invite(token, organization_id, body.email, body.role)
        return serialize.invitation_sent(sent)

    @router.get("/invitations")
    async def invitations_list(organization_id: Id, token: Bearer) -> dict[str, Any]:
        """The latest 200 invitations, newest first: pending, accepted or expired."""
        found = await invitation_admin.listed(token, organization_id)
        return {"invitations": [serialize.invitation(i) for i in found]}

    @router.post("/invitations/{invitation_id}/revoke", status_code=204)
    async def revoke(organization_id: Id, invitation_id: Id, token: Bearer) -> None:
        """End an unused invitation now: its link answers 410 from then on."""
        await invitation_admin.revoke(token, organization_id, invitation_id)

    @router.post("/join-code/rotate")
    async def rotate(organization_id: Id, token: Bearer) -> dict[str, Any]:
        return {"join_code": await admin.rotate(token, organization_id)}

    return router
