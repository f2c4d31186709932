"""The signed-in person's own account (``/v1/account``), behind an access token.

Every call verifies the token (signature, pinned algorithm, expiry) and its
``ver`` against the account's token version, so a token issued before a
password reset or an email change gets 401 ``INVALID_TOKEN``.

Leaving (``delete``) asks for the password again, and for a code from the
authenticator app (or a recovery code) when the second factor is on: a
stolen access token alone cannot delete an account. An owner of an
organization must hand it over or delete it first (409 ``OWNER_MUST_TRANSFER``:
deleting the owner would orphan the organization). The account row goes, and
with it (cascades) its memberships, profile, second factor and login sessions;
the registrations that made it, its reset challenge, invitations and mail to
its address go too, so no mail address is kept. A confirmation is mailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regflow.core import recovery
from regflow.core import second_factor as sf
from regflow.core.ports import TokenVerifier
from regflow.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCode,
    ValidationFailed,
    VerificationFailed,
)
from regflow.services.account_mail import mail
from regflow.services.bearer import authenticated
from regflow.services.context import ServiceContext

WRONG_PASSWORD = "The password is not correct."  # noqa: S105 - a sentence


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

    async def delete(
        self,
        token: str | None,
        password: str,
        *,
        code: str | None = None,
        recovery_code: str | None = None,
    ) -> datetime:
        """Delete the account of ``token`` (see the module docstring); when it was deleted."""
        async with self.ctx.uow(read_only=True) as uow:
            account, _ = await authenticated(self.verifier, uow, token)
            credential = await uow.second_factors.get_totp(account.id)
            memberships = await uow.memberships.for_account(account.id)
        await self.ctx.limits.check("login_failures", account.email)
        valid, _ = await self.ctx.hasher.verify(password[:1024], account.password_hash)
        if not valid:
            await self.ctx.limits.hit("login_failures", account.email)
            raise AuthenticationFailed(WRONG_PASSWORD, code=ErrorCode.INVALID_CREDENTIALS)
        enrolled = credential is not None and credential.confirmed_at is not None
        if enrolled and code is None and recovery_code is None:
            raise ValidationFailed.single(
                "code", ErrorCode.REQUIRED, "Give the code from your authenticator app."
            )
        if any(m.role == "owner" and m.status == "active" for m in memberships):
            raise Conflict(
                "You own an organization: hand it over to another administrator or delete "
                "it before you delete your account.",
                code=ErrorCode.OWNER_MUST_TRANSFER,
            )
        now = self.ctx.clock()
        async with self.ctx.uow() as uow:
            if enrolled and credential is not None:
                await self.ctx.limits.check("mfa_failures", account.id)
                if code is not None:
                    secret = sf.unseal(self.ctx.secret, account.id, credential.sealed_secret)
                    step = sf.matching_step(secret, code, now)
                    good = step is not None and await uow.second_factors.use_step(account.id, step)
                else:
                    digest = sf.recovery_digest(self.ctx.secret, account.id, str(recovery_code))
                    good = await uow.second_factors.use_recovery_code(account.id, digest, now)
                if not good:
                    await self.ctx.limits.hit("mfa_failures", account.id)
                    raise VerificationFailed(
                        "The code is not correct.", code=ErrorCode.INVALID_CODE
                    )
            key = recovery.email_key(self.ctx.secret, account.email)
            await uow.erasure.erase(account.id, account.email, key, account.phone)
            await uow.outbox.add(mail(account.email, "account_deleted", {}, now, account.locale))
            await uow.commit()
        self.ctx.outbox_written()
        return now
