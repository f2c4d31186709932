"""Changing the account's email address: a code to the new address, a way back for the old.

``request`` (access token and the password again) sends a 6-digit code to the
new address and answers the same whether or not another account uses it: such
an address gets a notice instead of a code, so the answer tells nobody which
addresses have accounts. ``confirm`` counts the attempt in SQL first, consumes
the code once, moves the account to the new address under the unique
constraint (two racing changes to one address: one wins, the other gets 409
``EMAIL_TAKEN``), bumps the token version (every token and login session
ends) and mails the old address a notice with a link that undoes the change
for a week. ``undo`` takes that link's token: the old address comes back, the
token version is bumped again and the owner is told to reset the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regflow.core import cryptokit
from regflow.core import email_change as ec
from regflow.core.email_change import EmailChanged
from regflow.core.identifiers import mask_email, normalize_email
from regflow.core.ports import TokenVerifier
from regflow.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCode,
    FieldProblem,
    NotFound,
    ValidationFailed,
    VerificationFailed,
)
from regflow.services.account_mail import mail
from regflow.services.bearer import authenticated
from regflow.services.context import ServiceContext
from regflow.services.messages import localized

WRONG = "The code is not correct."


@dataclass(frozen=True)
class ChangeCodeSent:
    """A code on its way to the new address (or the one sent moments ago, still valid)."""

    target: str  # masked
    expires_at: datetime


class EmailChanges:
    def __init__(self, ctx: ServiceContext, verifier: TokenVerifier) -> None:
        self.ctx = ctx
        self.verifier = verifier

    async def request(self, token: str | None, new_email: str, password: str) -> ChangeCodeSent:
        try:
            address = normalize_email(new_email)
        except FieldProblem as problem:
            raise ValidationFailed([problem]) from None
        async with self.ctx.uow(read_only=True) as uow:
            account, _ = await authenticated(self.verifier, uow, token)
        valid, _ = await self.ctx.hasher.verify(password[:1024], account.password_hash)
        if not valid:
            await self.ctx.limits.hit("login_failures", account.email)
            raise AuthenticationFailed(
                "The password is not correct.", code=ErrorCode.INVALID_CREDENTIALS
            )
        if address == account.email:
            raise ValidationFailed.single(
                "email", ErrorCode.SAME_EMAIL, "This is your address already."
            )
        now = self.ctx.clock()
        policy = self.ctx.email_change
        async with self.ctx.uow() as uow:
            current = await uow.email_changes.get(account.id)
            if (
                current is not None
                and current.consumed_at is None
                and current.new_email == address
                and now < current.resend_available_at
            ):
                return ChangeCodeSent(mask_email(address), current.expires_at)
            await self.ctx.limits.hit("code_send", address)
            change, code = ec.start(self.ctx.secret, account.id, address, now, policy)
            await uow.email_changes.replace(change)
            owner = await uow.accounts.get_by_email(address)
            if owner is not None:  # the same work and answer; its owner learns someone tried
                reset_url = localized(self.ctx.links.password_reset(), owner.locale)
                message = mail(
                    address, "email_change_taken", {"reset_url": reset_url}, now, owner.locale
                )
            else:  # in the language of the account that asks
                minutes = max(1, int(policy.ttl.total_seconds() // 60))
                context = {"code": code, "expires_minutes": minutes}
                message = mail(address, "email_change_code", context, now, account.locale)
            await uow.outbox.add(message)
            await uow.commit()
        self.ctx.outbox_written()
        return ChangeCodeSent(mask_email(address), change.expires_at)

    async def confirm(self, token: str | None, code: str) -> EmailChanged:
        policy = self.ctx.email_change
        async with self.ctx.uow() as uow:
            account, _ = await authenticated(self.verifier, uow, token)
            change = await uow.email_changes.get(account.id)
            if change is None:
                raise NotFound(
                    "No change of address is waiting.", code=ErrorCode.VERIFICATION_NOT_FOUND
                )
            now = self.ctx.clock()
            ec.check_usable(change, now, policy)
            await self.ctx.limits.check("verify_failures", change.new_email)
            if await uow.email_changes.count_attempt(change.id, policy.max_attempts) is None:
                raise VerificationFailed(
                    "Too many wrong codes; start again.", code=ErrorCode.ATTEMPTS_EXCEEDED
                )
            undo = cryptokit.new_token()
            until = now + policy.undo_ttl
            good = ec.code_matches(change, code, self.ctx.secret)
            if not good or not await uow.email_changes.consume(
                change.id, now, account.email, cryptokit.sha256_hex(undo), until
            ):
                await uow.commit()  # the counted attempt stays counted
                await self.ctx.limits.hit("verify_failures", change.new_email)
                raise VerificationFailed(WRONG, code=ErrorCode.INVALID_CODE)
            if not await uow.email_changes.set_email(account.id, change.new_email, now):
                raise Conflict("Another account uses this address now.", code=ErrorCode.EMAIL_TAKEN)
            notice = {
                "new_email": mask_email(change.new_email),
                "undo_url": localized(self.ctx.links.email_undo(undo), account.locale),
                "undo_days": policy.undo_ttl.days,
            }
            await uow.outbox.add(mail(account.email, "email_changed", notice, now, account.locale))
            await uow.commit()
        self.ctx.outbox_written()
        return EmailChanged(account.id, change.new_email, now)

    async def undo_valid(self, undo_token: str) -> bool:
        async with self.ctx.uow(read_only=True) as uow:
            change = await uow.email_changes.get_by_undo(cryptokit.sha256_hex(undo_token))
        return (
            change is not None
            and change.undo_expires_at is not None
            and self.ctx.clock() < change.undo_expires_at
        )

    async def undo(self, undo_token: str) -> EmailChanged:
        """Put the old address back (the notice's link): every token and session ends."""
        now = self.ctx.clock()
        async with self.ctx.uow() as uow:
            change = await uow.email_changes.get_by_undo(cryptokit.sha256_hex(undo_token))
            if (
                change is None
                or change.old_email is None
                or change.undo_expires_at is None
                or now >= change.undo_expires_at
                or not await uow.email_changes.close(change.id)
            ):
                raise VerificationFailed(
                    "This link is no longer valid.", code=ErrorCode.INVALID_CODE
                )
            if not await uow.email_changes.set_email(change.account_id, change.old_email, now):
                raise Conflict("Another account uses that address now.", code=ErrorCode.EMAIL_TAKEN)
            moved_back = await uow.accounts.get(change.account_id)
            locale = moved_back.locale if moved_back is not None else "en"
            await uow.outbox.add(
                mail(
                    change.old_email,
                    "email_change_undone",
                    {"reset_url": localized(self.ctx.links.password_reset(), locale)},
                    now,
                    locale,
                )
            )
            await uow.commit()
        self.ctx.outbox_written()
        return EmailChanged(change.account_id, change.old_email, now)
