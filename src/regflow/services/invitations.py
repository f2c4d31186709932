"""Invitations: an admin invites an email with a role; following the link starts a registration.

Accepting consumes the invitation and creates the registration in one
transaction (``UPDATE … WHERE accepted_at IS NULL``): of any number of
concurrent accepts exactly one gets a registration, the others 409
``INVITATION_USED``. The registration is of the flow that fits the role
(teacher, student, else member), pre-linked to the organization and role, with
the invited email already verified: following the link proved it. Its
membership will be active whatever the join policy. An invitation that was
used cannot be used again; the admin sends a new one.

Someone who has an account already accepts with its access token instead
(:meth:`Invitations.accept_with_account`): in one transaction the invitation
is consumed the same race-safe way and the account's membership of the
organization becomes active with the invited role (see
``regflow.core.invitations.admit`` for an existing membership), a
``membership.approved`` webhook is queued, and the answer carries a fresh
access token for that organization and role. The token is checked first (401
``INVALID_TOKEN``), then the invitation (404, 409 ``INVITATION_USED``, 410),
then the account's email (403 ``INVITATION_EMAIL_MISMATCH``) and membership
(409 ``ALREADY_MEMBER``); every refusal leaves the invitation unused. No
funnel event is recorded: there is no registration.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from regflow.core import cryptokit, identifiers, invitations, webhooks
from regflow.core.flowspec import flow_for_invitee
from regflow.core.invitations import INVITABLE_ROLES, Invitation
from regflow.core.model import Membership
from regflow.core.ports import UnitOfWork
from regflow.errors import (
    Conflict,
    ErrorCode,
    FieldProblem,
    Gone,
    NotFound,
    UniqueViolation,
    ValidationFailed,
)
from regflow.services.base import RegistrationUseCase
from regflow.services.bearer import authenticated
from regflow.services.completed import OrganizationRef
from regflow.services.org_admin import OrgAdmin
from regflow.services.org_mail import invitation_message
from regflow.services.registrations import Started
from regflow.services.sessions import TokenGrant, token_response
from regflow.services.views import describe
from regflow.services.webhooks import membership_data, publish

NOT_FOUND = "This invitation is not valid."
USED = "This invitation was already used."


@dataclass(frozen=True)
class InvitationPreview:
    """What following an invitation's link would do (it stays unused)."""

    organization_name: str | None  # None: the organization is gone
    role: str
    masked_email: str
    expires_at: datetime


@dataclass(frozen=True)
class InvitationAccepted:
    """An invitation accepted by an existing account: its active membership and a token
    for that organization and role."""

    account_id: str
    email: str
    organization: OrganizationRef
    membership: Membership
    token: TokenGrant


class Invitations(RegistrationUseCase):
    def __init__(self, admin: OrgAdmin) -> None:
        super().__init__(admin.ctx)
        self.admin = admin

    async def invite(
        self, token: str | None, organization_id: str, email: str, role: str, locale: str = "en"
    ) -> Invitation:
        """Invite ``email`` as ``role`` (not ``owner``); the link goes out by mail, in
        ``locale`` (the inviter's language: the invitee's is not known yet)."""
        problems: list[FieldProblem] = []
        address = ""
        try:
            address = identifiers.normalize_email(email)
        except FieldProblem as problem:
            problems.append(problem)
        if role not in INVITABLE_ROLES:
            message = "Choose one of: " + ", ".join(INVITABLE_ROLES) + "."
            problems.append(FieldProblem("role", ErrorCode.INVALID_CHOICE, message))
        if problems:
            raise ValidationFailed(problems)
        now = self.ctx.clock()
        async with self.ctx.uow() as uow:
            inviter, organization = await self.admin.authorize(uow, token, organization_id)
            issued = invitations.issue(
                organization_id=organization.id,
                email=address,
                role=role,
                invited_by=inviter.id,
                now=now,
                ttl=self.ctx.organizations.invitation_ttl,
            )
            await uow.invitations.add(issued.invitation)
            await uow.outbox.add(
                invitation_message(
                    issued.invitation,
                    issued.token,
                    organization,
                    links=self.ctx.links,
                    now=now,
                    locale=locale,
                )
            )
            await uow.commit()
        self.ctx.outbox_written()
        return issued.invitation

    async def preview(self, link_token: str) -> InvitationPreview:
        """What following the link would do, without consuming it (mail scanners GET links)."""
        async with self.ctx.uow(read_only=True) as uow:
            invitation = await self._usable(uow, link_token)
            organization = await uow.organizations.get(invitation.organization_id)
        return InvitationPreview(
            organization.name if organization else None,
            invitation.role,
            identifiers.mask_email(invitation.email),
            invitation.expires_at,
        )

    async def accept(self, link_token: str, locale: str = "en") -> Started:
        """Consume the invitation and start its registration: the state plus its token."""
        registration_token = cryptokit.new_token()
        registration_id = str(uuid.uuid4())
        now = self.ctx.clock()
        async with self.ctx.uow() as uow:
            invitation = await self._usable(uow, link_token)
            spec = flow_for_invitee(invitation.role, self.ctx.engine.flows.values())
            if spec is None:
                raise Conflict(
                    "No flow for this invitation is enabled.", code=ErrorCode.FLOW_UNKNOWN
                )
            outcome = self.ctx.engine.start(
                spec.name,
                registration_id=registration_id,
                token_hash=cryptokit.sha256_hex(registration_token),
                now=now,
                variant=self.ctx.experiments.assign(spec.name, registration_id, None),
                locale=locale,
                invitation=invitations.link(invitation),
            )
            registration = outcome.registration
            registration.verified["email"] = invitation.email  # the link proved the address
            if not await uow.invitations.accept(invitation.id, registration.id, now):
                raise Conflict(USED, code=ErrorCode.INVITATION_USED)
            await self.record(uow, registration, outcome.effects)  # carried by the add
            await uow.registrations.add(registration)
            await uow.commit()
        return Started(registration_token, describe(self.ctx, registration, []))

    async def accept_with_account(self, link_token: str, access_token: str) -> InvitationAccepted:
        """Consume the invitation for the account of ``access_token``: its membership and a
        token for the organization (see the module docstring)."""
        now = self.ctx.clock()
        async with self.ctx.uow() as uow:
            account, _ = await authenticated(self.admin.verifier, uow, access_token)
            invitation = await self._usable(uow, link_token)
            # consume first: of racing accepts one gets the row and the others, once it is
            # committed, find it used; a refusal below rolls the consumption back
            if not await uow.invitations.accept(invitation.id, None, now):
                raise Conflict(USED, code=ErrorCode.INVITATION_USED)
            admission = invitations.admit(
                invitation,
                account,
                await uow.memberships.for_account(account.id),
                membership_id=str(uuid.uuid4()),
                now=now,
            )
            membership = admission.membership
            if admission.previous is None:
                try:
                    await uow.memberships.add(membership)
                except UniqueViolation:  # another invitation of this organization, meanwhile
                    raise invitations.already_member() from None
            elif not await uow.memberships.set_status(
                membership.id,
                membership.organization_id,
                expected=admission.previous,
                status="active",
                role=membership.role,
            ):
                raise Conflict("The membership was changed meanwhile; please retry.")
            organization = await uow.organizations.get(membership.organization_id)
            if organization is None:  # deleted since the invitation was read
                raise NotFound(NOT_FOUND, code=ErrorCode.INVITATION_NOT_FOUND)
            data = membership_data(
                membership,
                email=account.email,
                decided_by=invitation.invited_by,
                invitation_id=invitation.id,
            )
            await publish(self.ctx, uow, webhooks.MEMBERSHIP_APPROVED, data)
            await uow.commit()
        self.ctx.outbox_written()
        return InvitationAccepted(
            account.id,
            account.email,
            OrganizationRef.of(organization),
            membership,
            token_response(self.ctx, account, membership, organization=organization),
        )

    async def _usable(self, uow: UnitOfWork, link_token: str) -> Invitation:
        invitation = await uow.invitations.get_by_token_hash(cryptokit.sha256_hex(link_token))
        if invitation is None:
            raise NotFound(NOT_FOUND, code=ErrorCode.INVITATION_NOT_FOUND)
        if invitation.accepted_at is not None:
            raise Conflict(USED, code=ErrorCode.INVITATION_USED)
        if self.ctx.clock() >= invitation.expires_at:
            raise Gone(
                "This invitation has expired; ask for a new one.", code=ErrorCode.INVITATION_EXPIRED
            )
        return invitation
