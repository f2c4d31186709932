"""Creating organizations with unique slugs and join codes, rotating codes, public lookup.

Uniqueness is the database's: an insert that hits the slug or join code
index is retried inside the same transaction (the repository wraps it in a
savepoint) with a suffixed slug or a fresh code, so racing registrations of
one name end with distinct slugs, or a clear ``ORG_SLUG_EXISTS`` once the
tries run out; never a duplicate and never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regflow.core import hooks
from regflow.core import organizations as orgs
from regflow.core.hooks import FoundOrganization
from regflow.core.model import JoinPolicy, Organization, Registration
from regflow.core.ports import PublicLinks, UnitOfWork
from regflow.core.second_factor import requires_second_factor
from regflow.errors import Conflict, ErrorCode, FieldProblem, NotFound, UniqueViolation
from regflow.services.context import ServiceContext

NOT_FOUND = "No organization has this code."


def _exhausted() -> Conflict:
    return Conflict(
        "Unable to create a unique organization identifier.", code=ErrorCode.ORG_SLUG_EXISTS
    )


async def create_organization(
    ctx: ServiceContext,
    uow: UnitOfWork,
    *,
    name: str,
    country: str,
    settings: dict[str, Any],
    join_policy: JoinPolicy,
    now: datetime,
    organization_id: str | None = None,
    join_code: str | None = None,
) -> Organization:
    """Insert a new organization, retrying slug and join code collisions.

    ``organization_id`` and ``join_code`` were drawn earlier (shown to the client before
    completion); the code is tried first and replaced only if it was taken meanwhile.
    """
    policy = ctx.organizations
    slugs = orgs.slug_candidates(orgs.slug_for(name), policy.unique_attempts)
    slug = next(slugs)
    organization_id = organization_id or str(uuid.uuid4())
    preferred = join_code
    for _ in range(2 * policy.unique_attempts):
        code = preferred or orgs.new_join_code(
            country, name, now.year, policy.join_code_random_length
        )
        organization = Organization(
            id=organization_id,
            name=name,
            slug=slug,
            join_code=code,
            created_at=now,
            settings=settings,
            join_policy=join_policy,
        )
        try:
            await uow.organizations.add(organization)
        except UniqueViolation as violation:
            if violation.field == "slug":
                slug = next(slugs, "")
                if not slug:
                    raise _exhausted() from None
            else:
                preferred = None  # a join code collision: draw another
            continue
        return organization
    raise _exhausted()


async def reserve_join_code(
    ctx: ServiceContext, uow: UnitOfWork, registration: Registration
) -> None:
    """Draw the join code of the organization a registration will found, when its
    organization step is submitted, so that it can be shown before completion (seed 001).

    An earlier reservation is kept while the country, name and year still give its prefix.
    Uniqueness is checked now and enforced again by the insert at completion.
    """
    founding = ctx.engine.flow(registration.flow).hooks(FoundOrganization)
    if not founding:
        return  # the flow founds no organization: no code to draw
    name = hooks.organization_name(founding[0], registration)
    country = hooks.organization_country(founding[0], registration)
    year = ctx.clock().year
    prefix = f"{country.upper()}-{orgs.abbreviation(name)}-{year:04d}-"
    current = registration.reserved.join_code
    if current and current.startswith(prefix):
        return
    policy = ctx.organizations
    for _ in range(policy.unique_attempts):
        code = orgs.new_join_code(country, name, year, policy.join_code_random_length)
        if await uow.organizations.get_by_join_code(code) is None:
            registration.reserved.join_code = code
            return
    raise _exhausted()


async def rotate_join_code(ctx: ServiceContext, uow: UnitOfWork, organization: Organization) -> str:
    """Give ``organization`` a fresh join code; the old one stops working at commit."""
    policy = ctx.organizations
    country = str(organization.settings.get("country") or organization.join_code[:2])
    for _ in range(policy.unique_attempts):
        organization.join_code = orgs.new_join_code(
            country, organization.name, ctx.clock().year, policy.join_code_random_length
        )
        try:
            await uow.organizations.update(organization)
        except UniqueViolation:
            continue
        return organization.join_code
    raise Conflict(
        "Unable to draw a unique join code; try again.", code=ErrorCode.ORG_CODE_EXHAUSTED
    )


@dataclass(frozen=True)
class OrganizationView:
    """The organization as its owners and admins see it."""

    id: str
    name: str
    slug: str
    join_code: str
    join_policy: JoinPolicy
    two_factor: bool  # members must sign in with a second factor
    settings: Mapping[str, Any]  # without the logo's key: see logo_url
    logo_url: str | None
    created_at: datetime


def organization_view(organization: Organization, links: PublicLinks) -> OrganizationView:
    logo = organization.settings.get("logo")
    return OrganizationView(
        id=organization.id,
        name=organization.name,
        slug=organization.slug,
        join_code=organization.join_code,
        join_policy=organization.join_policy,
        two_factor=requires_second_factor(organization.settings),
        settings={k: v for k, v in organization.settings.items() if k != "logo"},
        logo_url=links.logo(str(logo)) if logo else None,
        created_at=organization.created_at,
    )


class Organizations:
    """The public side: what a join code names, before joining."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def by_code(self, raw: str) -> str:
        """Only the name: the code is the secret, the rest of the organization is not public."""
        try:
            code = orgs.normalize_join_code(raw)
        except FieldProblem:
            raise NotFound(NOT_FOUND, code=ErrorCode.ORG_CODE_INVALID) from None
        async with self.ctx.uow(read_only=True) as uow:
            organization = await uow.organizations.get_by_join_code(code)
        if organization is None:
            raise NotFound(NOT_FOUND, code=ErrorCode.ORG_CODE_INVALID)
        return organization.name
