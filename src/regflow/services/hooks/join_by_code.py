"""Hook ``JoinByCode``: join the organization a join code names, as its policy says now."""

from __future__ import annotations

from datetime import datetime

from regflow.core.flowspec import FlowSpec
from regflow.core.hooks import JoinByCode, pick
from regflow.core.model import Account, Registration
from regflow.core.ports import UnitOfWork
from regflow.services.hooks.base import Joined
from regflow.services.joining import join_by_code


async def join_by_code_hook(
    uow: UnitOfWork,
    spec: FlowSpec,
    hook: JoinByCode,
    registration: Registration,
    account: Account,
    now: datetime,
) -> Joined | None:
    """None when no code applies (freelance, standalone, invited, or none given)."""
    code = spec.join_code_of(hook, registration)
    if code is None:
        return None
    organization, membership = await join_by_code(
        uow,
        code,
        account_id=account.id,
        role=hook.role,
        now=now,
        details=pick(registration, hook.details),
    )
    return Joined(membership, organization)
