"""Hook ``AcceptInvitation``: the invitation's organization, active whatever its join policy."""

from __future__ import annotations

from datetime import datetime

from regflow.core.hooks import AcceptInvitation, pick
from regflow.core.model import Account, MembershipStatus, Registration
from regflow.core.ports import UnitOfWork
from regflow.errors import Conflict, ErrorCode
from regflow.services.hooks.base import Joined
from regflow.services.joining import add_member


async def accept_invitation(
    uow: UnitOfWork,
    hook: AcceptInvitation,
    registration: Registration,
    account: Account,
    now: datetime,
) -> Joined | None:
    """None for a registration no invitation started."""
    invited = registration.invitation
    if invited is None:
        return None
    organization = await uow.organizations.get(invited.organization_id)
    if organization is None:
        raise Conflict("This invitation's organization is gone.", code=ErrorCode.INVITATION_INVALID)
    membership = await add_member(
        uow,
        organization,
        account_id=account.id,
        role=invited.role,
        status=MembershipStatus.ACTIVE,
        now=now,
        details=pick(registration, hook.details),
    )
    return Joined(membership, organization)
