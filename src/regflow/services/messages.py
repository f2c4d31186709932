"""Outbox messages and funnel events built from a registration (no I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regflow.core.cryptokit import new_uuid
from regflow.core.engine import RecordEvent
from regflow.core.model import (
    Channel,
    FunnelEvent,
    OutboxKind,
    OutboxMessage,
    Registration,
)
from regflow.core.ports import PublicLinks
from regflow.core.verification import Issued


def code_message(
    registration: Registration,
    issued: Issued,
    *,
    links: PublicLinks,
    now: datetime,
    existing_account: bool,
) -> OutboxMessage:
    """The mail or SMS carrying a code; for a known email, the "already registered" mail."""
    v = issued.verification
    context: dict[str, Any]
    if existing_account:
        template, context = ALREADY_REGISTERED, already_registered(registration, links)
    else:
        template = "verification_code"
        minutes = max(1, int((v.expires_at - now).total_seconds() // 60))
        context = {"code": issued.code, "expires_minutes": minutes, "flow": registration.flow}
        if v.channel is Channel.EMAIL:
            context["link"] = localized(
                links.verification(registration.contract, issued.link_token), registration.locale
            )
    return OutboxMessage(
        id=new_uuid(),
        kind=OutboxKind.EMAIL if v.channel is Channel.EMAIL else OutboxKind.SMS,
        recipient=v.target,
        template=template,
        context=context,
        created_at=now,
        available_at=now,
        locale=registration.locale,
    )


ALREADY_REGISTERED = "already_registered"


def already_registered(registration: Registration, links: PublicLinks) -> dict[str, Any]:
    """The context of the "already registered" mail that replaces a code for a known email."""
    return {
        "sign_in_url": localized(links.sign_in(), registration.locale),
        "reset_url": localized(links.password_reset(), registration.locale),
    }


def localized(url: str, locale: str) -> str:
    """``url`` opening its page in ``locale`` (the hosted pages read ``?lang=``)."""
    short = locale.split("-")[0].lower()
    if short == "en" or not short.isalpha():
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={short}"


def funnel_event(
    registration: Registration, effect: RecordEvent, now: datetime, *, org: str | None = None
) -> FunnelEvent:
    return FunnelEvent(
        registration_id=registration.id,
        flow=registration.flow,
        kind=effect.kind,
        at=now,
        step=effect.step,
        code=effect.code,
        variant=registration.variant,
        contract=registration.contract,
        organization_id=org,
        channel=effect.channel,
    )
