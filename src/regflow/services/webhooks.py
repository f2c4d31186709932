"""Webhook events written to the outbox inside the unit of work of the change.

``publish(ctx, uow, event_type, data)`` adds one row per subscriber of that
event (see ``regflow.core.webhooks``); the caller commits them with its change
and then calls ``ctx.outbox_written()``. The event bodies carry identifiers
and what a subscriber needs to act (the account's email and names on
completion), never a password hash, a code or a token.
"""

from __future__ import annotations

from typing import Any

from regflow.core import webhooks
from regflow.core.model import Account, Membership, Organization, Registration
from regflow.core.ports import UnitOfWork
from regflow.services.context import ServiceContext


async def publish(
    ctx: ServiceContext, uow: UnitOfWork, event_type: str, data: dict[str, Any]
) -> int:
    """Queue ``event_type`` for its subscribers in ``uow``; how many rows were written."""
    messages = webhooks.event_messages(ctx.webhooks, event_type, data, ctx.clock())
    for message in messages:
        await uow.outbox.add(message)
    return len(messages)


def membership_data(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {
        "membership_id": membership.id,
        "organization_id": membership.organization_id,
        "account_id": membership.account_id,
        "role": membership.role,
        "status": membership.status,
        **extra,
    }


def organization_data(organization: Organization, owner: Account) -> dict[str, Any]:
    return {
        "organization": {
            "id": organization.id,
            "name": organization.name,
            "slug": organization.slug,
            "join_policy": organization.join_policy,
            "country": organization.settings.get("country"),
        },
        "owner_account_id": owner.id,
    }


def completion_data(
    registration: Registration, account: Account, membership: Membership | None
) -> dict[str, Any]:
    return {
        "registration_id": registration.id,
        "flow": registration.flow,
        "account": {
            "id": account.id,
            "email": account.email,
            "email_verified": account.email_verified_at is not None,
            "phone": account.phone,
            "username": account.username,
            "first_name": account.first_name,
            "last_name": account.last_name,
        },
        "organization_id": membership.organization_id if membership else None,
        "membership": (
            {"id": membership.id, "role": membership.role, "status": membership.status}
            if membership
            else None
        ),
    }
