"""Password reset: a mailed code or link, alike for unknown addresses, single use, capped.

``request`` answers the same for every well-formed address and does the same
work: it reads the account, reads and writes the address's challenge (kept
under an HMAC of the address) and queues one mail, either the code and link
or, for an address without an account, a mail saying that no account uses it.
Within the resend cooldown nothing is written or sent, for both alike.

``confirm_code`` counts the attempt in SQL before comparing, consumes the
challenge atomically (of racing confirmations only one wins), then sets the
new password, bumps the token version (every access token dies, and with it
every hosted session keyed to it) and mails "your password was changed".
``confirm_link`` does the same with the mail's link token, which is not
capped: 256 random bits, so someone who only knows the address cannot lock the
owner out by burning the code's attempts.
"""

from __future__ import annotations

from regflow.core import recovery
from regflow.core.identifiers import normalize_email
from regflow.core.model import Account
from regflow.core.passwords import PasswordPolicy
from regflow.core.ports import UnitOfWork
from regflow.core.recovery import PasswordChanged, PasswordReset
from regflow.errors import ErrorCode, FieldProblem, ValidationFailed, VerificationFailed
from regflow.services.account_mail import password_changed_message, reset_message
from regflow.services.context import ServiceContext

MAX_PASSWORD = 1024
WRONG = "The code is not correct."


def _address(email: str) -> str:
    try:
        return normalize_email(email)
    except FieldProblem as problem:
        raise ValidationFailed([problem]) from None


class PasswordResets:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def request(self, email: str, locale: str = "en") -> None:
        """Queue a reset mail for ``email`` unless one went out within the cooldown: in the
        account's language, or ``locale`` (the asking page's) for an address without one."""
        address = _address(email)
        key = recovery.email_key(self.ctx.secret, address)
        now = self.ctx.clock()
        policy = self.ctx.recovery
        async with self.ctx.uow() as uow:
            account = await uow.accounts.get_by_email(address)
            known = account is not None and account.status == "active"
            current = await uow.resets.get(key)
            if not recovery.due(current, now):
                return  # a code went out moments ago; it stays valid
            await self.ctx.limits.hit("reset_send", address)  # hourly and daily caps
            issued = recovery.issue(
                secret=self.ctx.secret,
                key=key,
                account_id=account.id if known and account else None,
                now=now,
                policy=policy,
                current=current,
            )
            if not await uow.resets.save(issued.reset, new=current is None):
                return  # a racing request for the same address sent its mail
            await uow.outbox.add(
                reset_message(
                    address,
                    issued,
                    known=known,
                    public_url=self.ctx.public_url,
                    link=self.ctx.links.reset(issued.link_token),
                    now=now,
                    locale=account.locale if known and account else locale,
                )
            )
            await uow.commit()
        self.ctx.outbox_written()

    async def confirm_code(
        self, email: str, code: str, password: str, *, policy: PasswordPolicy | None = None
    ) -> PasswordChanged:
        """Set ``password`` with the mailed code; INVALID_CODE, CODE_EXPIRED or
        ATTEMPTS_EXCEEDED otherwise (the same for an address without an account)."""
        address = _address(email)
        self._check_password(password, address, policy)
        key = recovery.email_key(self.ctx.secret, address)
        await self.ctx.limits.check("verify_failures", address)  # wrong codes per address/day
        async with self.ctx.uow(read_only=True) as uow:
            seen = await uow.resets.get(key)
        if seen is None:
            raise VerificationFailed(WRONG, code=ErrorCode.INVALID_CODE)
        recovery.check_code_usable(seen, self.ctx.clock(), self.ctx.recovery)
        hashed = await self.ctx.hasher.hash(password)  # off the event loop, before the lock
        async with self.ctx.uow() as uow:
            reset = await uow.resets.get(key)
            if reset is None or reset.id != seen.id:
                raise VerificationFailed(WRONG, code=ErrorCode.INVALID_CODE)
            if await uow.resets.count_attempt(reset.id, self.ctx.recovery.max_attempts) is None:
                raise VerificationFailed(
                    "Too many wrong codes; ask for a new one.", code=ErrorCode.ATTEMPTS_EXCEEDED
                )
            good = recovery.code_matches(reset, code, self.ctx.secret)
            if not good or not await uow.resets.consume(reset.id, None, self.ctx.clock()):
                await uow.commit()  # the counted attempt stays counted
                await self.ctx.limits.hit("verify_failures", address)
                raise VerificationFailed(WRONG, code=ErrorCode.INVALID_CODE)
            return await self._finish(uow, reset, hashed)

    async def link_valid(self, token: str) -> bool:
        """For the page the mail's link opens (GET): is there a password to set?"""
        async with self.ctx.uow(read_only=True) as uow:
            reset = await uow.resets.get_by_link(recovery.link_digest(self.ctx.secret, token))
        now = self.ctx.clock()
        return (
            reset is not None
            and reset.account_id is not None
            and reset.consumed_at is None
            and now < reset.expires_at
        )

    async def confirm_link(
        self, token: str, password: str, *, policy: PasswordPolicy | None = None
    ) -> PasswordChanged:
        """Set ``password`` with the mail's link token (single use, POST only)."""
        digest = recovery.link_digest(self.ctx.secret, token)
        async with self.ctx.uow(read_only=True) as uow:
            seen = await uow.resets.get_by_link(digest)
            account = await uow.accounts.get(seen.account_id) if seen and seen.account_id else None
        if seen is None or account is None:
            raise VerificationFailed("This link is not valid.", code=ErrorCode.INVALID_CODE)
        recovery.check_link_usable(seen, self.ctx.clock())
        self._check_password(password, account.email, policy)
        hashed = await self.ctx.hasher.hash(password)
        async with self.ctx.uow() as uow:
            if not await uow.resets.consume(seen.id, digest, self.ctx.clock()):
                raise VerificationFailed("This link was already used.", code=ErrorCode.INVALID_CODE)
            return await self._finish(uow, seen, hashed)

    def _check_password(self, password: str, address: str, policy: PasswordPolicy | None) -> None:
        if not password:
            raise ValidationFailed.single("password", ErrorCode.REQUIRED, "Choose a new password.")
        if len(password) > MAX_PASSWORD:
            raise ValidationFailed.single("password", ErrorCode.PASSWORD_TOO_LONG, "Too long.")
        try:
            (policy or self.ctx.engine.password_policy).check(password, context=[address])
        except FieldProblem as problem:
            raise ValidationFailed([problem]) from None

    async def _finish(self, uow: UnitOfWork, reset: PasswordReset, hashed: str) -> PasswordChanged:
        """The consumed challenge's account gets its new password, in ``uow`` (committed)."""
        account: Account | None = None
        if reset.account_id is not None:
            account = await uow.accounts.get(reset.account_id)
        if account is None or account.status != "active":
            raise VerificationFailed(
                WRONG, code=ErrorCode.INVALID_CODE
            )  # rolled back: not consumed
        now = self.ctx.clock()
        await uow.accounts.change_password(account.id, hashed, now)
        await uow.outbox.add(
            password_changed_message(
                account.email,
                reset_url=self.ctx.links.password_reset(),
                now=now,
                locale=account.locale,
            )
        )
        await uow.commit()
        self.ctx.outbox_written()
        return PasswordChanged(account.id, account.email, now)
