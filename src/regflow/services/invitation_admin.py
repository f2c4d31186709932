"""An organization's invitations as its owners and admins see them: listed and revoked.

Revoking ends an unused invitation at once (it is stored as expired at that
moment, so its link answers 410 ``INVITATION_EXPIRED`` as a lapsed one does);
a used or lapsed invitation cannot be revoked (409 ``INVITATION_NOT_REVOCABLE``),
nor one of another organization (404 ``INVITATION_NOT_FOUND``, whether it exists
or not). The caller's token is checked as for every admin call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from regflow.core.invitations import Invitation
from regflow.errors import Conflict, ErrorCode, NotFound
from regflow.services.org_admin import OrgAdmin

LISTED = 200


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"  # lapsed or revoked


@dataclass(frozen=True)
class InvitationView:
    id: str
    email: str
    role: str
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


def view(invitation: Invitation, now: datetime) -> InvitationView:
    if invitation.accepted_at is not None:
        status = InvitationStatus.ACCEPTED
    elif invitation.expires_at <= now:
        status = InvitationStatus.EXPIRED
    else:
        status = InvitationStatus.PENDING
    return InvitationView(
        invitation.id,
        invitation.email,
        invitation.role,
        status,
        invitation.created_at,
        invitation.expires_at,
        invitation.accepted_at,
    )


class InvitationAdmin:
    def __init__(self, admin: OrgAdmin) -> None:
        self.admin = admin
        self.ctx = admin.ctx

    async def listed(self, token: str | None, organization_id: str) -> list[InvitationView]:
        """The organization's invitations, newest first (the latest 200)."""
        async with self.ctx.uow(read_only=True) as uow:
            await self.admin.authorize(uow, token, organization_id)
            found = await uow.invitations.for_organization(organization_id, LISTED)
        now = self.ctx.clock()
        return [view(i, now) for i in found]

    async def revoke(self, token: str | None, organization_id: str, invitation_id: str) -> None:
        """End an unused invitation now: its link stops working."""
        async with self.ctx.uow() as uow:
            await self.admin.authorize(uow, token, organization_id)
            if not await uow.invitations.revoke(invitation_id, organization_id, self.ctx.clock()):
                listed = await uow.invitations.for_organization(organization_id, LISTED)
                if not any(i.id == invitation_id for i in listed):
                    raise NotFound("No such invitation.", code=ErrorCode.INVITATION_NOT_FOUND)
                raise Conflict(
                    "This invitation was used or has expired already.",
                    code=ErrorCode.INVITATION_NOT_REVOCABLE,
                )
            await uow.commit()
