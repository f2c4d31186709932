"""Invitations: an organization's admin invites an email with a role.

The invitation is a random link token stored only as its SHA-256. Following
the link (a POST: mail scanners prefetch GETs) consumes it exactly once and
starts a registration pre-linked to the organization and role, with the email
already verified: it is the address the link was sent to. The registration
keeps the link as its typed ``invitation`` field (:func:`link`); the flows skip
their join-by-code steps for it, and the membership it ends in is active
whatever the join policy. Which flow an invitee registers through is declared
by the flows' ``AcceptInvitation`` hooks.

Someone who already has an account accepts with it instead (:func:`admit`):
no registration, the account's membership of the organization becomes active
with the invited role. The account's email must be the invited one; an active
membership is left as it is (``ALREADY_MEMBER``); a pending one is approved by
the invitation, and so is a rejected one: the invitation is an admin's later,
explicit decision about the same person, so it overrides the earlier refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from regflow.core import cryptokit, identifiers
from regflow.core.model import Account, InvitationLink, Membership, MembershipStatus, Role
from regflow.errors import Conflict, ErrorCode, FieldProblem, Forbidden

INVITABLE_ROLES = tuple(role.value for role in Role if role is not Role.OWNER)


@dataclass
class Invitation:
    id: str
    organization_id: str
    email: str
    role: str
    token_hash: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    registration_id: str | None = None


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its link token (sent once by mail, never stored)."""

    invitation: Invitation
    token: str


def issue(
    *,
    organization_id: str,
    email: str,
    role: str,
    invited_by: str,
    now: datetime,
    ttl: timedelta,
) -> IssuedInvitation:
    if role not in INVITABLE_ROLES:
        raise ValueError(f"role {role!r} cannot be invited")
    token = cryptokit.new_token()
    invitation = Invitation(
        id=str(uuid.uuid4()),
        organization_id=organization_id,
        email=email,
        role=role,
        token_hash=cryptokit.sha256_hex(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + ttl,
    )
    return IssuedInvitation(invitation, token)


def link(invitation: Invitation) -> InvitationLink:
    """What a registration keeps of the invitation that started it."""
    return InvitationLink(
        id=invitation.id,
        organization_id=invitation.organization_id,
        role=Role(invitation.role),
        email=invitation.email,
    )


@dataclass(frozen=True)
class Admission:
    """The membership an account holds once it accepted an invitation.

    ``previous`` is the status of the membership it had in the organization
    (``pending`` or ``rejected``), or ``None`` when ``membership`` is new.
    """

    membership: Membership
    previous: str | None


def already_member() -> Conflict:
    """409 ``ALREADY_MEMBER``: the invitation is left unused."""
    return Conflict(
        "This account is a member of the organization already.", code=ErrorCode.ALREADY_MEMBER
    )


def _same_address(account_email: str, invited: str) -> bool:
    try:
        return identifiers.normalize_email(account_email) == identifiers.normalize_email(invited)
    except FieldProblem:  # an address stored before today's rules: compare as stored
        return account_email.strip().lower() == invited.strip().lower()


def admit(
    invitation: Invitation,
    account: Account,
    memberships: Iterable[Membership],
    *,
    membership_id: str,
    now: datetime,
) -> Admission:
    """What accepting ``invitation`` with ``account`` does (see the module docstring).

    Raises ``Forbidden`` ``INVITATION_EMAIL_MISMATCH`` when the account's email
    is not the invited one, ``Conflict`` ``ALREADY_MEMBER`` when the account is
    an active member of the organization already.
    """
    if not _same_address(account.email, invitation.email):
        raise Forbidden(
            "This invitation was sent to another email address than this account's.",
            code=ErrorCode.INVITATION_EMAIL_MISMATCH,
        )
    current = next(
        (m for m in memberships if m.organization_id == invitation.organization_id), None
    )
    if current is None:
        joined = Membership(
            membership_id,
            account.id,
            invitation.organization_id,
            Role(invitation.role),
            MembershipStatus.ACTIVE,
            now,
        )
        return Admission(joined, None)
    if current.status is MembershipStatus.ACTIVE:
        raise already_member()
    admitted = replace(current, role=Role(invitation.role), status=MembershipStatus.ACTIVE)
    return Admission(admitted, current.status)
