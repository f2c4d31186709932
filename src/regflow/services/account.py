"""The signed-in person's own account (``/v1/account``), behind an access token.

Every call verifies the token (signature, pinned algorithm, expiry) and its
``ver`` against the account's token version, so a token issued before a
password reset or an email change gets 401 ``INVALID_TOKEN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regflow.core.ports import TokenVerifier
from regflow.services.bearer import authenticated
from regflow.services.context import ServiceContext


@dataclass(frozen=True)
class AccountView:
    id: str
    email: str
    email_verified: bool
    username: str | None
    first_name: str | None
    last_name: str | None
    created_at: datetime


class AccountSettings:
    def __init__(self, ctx: ServiceContext, verifier: TokenVerifier) -> None:
        self.ctx = ctx
        self.verifier = verifier

    async def view(self, token: str | None) -> AccountView:
        async with self.ctx.uow(read_only=True) as uow:
            account, _ = await authenticated(self.verifier, uow, token)
        return AccountView(
            id=account.id,
            email=account.email,
            email_verified=account.email_verified_at is not None,
            username=account.username,
            first_name=account.first_name,
            last_name=account.last_name,
            created_at=account.created_at,
        )
