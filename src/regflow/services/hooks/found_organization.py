"""Hook ``FoundOrganization``: the organization, its owner membership and logo, together."""

from __future__ import annotations

import uuid
from datetime import datetime

from regflow.core import hooks, organizations, webhooks
from regflow.core.hooks import FoundOrganization
from regflow.core.model import Account, Membership, MembershipStatus, Registration, Role
from regflow.core.ports import UnitOfWork
from regflow.errors import Conflict, ErrorCode
from regflow.services.completed import NextStep
from regflow.services.context import ServiceContext
from regflow.services.hooks.base import Joined
from regflow.services.organizations import create_organization, organization_view
from regflow.services.webhooks import organization_data, publish


async def found_organization(
    ctx: ServiceContext,
    uow: UnitOfWork,
    hook: FoundOrganization,
    registration: Registration,
    account: Account,
    now: datetime,
) -> Joined | None:
    """None for a registration an invitation started (it joins that organization)."""
    if not hooks.founds(hook, registration):
        return None
    settings = hooks.pick(registration, hook.settings)
    logo = hooks.logo_key(hook, registration)
    if logo is not None:
        settings["logo"] = logo
    organization = await create_organization(
        ctx,
        uow,
        name=hooks.organization_name(hook, registration),
        country=hooks.organization_country(hook, registration),
        settings=settings,
        join_policy=hooks.join_policy(hook, registration),
        now=now,
        organization_id=registration.reserved.organization_id,
        join_code=registration.reserved.join_code,
    )
    if logo is not None and not await uow.uploads.claim(logo, organization.id, now):
        raise Conflict("The logo upload has expired; upload it again.", code=ErrorCode.LOGO_INVALID)
    membership = Membership(
        str(uuid.uuid4()), account.id, organization.id, Role.OWNER, MembershipStatus.ACTIVE, now
    )
    await uow.memberships.add(membership)
    await publish(ctx, uow, webhooks.ORGANIZATION_CREATED, organization_data(organization, account))
    founded = organization_view(organization, ctx.links)
    steps = tuple(NextStep(step["id"], step["text"]) for step in organizations.NEXT_STEPS)
    return Joined(membership, organization, founded, steps)
