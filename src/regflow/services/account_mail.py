"""Mail about an account after sign-up (no I/O): password resets and changes.

Links are built from the configured public URL, never from a request's
``Host`` header. Codes and link tokens live only in the outbox row until
delivery (scrubbed once sent, as verification codes are).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.core.recovery import IssuedReset
from regflow.services.messages import localized


def mail(
    recipient: str, template: str, context: dict[str, Any], now: datetime, locale: str = "en"
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


def reset_message(
    recipient: str,
    issued: IssuedReset,
    *,
    known: bool,
    public_url: str,
    link: str | None,
    now: datetime,
    locale: str = "en",
) -> OutboxMessage:
    """The code and link for an account's owner; for an address without an account, a mail
    saying so (the same work and the same kind of row, so nothing tells them apart)."""
    base = public_url.rstrip("/")
    if not known:
        sign_up = {"sign_up_url": localized(f"{base}/", locale)}
        return mail(recipient, "password_reset_unknown", sign_up, now, locale)
    minutes = max(1, int((issued.reset.expires_at - now).total_seconds() // 60))
    context: dict[str, Any] = {"code": issued.code, "expires_minutes": minutes}
    if link is not None:
        context["link"] = localized(link, locale)
    return mail(recipient, "password_reset", context, now, locale)


def password_changed_message(
    recipient: str, *, reset_url: str, now: datetime, locale: str = "en"
) -> OutboxMessage:
    context = {
        "reset_url": localized(reset_url, locale),
        "changed_at": now.strftime("%Y-%m-%d %H:%M"),
    }
    return mail(recipient, "password_changed", context, now, locale)
