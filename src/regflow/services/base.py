"""Shared steps of the registration use cases: load with the token, expire, record."""

from __future__ import annotations

from collections.abc import Iterable

from regflow.core import cryptokit
from regflow.core.engine import Effect, Outcome, RecordEvent
from regflow.core.model import Registration
from regflow.core.ports import UnitOfWork
from regflow.errors import ErrorCode, Gone, NotFound
from regflow.services.context import ServiceContext
from regflow.services.messages import funnel_event

NOT_FOUND = "No registration with this id and token."


class RegistrationUseCase:
    """Base for the use cases that act on one registration."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def load(self, uow: UnitOfWork, registration_id: str, token: str | None) -> Registration:
        """The registration if ``token`` opens it; otherwise exactly like an unknown id.

        Its verification challenges come with it (one read): sending or checking a code,
        and the pending codes of the answer, ask nothing more."""
        found = await uow.registrations.get_with_challenges(registration_id) if token else None
        registration = found[0] if found else None
        presented = cryptokit.sha256_hex(token or "")
        expected = registration.token_hash if registration else cryptokit.sha256_hex("-")
        if found is None or registration is None or not cryptokit.equal(presented, expected):
            raise NotFound(NOT_FOUND, code=ErrorCode.REGISTRATION_NOT_FOUND)
        uow.verifications.seen(registration.id, found[1])
        return registration

    async def load_open(
        self, uow: UnitOfWork, registration_id: str, token: str | None
    ) -> Registration:
        """Load, and if its lifetime ran out mark it expired (committed) and refuse with 410."""
        registration = await self.load(uow, registration_id, token)
        await self.ensure_open(uow, registration)
        return registration

    async def ensure_open(self, uow: UnitOfWork, registration: Registration) -> None:
        """Refuse a completed registration; expire (and commit that) one past its lifetime."""
        expired = self.ctx.engine.expire_if_due(registration, self.ctx.clock())
        if expired is not None:
            await self.persist(uow, expired)
            await uow.commit()
            raise Gone()
        self.ctx.engine.ensure_open(registration)

    async def record(
        self,
        uow: UnitOfWork,
        registration: Registration,
        effects: Iterable[Effect],
        *,
        org: str | None = None,
    ) -> None:
        now = self.ctx.clock()
        for effect in effects:
            if isinstance(effect, RecordEvent):
                await uow.funnel.add(funnel_event(registration, effect, now, org=org))

    async def persist(self, uow: UnitOfWork, outcome: Outcome) -> None:
        # recorded first: the registration's write carries its events (persistence/funnel.py)
        await self.record(uow, outcome.registration, outcome.effects)
        await uow.registrations.update(outcome.registration)

    async def record_failure(
        self, registration_id: str, step: str | None, code: str, channel: str | None = None
    ) -> None:
        """A failed step or code, in its own short transaction (the failing one rolled back)."""
        async with self.ctx.uow() as uow:
            registration = await uow.registrations.get(registration_id)
            if registration is None:
                return
            kind = "verification_failed" if channel else "step_failed"
            event = RecordEvent(kind, step=step, code=code, channel=channel)
            await self.record(uow, registration, [event])
            await uow.commit()
