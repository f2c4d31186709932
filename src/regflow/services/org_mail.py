"""Mail about organizations (no I/O): invitations and approval decisions.

Links are built from the configured public URL, never from a request's
``Host`` header. The invitation link is a bearer secret: it only lives in the
outbox row until delivery (scrubbed once sent, as codes are).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from regflow.core.invitations import Invitation
from regflow.core.model import Organization, OutboxKind, OutboxMessage
from regflow.services.messages import localized


def _mail(
    recipient: str, template: str, context: dict[str, Any], now: datetime, locale: str
) -> OutboxMessage:
    return OutboxMessage(
        id=str(uuid.uuid4()),
        kind=OutboxKind.EMAIL,
        recipient=recipient,
        template=template,
        context=context,
        created_at=now,
        available_at=now,
        locale=locale,
    )


INVITATION_PATH = "/v1/invitations/"  # the API's; the hosted UI serves its own page


def invitation_link(public_url: str, token: str, path: str = INVITATION_PATH) -> str:
    return f"{public_url.rstrip('/')}{path}{token}"


def invitation_message(
    invitation: Invitation,
    token: str,
    organization: Organization,
    *,
    public_url: str,
    now: datetime,
    locale: str = "en",
    link_path: str = INVITATION_PATH,
) -> OutboxMessage:
    days = max(1, round((invitation.expires_at - now).total_seconds() / 86400))
    context = {
        "organization_name": organization.name,
        "role": invitation.role,  # the templates name it in their language
        "link": localized(invitation_link(public_url, token, link_path), locale),
        "expires_days": days,
    }
    return _mail(invitation.email, "invitation", context, now, locale)


def decision_message(
    recipient: str,
    organization: Organization,
    *,
    approved: bool,
    role: str,
    public_url: str,
    now: datetime,
    locale: str = "en",
) -> OutboxMessage:
    template = "membership_approved" if approved else "membership_rejected"
    context = {
        "organization_name": organization.name,
        "role": role,
        "sign_in_url": localized(f"{public_url.rstrip('/')}/sign-in", locale),
    }
    return _mail(recipient, template, context, now, locale)
