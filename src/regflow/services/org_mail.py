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
from regflow.core.ports import PublicLinks
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


def invitation_message(
    invitation: Invitation,
    token: str,
    organization: Organization,
    *,
    links: PublicLinks,
    now: datetime,
    locale: str = "en",
) -> OutboxMessage:
    days = max(1, round((invitation.expires_at - now).total_seconds() / 86400))
    context = {
        "organization_name": organization.name,
        "role": invitation.role,  # the templates name it in their language
        "link": localized(links.invitation(token), locale),
        "expires_days": days,
    }
    return _mail(invitation.email, "invitation", context, now, locale)


def decision_message(
    recipient: str,
    organization: Organization,
    *,
    approved: bool,
    role: str,
    links: PublicLinks,
    now: datetime,
    locale: str = "en",
) -> OutboxMessage:
    template = "membership_approved" if approved else "membership_rejected"
    context = {
        "organization_name": organization.name,
        "role": role,
        "sign_in_url": localized(links.sign_in(), locale),
    }
    return _mail(recipient, template, context, now, locale)
