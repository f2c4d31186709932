"""Webhook events: which subscribers get which event, as outbox rows (no I/O).

A subscriber is configured with a URL, a secret and the event types it wants
(``REGFLOW_WEBHOOKS``). The core only knows the URL and the event types: the
secret stays with the delivery side, which signs each request. One outbox row
is written per subscriber and event, in the transaction of the change, so each
subscriber is retried on its own and a slow one never holds up the others.

The row's ``template`` is the event type, its ``recipient`` the subscriber's
URL, its ``context`` the event body ``{"type", "timestamp", "data"}``, and its
id becomes the ``webhook-id`` header: the same on every attempt, so a receiver
can drop a duplicate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regflow.core.model import OutboxKind, OutboxMessage

REGISTRATION_COMPLETED = "registration.completed"
ORGANIZATION_CREATED = "organization.created"
MEMBERSHIP_REQUESTED = "membership.requested"
MEMBERSHIP_APPROVED = "membership.approved"
MEMBERSHIP_REJECTED = "membership.rejected"
EVENT_TYPES = (
    REGISTRATION_COMPLETED,
    ORGANIZATION_CREATED,
    MEMBERSHIP_REQUESTED,
    MEMBERSHIP_APPROVED,
    MEMBERSHIP_REJECTED,
)


@dataclass(frozen=True)
class Subscription:
    """Where one subscriber wants which events (its secret is not needed here)."""

    url: str
    events: frozenset[str] = frozenset(EVENT_TYPES)

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event_messages(
    subscriptions: Iterable[Subscription],
    event_type: str,
    data: Mapping[str, Any],
    now: datetime,
) -> list[OutboxMessage]:
    """One outbox row per subscriber of ``event_type``; none when nobody subscribed."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    body = {"type": event_type, "timestamp": iso(now), "data": dict(data)}
    return [
        OutboxMessage(
            id=f"msg_{uuid.uuid4().hex}",
            kind=OutboxKind.WEBHOOK,
            recipient=subscription.url,
            template=event_type,
            context=body,
            created_at=now,
            available_at=now,
        )
        for subscription in subscriptions
        if subscription.wants(event_type)
    ]
