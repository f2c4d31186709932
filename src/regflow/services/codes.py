"""Sending, resending and confirming verification codes and links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regflow.core import cryptokit, verification
from regflow.core.engine import RecordEvent
from regflow.core.model import Channel, Registration, Verification
from regflow.core.ports import UnitOfWork
from regflow.errors import ErrorCode, NotFound, RegflowError, VerificationFailed
from regflow.services.base import RegistrationUseCase
from regflow.services.context import ServiceContext
from regflow.services.messages import (
    ALREADY_REGISTERED,
    already_registered,
    code_message,
    funnel_event,
)
from regflow.services.views import RegistrationView, describe, pending


async def send_code(
    ctx: ServiceContext,
    uow: UnitOfWork,
    registration: Registration,
    channel: Channel,
    target: str,
    *,
    resend: bool,
    told: bool = False,
) -> Verification:
    """Issue or replace the code for ``target`` and queue its message, in ``uow``.

    For an email that already has an account the same work is done and the
    "already registered" mail is queued instead, so the answer is identical.
    ``told``: the caller recorded the :func:`sent_event` already (a new registration's
    INSERT carries it), for a code that is certainly issued.
    """
    now = ctx.clock()
    policy = ctx.verification_for(registration.contract)
    current = await uow.verifications.get_current(registration.id, channel)
    action = verification.decide_send(current, target, now, resend=resend)
    if action is verification.SendAction.REUSE and current is not None:
        return current  # the same address again: the code already sent stays valid
    if action is verification.SendAction.REISSUE and current is not None:
        issued = verification.reissue(current, secret=ctx.secret, now=now, policy=policy)
        await ctx.limits.hit("code_send", target)  # per address, across registrations
        await uow.verifications.reissue(issued.verification)
    else:
        await ctx.limits.hit("code_send", target)  # per address, across registrations
        carried = current.attempts if current is not None else 0
        issued = verification.issue(
            secret=ctx.secret,
            registration_id=registration.id,
            channel=channel,
            target=target,
            now=now,
            policy=policy,
            attempts=carried,
        )
        if current is not None:
            await uow.verifications.delete_for(registration.id, channel)
        await uow.verifications.add(issued.verification)
    message = code_message(registration, issued, links=ctx.links, now=now, existing_account=False)
    if channel is Channel.EMAIL:
        # both mails are built and the INSERT picks one: the same work for either address
        known = already_registered(registration, ctx.links)
        await uow.outbox.add_by_account(message, ALREADY_REGISTERED, known)
    else:
        await uow.outbox.add(message)
    if not told:
        await uow.funnel.add(funnel_event(registration, sent_event(channel), now))
    return issued.verification


def sent_event(channel: Channel) -> RecordEvent:
    """The funnel event of a code sent."""
    return RecordEvent("verification_sent", channel=channel.value)


@dataclass(frozen=True)
class CodeSent:
    """A code sent (or the one still valid): where it went and when it lapses."""

    channel: Channel
    target: str  # the full address: the registrant's own
    verified: bool  # the address was verified already (nothing new was sent)
    resend_available_at: datetime
    expires_at: datetime


class Codes(RegistrationUseCase):
    async def request(self, registration_id: str, token: str | None, channel: Channel) -> CodeSent:
        """Send a code unless one sent moments ago (within the cooldown) is still valid, or
        the address is verified already: for clients that ask for a code after the step
        that sent one (seed 001's send-OTP calls). Never RESEND_TOO_SOON."""
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, registration_id, token)
            target = self.ctx.engine.verification_target(registration, channel)
            verified = registration.verified.get(channel.value) == target
            current = await uow.verifications.get_current(registration.id, channel)
            if verified and current is not None:
                sent = current
            else:
                sent = await send_code(self.ctx, uow, registration, channel, target, resend=False)
            await uow.commit()
        if sent is not current:
            self.ctx.outbox_written()
        return CodeSent(channel, target, verified, sent.resend_available_at, sent.expires_at)

    async def resend(self, registration_id: str, token: str | None, channel: Channel) -> CodeSent:
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, registration_id, token)
            target = self.ctx.engine.verification_target(registration, channel)
            sent = await send_code(self.ctx, uow, registration, channel, target, resend=True)
            await uow.commit()
        self.ctx.outbox_written()
        return CodeSent(channel, target, False, sent.resend_available_at, sent.expires_at)

    async def confirm(
        self, registration_id: str, token: str | None, channel: Channel, code: str
    ) -> RegistrationView:
        try:
            return await self._confirm(registration_id, token, channel, code)
        except VerificationFailed as failure:
            await self.record_failure(registration_id, None, failure.code, channel.value)
            raise

    async def _confirm(
        self, registration_id: str, token: str | None, channel: Channel, code: str
    ) -> RegistrationView:
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, registration_id, token)
            target = self.ctx.engine.verification_target(registration, channel)
            if registration.verified.get(channel.value) == target:
                return describe(self.ctx, registration, await pending(self.ctx, uow, registration))
            v = await uow.verifications.get_current(registration.id, channel)
            if v is None or v.target != target:
                raise NotFound(
                    "No code was sent to this address.", code=ErrorCode.VERIFICATION_NOT_FOUND
                )
            verdict = await self._attempt(uow, v, code)
            if verdict is not None:
                await uow.commit()  # the counted attempt stays counted
                raise verdict
            outcome = self.ctx.engine.confirm(registration, channel, target, self.ctx.clock())
            await self.persist(uow, outcome)
            state = describe(self.ctx, registration, await pending(self.ctx, uow, registration))
            await uow.commit()
            return state

    async def _attempt(self, uow: UnitOfWork, v: Verification, code: str) -> RegflowError | None:
        """Compare, then count the attempt in SQL (a right code is used by the same
        statement): no answer goes out for an attempt that was not counted. The error to
        raise, or None."""
        policy = self.ctx.verification  # attempts: the same for every contract
        verification.check_usable(v, self.ctx.clock(), policy)
        await self.ctx.limits.check("verify_failures", v.target)  # wrong codes per address/day
        good = verification.is_well_formed(code) and verification.code_matches(
            v, code, self.ctx.secret
        )
        used = self.ctx.clock() if good else None
        if (
            await uow.verifications.count_attempt(v.id, policy.max_attempts, consume_at=used)
            is None
        ):
            return VerificationFailed(
                "Too many wrong codes for this address; please start again.",
                code=ErrorCode.ATTEMPTS_EXCEEDED,
            )
        if not good:
            await self.ctx.limits.hit("verify_failures", v.target)
            return VerificationFailed("The code is not correct.", code=ErrorCode.INVALID_CODE)
        return None

    async def confirm_link(self, link_token: str) -> Registration:
        """Consume an email link (POST only: scanners prefetch GETs)."""
        async with self.ctx.uow() as uow:
            v = await uow.verifications.get_by_link(cryptokit.sha256_hex(link_token))
            if v is None:
                raise NotFound("This link is not valid.", code=ErrorCode.VERIFICATION_NOT_FOUND)
            registration = await uow.registrations.get(v.registration_id)
            if registration is None:
                raise NotFound("This link is not valid.", code=ErrorCode.VERIFICATION_NOT_FOUND)
            self.ctx.engine.ensure_open(registration)
            verification.check_usable(v, self.ctx.clock(), self.ctx.verification)
            target = self.ctx.engine.verification_target(registration, v.channel)
            if v.target != target or not await uow.verifications.consume(v.id, self.ctx.clock()):
                raise VerificationFailed(
                    "This link is no longer valid.", code=ErrorCode.INVALID_CODE
                )
            outcome = self.ctx.engine.confirm(registration, v.channel, target, self.ctx.clock())
            await self.persist(uow, outcome)
            await uow.commit()
            return registration

    async def link_valid(self, link_token: str) -> bool:
        """For the confirmation page shown on GET: is there something to confirm?"""
        async with self.ctx.uow(read_only=True) as uow:
            v = await uow.verifications.get_by_link(cryptokit.sha256_hex(link_token))
            return v is not None and v.consumed_at is None and self.ctx.clock() < v.expires_at
