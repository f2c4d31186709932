"""What completion adds for the organization, teacher and student flows and for invitees.

Called by ``Completion`` inside its unit of work, after the account row is
written: the profile, then either the new organization with its owner
membership (``organization`` flow) or the membership joining an existing one
(by join code, following the join policy, or by invitation, always active).
Everything here is written in that same transaction, so completion creates
all of it or nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from regflow.core import onboarding, organizations, webhooks
from regflow.core.invitations import invitation_of
from regflow.core.model import (
    Account,
    Membership,
    MembershipStatus,
    Organization,
    Registration,
    Role,
)
from regflow.core.ports import UnitOfWork
from regflow.errors import Conflict, ErrorCode
from regflow.services.completed import NextStep
from regflow.services.context import ServiceContext
from regflow.services.joining import add_member, join_by_code
from regflow.services.organizations import (
    OrganizationView,
    create_organization,
    organization_view,
)
from regflow.services.webhooks import organization_data, publish  # webhooks

person_names = onboarding.person_names  # the account's first and last name, for Completion


@dataclass
class Joined:
    """The membership (and organization) completion made; ``founded`` when it created the
    organization (its owner sees all of it), with what its owner may do next."""

    membership: Membership | None = None
    organization: Organization | None = None
    founded: OrganizationView | None = None
    next_steps: tuple[NextStep, ...] = ()


class Onboarding:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def join(
        self, uow: UnitOfWork, registration: Registration, account: Account
    ) -> Joined | None:
        """Write what the flow adds to ``account``; None for flows this does not handle."""
        if not onboarding.is_onboarding(registration):
            return None
        now = self.ctx.clock()
        profile = onboarding.profile(registration, account.id, now)
        if profile is not None:
            await uow.profiles.add(profile)
        if onboarding.founds_organization(registration):
            return await self._found(uow, registration, account, now)
        role = onboarding.role(registration)
        details = onboarding.membership_details(registration)
        invited = invitation_of(registration)
        if invited is not None:
            organization = await uow.organizations.get(str(invited["organization_id"]))
            if organization is None:
                raise Conflict(
                    "This invitation's organization is gone.", code=ErrorCode.INVITATION_INVALID
                )
            membership = await add_member(  # invited: active whatever the join policy
                uow,
                organization,
                account_id=account.id,
                role=role,
                status=MembershipStatus.ACTIVE,
                now=now,
                details=details,
            )
            return Joined(membership, organization)
        code = onboarding.join_code(registration)
        if code is None:
            return Joined()  # freelance teacher, standalone student
        organization, membership = await join_by_code(
            uow, code, account_id=account.id, role=role, now=now, details=details
        )
        return Joined(membership, organization)

    async def _found(
        self, uow: UnitOfWork, registration: Registration, account: Account, now: datetime
    ) -> Joined:
        """The organization flow: organization, owner membership and logo, together."""
        settings = onboarding.organization_settings(registration)
        logo = onboarding.logo_key(registration)
        if logo is not None:
            settings["logo"] = logo
        organization = await create_organization(
            self.ctx,
            uow,
            name=onboarding.organization_name(registration),
            country=str(settings.get("country") or onboarding.UNKNOWN_COUNTRY),
            settings=settings,
            join_policy=onboarding.join_policy(registration),
            now=now,
            organization_id=onboarding.reserved(registration, "organization_id"),
            join_code=onboarding.reserved(registration, "join_code"),
        )
        if logo is not None and not await uow.uploads.claim(logo, organization.id, now):
            raise Conflict(
                "The logo upload has expired; upload it again.", code=ErrorCode.LOGO_INVALID
            )
        membership = Membership(
            str(uuid.uuid4()),
            account.id,
            organization.id,
            Role.OWNER,
            MembershipStatus.ACTIVE,
            now,
        )
        await uow.memberships.add(membership)
        data = organization_data(organization, account)  # webhooks
        await publish(self.ctx, uow, webhooks.ORGANIZATION_CREATED, data)
        founded = organization_view(organization, self.ctx.links)
        steps = tuple(NextStep(s["id"], s["text"]) for s in organizations.NEXT_STEPS)
        return Joined(membership, organization, founded, steps)
