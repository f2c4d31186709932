"""Hook ``KeepProfile``: what the person told the flow about themselves, as a profile."""

from __future__ import annotations

from datetime import datetime

from regflow.core.hooks import KeepProfile, pick
from regflow.core.model import Account, Registration
from regflow.core.onboarding import AccountProfile
from regflow.core.ports import UnitOfWork
from regflow.services.hooks.base import Joined


async def keep_profile(
    uow: UnitOfWork, hook: KeepProfile, registration: Registration, account: Account, now: datetime
) -> Joined | None:
    profile = AccountProfile(
        account_id=account.id,
        kind=registration.flow,
        created_at=now,
        locale=registration.locale,
        data=pick(registration, hook.fields),
    )
    await uow.profiles.add(profile)
    return None  # no membership
