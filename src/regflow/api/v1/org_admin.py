"""``/v1/organizations/{id}/…``: for the organization's owners and admins (their access token).

``GET /v1/organizations/{id}`` the organization; ``PATCH`` its join policy and
departments; ``GET …/members?status=pending`` the approval queue;
``POST …/members/{membership_id}/approve`` and ``/reject``;
``POST …/invitations`` ``{email, role}``; ``POST …/join-code/rotate``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from regflow.api.deps import bearer_token
from regflow.api.schemas import Strict
from regflow.services.invitations import Invitations
from regflow.services.org_admin import OrgAdmin

Bearer = Annotated[str | None, Depends(bearer_token)]
Id = Annotated[str, Path(max_length=64)]


class OrganizationPatch(Strict):
    join_policy: str | None = Field(default=None, max_length=32)
    departments: list[str] | None = Field(default=None, max_length=500)
    two_factor: bool | None = None  # members need a second factor for a token speaking for it


class InvitationRequest(Strict):
    email: str = Field(max_length=320)
    role: str = Field(max_length=32)


def org_admin_router(admin: OrgAdmin, invitations: Invitations) -> APIRouter:
    router = APIRouter(prefix="/v1/organizations/{organization_id}", tags=["organization admin"])

    @router.get("")
    async def organization(organization_id: Id, token: Bearer) -> dict[str, Any]:
        return await admin.organization(token, organization_id)

    @router.patch("")
    async def update(organization_id: Id, token: Bearer, body: OrganizationPatch) -> dict[str, Any]:
        """Change the join policy (open, approval, invite_only), the departments and/or
        ``two_factor`` (members then need a second factor for a token speaking for it)."""
        return await admin.update(
            token,
            organization_id,
            join_policy=body.join_policy,
            departments=body.departments,
            two_factor=body.two_factor,
        )

    @router.get("/members")
    async def members(
        organization_id: Id,
        token: Bearer,
        status: Annotated[str | None, Query(max_length=16)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """Members with their email and names, oldest first; ``status=pending`` for approvals."""
        return await admin.members(token, organization_id, status, limit, offset)

    @router.post("/members/{membership_id}/approve")
    async def approve(organization_id: Id, membership_id: Id, token: Bearer) -> dict[str, Any]:
        return await admin.decide(token, organization_id, membership_id, approve=True)

    @router.post("/members/{membership_id}/reject")
    async def reject(organization_id: Id, membership_id: Id, token: Bearer) -> dict[str, Any]:
        return await admin.decide(token, organization_id, membership_id, approve=False)

    @router.post("/invitations", status_code=201)
    async def invite(organization_id: Id, token: Bearer, body: InvitationRequest) -> dict[str, Any]:
        """Mail a single-use link that starts a registration pre-linked to this organization."""
        return await invitations.invite(token, organization_id, body.email, body.role)

    @router.post("/join-code/rotate")
    async def rotate(organization_id: Id, token: Bearer) -> dict[str, Any]:
        return await admin.rotate(token, organization_id)

    return router
