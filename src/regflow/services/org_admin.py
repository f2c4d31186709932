"""An organization's owners and admins: the approval queue, settings and join code.

Every call carries the caller's access token. It is verified (signature,
algorithm, expiry), its ``ver`` must equal the account's current token
version (bumping it revokes older tokens), it must speak for this
organization with the ``owner`` or ``admin`` role, and that membership must
still be active in the database: a token outliving a demotion gets nothing.
A missing or invalid token is 401 ``INVALID_TOKEN``; a valid token without
the right is 403 ``FORBIDDEN``, whether or not the organization exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from regflow.core import organizations as orgs
from regflow.core import webhooks
from regflow.core.model import (
    Account,
    JoinPolicy,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from regflow.core.onboarding import MemberView
from regflow.core.ports import TokenVerifier, UnitOfWork
from regflow.errors import (
    Conflict,
    ErrorCode,
    FieldProblem,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from regflow.services.bearer import authenticated
from regflow.services.context import ServiceContext
from regflow.services.org_mail import decision_message
from regflow.services.organizations import (
    OrganizationView,
    organization_view,
    rotate_join_code,
)
from regflow.services.webhooks import membership_data, publish  # webhooks

ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
MEMBER_STATUSES = tuple(status.value for status in MembershipStatus)


@dataclass(frozen=True)
class MemberPage:
    """One page of an organization's members, oldest first."""

    members: tuple[MemberView, ...]
    limit: int
    offset: int


class OrgAdmin:
    def __init__(self, ctx: ServiceContext, verifier: TokenVerifier) -> None:
        self.ctx = ctx
        self.verifier = verifier

    async def authorize(
        self, uow: UnitOfWork, token: str | None, organization_id: str
    ) -> tuple[Account, Organization]:
        """The calling admin and the organization, or 401/403 (see the module docstring)."""
        account, claims = await authenticated(self.verifier, uow, token)
        if claims.org != organization_id or claims.role not in ADMIN_ROLES:
            raise Forbidden("Only this organization's owners and admins may do this.")
        memberships = await uow.memberships.for_account(account.id)
        if not any(
            m.organization_id == organization_id
            and m.role in ADMIN_ROLES
            and m.status is MembershipStatus.ACTIVE
            for m in memberships
        ):
            raise Forbidden("Only this organization's owners and admins may do this.")
        organization = await uow.organizations.get(organization_id)
        if organization is None:
            raise Forbidden("Only this organization's owners and admins may do this.")
        return account, organization

    async def organization(self, token: str | None, organization_id: str) -> OrganizationView:
        async with self.ctx.uow(read_only=True) as uow:
            _, organization = await self.authorize(uow, token, organization_id)
        return organization_view(organization, self.ctx.links)

    async def members(
        self, token: str | None, organization_id: str, status: str | None, limit: int, offset: int
    ) -> MemberPage:
        if status is not None and status not in MEMBER_STATUSES:
            message = "Choose one of: " + ", ".join(MEMBER_STATUSES) + "."
            raise ValidationFailed.single("status", ErrorCode.INVALID_CHOICE, message)
        async with self.ctx.uow(read_only=True) as uow:
            await self.authorize(uow, token, organization_id)
            found = await uow.memberships.for_organization(
                organization_id, status, limit=limit, offset=offset
            )
        return MemberPage(tuple(found), limit, offset)

    async def decide(
        self, token: str | None, organization_id: str, membership_id: str, *, approve: bool
    ) -> Membership:
        """Approve or reject a pending membership (the decided membership); the member is
        told by mail."""
        status = MembershipStatus.ACTIVE if approve else MembershipStatus.REJECTED
        async with self.ctx.uow() as uow:
            admin, organization = await self.authorize(uow, token, organization_id)
            membership = await uow.memberships.get(membership_id)
            if membership is None or membership.organization_id != organization_id:
                raise NotFound(
                    "No such member in this organization.", code=ErrorCode.MEMBER_NOT_FOUND
                )
            if not await uow.memberships.set_status(
                membership_id, organization_id, expected=MembershipStatus.PENDING, status=status
            ):
                raise Conflict(
                    "This membership is not pending.", code=ErrorCode.MEMBERSHIP_NOT_PENDING
                )
            member = await uow.accounts.get(membership.account_id)
            if member is not None:
                await uow.outbox.add(
                    decision_message(
                        member.email,
                        organization,
                        approved=approve,
                        role=membership.role,
                        links=self.ctx.links,
                        now=self.ctx.clock(),
                        locale=member.locale,
                    )
                )
            event = webhooks.MEMBERSHIP_APPROVED if approve else webhooks.MEMBERSHIP_REJECTED
            decided = replace(membership, status=status)
            await publish(self.ctx, uow, event, membership_data(decided, decided_by=admin.id))
            await uow.commit()
        self.ctx.outbox_written()
        return decided

    async def update(
        self,
        token: str | None,
        organization_id: str,
        *,
        join_policy: str | None,
        departments: list[str] | None,
        two_factor: bool | None = None,
        logo: str | None = None,
    ) -> OrganizationView:
        """Change the join policy, the department list, whether members need two-factor
        sign-in and/or the logo (the key of an upload from ``POST /v1/uploads/logo``)."""
        problems: list[FieldProblem] = []
        clean: list[str] | None = None
        policy = JoinPolicy(join_policy) if join_policy in orgs.JOIN_POLICIES else None
        if join_policy is not None and policy is None:
            message = "Choose one of: " + ", ".join(orgs.JOIN_POLICIES) + "."
            problems.append(FieldProblem("join_policy", ErrorCode.INVALID_CHOICE, message))
        try:
            clean = orgs.normalize_departments(departments) if departments is not None else None
        except FieldProblem as problem:
            problems.append(problem)
        if problems:
            raise ValidationFailed(problems)
        async with self.ctx.uow() as uow:
            _, organization = await self.authorize(uow, token, organization_id)
            if policy is not None:
                organization.join_policy = policy
            if clean is not None:
                organization.settings = {**organization.settings, "departments": clean}
            if two_factor is not None:
                organization.settings = {**organization.settings, "two_factor": two_factor}
            if logo is not None:
                if not await uow.uploads.claim(logo, organization.id, self.ctx.clock()):
                    message = "This upload is unknown or has expired; upload the logo again."
                    raise ValidationFailed.single("logo", ErrorCode.LOGO_INVALID, message)
                organization.settings = {**organization.settings, "logo": logo}
            await uow.organizations.update(organization)
            await uow.commit()
        return organization_view(organization, self.ctx.links)

    async def rotate(self, token: str | None, organization_id: str) -> str:
        """A fresh join code; the previous one stops working."""
        async with self.ctx.uow() as uow:
            _, organization = await self.authorize(uow, token, organization_id)
            code = await rotate_join_code(self.ctx, uow, organization)
            await uow.commit()
        return code
