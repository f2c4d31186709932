"""Joining an organization by its join code: the one path every flow takes.

The member flow's optional ``org_code``, the teacher and student flows'
``organization`` step and any contract built on them all end here, inside
their completion's unit of work. The organization's join policy is read at
that moment, not when the code was typed: an organization that switched to
``invite_only`` since refuses the join (``ORG_INVITE_ONLY``), and one that
switched to ``approval`` gives a ``pending`` membership.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from regflow.core import organizations
from regflow.core.model import Membership, MembershipStatus, Organization, Role
from regflow.core.ports import UnitOfWork
from regflow.errors import Conflict, ErrorCode

INVITE_ONLY = "This organization accepts members by invitation only."


async def organization_by_code(uow: UnitOfWork, code: str) -> Organization:
    """The organization ``code`` names (any case), or Conflict ``ORG_CODE_INVALID``."""
    organization = await uow.organizations.get_by_join_code(code.strip().upper())
    if organization is None:
        raise Conflict("No organization has this code.", code=ErrorCode.ORG_CODE_INVALID)
    return organization


async def join_by_code(
    uow: UnitOfWork,
    code: str,
    *,
    account_id: str,
    role: Role,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> tuple[Organization, Membership]:
    """Add ``account_id`` to the organization of ``code`` as its policy says, or refuse."""
    organization = await organization_by_code(uow, code)
    status = organizations.membership_status(organization.join_policy, invited=False)
    if status is None:
        raise Conflict(INVITE_ONLY, code=ErrorCode.ORG_INVITE_ONLY)
    membership = await add_member(
        uow,
        organization,
        account_id=account_id,
        role=role,
        status=status,
        now=now,
        details=details,
    )
    return organization, membership


async def join_named(
    uow: UnitOfWork, name: str, *, account_id: str, now: datetime
) -> tuple[Organization, Membership] | None:
    """Join the organization ``name`` (its id or slug: an OpenID client's ``organization``)
    as a member, as its policy says (open: active, approval: pending). Nothing is joined,
    and None returned, when no organization is named so, when it takes members by
    invitation only, or when the account belongs to it already."""
    organization = await uow.organizations.get(name) or await uow.organizations.get_by_slug(name)
    if organization is None:
        return None
    status = organizations.membership_status(organization.join_policy, invited=False)
    if status is None:
        return None
    for held in await uow.memberships.for_account(account_id):
        if held.organization_id == organization.id:
            return None
    membership = await add_member(
        uow, organization, account_id=account_id, role=Role.MEMBER, status=status, now=now
    )
    return organization, membership


async def add_member(
    uow: UnitOfWork,
    organization: Organization,
    *,
    account_id: str,
    role: Role,
    status: MembershipStatus,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Membership:
    """Write the membership, the department in the organization's own spelling."""
    details = dict(details or {})
    department = details.get("department")
    if department:
        known = organization.settings.get("departments") or []
        details["department"] = organizations.find_department(known, department) or department
    membership = Membership(
        id=str(uuid.uuid4()),
        account_id=account_id,
        organization_id=organization.id,
        role=role,
        status=status,
        created_at=now,
        details=details,
    )
    await uow.memberships.add(membership)
    return membership
