"""Organizations as their owners and admins see them: members, invitations, logos."""

from __future__ import annotations

from typing import Any

from regflow.api.v1.serialize._time import optional_timestamp, timestamp
from regflow.api.v1.serialize.sessions import token
from regflow.core.invitations import Invitation
from regflow.core.model import Membership
from regflow.core.onboarding import MemberView
from regflow.services.invitation_admin import InvitationView
from regflow.services.invitations import InvitationAccepted, InvitationPreview
from regflow.services.org_admin import MemberPage
from regflow.services.organizations import OrganizationView
from regflow.services.uploads import StoredLogo


def organization(view: OrganizationView) -> dict[str, Any]:
    """The organization as its owners and admins see it."""
    return {
        "id": view.id,
        "name": view.name,
        "slug": view.slug,
        "join_code": view.join_code,
        "join_policy": view.join_policy.value,
        "two_factor": view.two_factor,
        "settings": dict(view.settings),
        "logo_url": view.logo_url,
        "created_at": timestamp(view.created_at),
    }


def invitation_sent(invitation: Invitation) -> dict[str, Any]:
    """``POST /v1/organizations/{id}/invitations``' 201 body."""
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "expires_at": timestamp(invitation.expires_at),
    }


def invitation_preview(preview: InvitationPreview) -> dict[str, Any]:
    return {
        "organization": {"name": preview.organization_name},
        "role": preview.role,
        "email": preview.masked_email,
        "expires_at": timestamp(preview.expires_at),
    }


def invitation_accepted(accepted: InvitationAccepted) -> dict[str, Any]:
    org, membership = accepted.organization, accepted.membership
    return {
        "account": {"id": accepted.account_id, "email": accepted.email},
        "organization": {"id": org.id, "name": org.name, "slug": org.slug},
        "membership": {
            "id": membership.id,
            "role": membership.role.value,
            "status": membership.status.value,
        },
        **token(accepted.token),
    }


def member(view: MemberView) -> dict[str, Any]:
    return {
        "id": view.id,
        "account_id": view.account_id,
        "email": view.email,
        "first_name": view.first_name,
        "last_name": view.last_name,
        "role": view.role.value,
        "status": view.status.value,
        "details": view.details,
        "created_at": timestamp(view.created_at),
    }


def member_page(page: MemberPage) -> dict[str, Any]:
    return {
        "members": [member(m) for m in page.members],
        "limit": page.limit,
        "offset": page.offset,
    }


def decided(membership: Membership) -> dict[str, Any]:
    """An approved or rejected membership."""
    return {"id": membership.id, "role": membership.role.value, "status": membership.status.value}


def invitation(view: InvitationView) -> dict[str, Any]:
    """One of ``GET /v1/organizations/{id}/invitations``' invitations."""
    return {
        "id": view.id,
        "email": view.email,
        "role": view.role,
        "status": view.status.value,
        "created_at": timestamp(view.created_at),
        "expires_at": timestamp(view.expires_at),
        "accepted_at": optional_timestamp(view.accepted_at),
    }


def stored_logo(stored: StoredLogo) -> dict[str, Any]:
    """``POST /v1/uploads/logo``'s 201 body."""
    return {
        "key": stored.key,
        "content_type": stored.content_type,
        "width": stored.width,
        "height": stored.height,
        "size": stored.size,
        "url": stored.url,
        "expires_at": timestamp(stored.expires_at),
    }
