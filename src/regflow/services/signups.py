"""Starting a registration together with its first step, in one unit of work.

Seed contracts start a registration and submit its first step in one request
(seed 000's ``initiate-registration``, 002's ``register-pending``, 003's
``register``, 004's ``send-verification-code``). :meth:`Signups.begin` does it
as one use case: the step is validated *before* anything is written, so a
refused request leaves no registration and no "started" event behind.

Contracts whose clients hold no token name their registration by its email
(``regflow.services.lookups``). For them the first live registration of an
address stands until it is verified or expires: a later request for the same
address never replaces its password, code or state (that was an account
takeover: the attacker's later password, the victim's code). What a later
request does instead is the contract's :class:`WhenLive`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from regflow.core import cryptokit
from regflow.core.engine import Outcome
from regflow.core.model import Channel, Registration, Reserved
from regflow.core.ports import UnitOfWork
from regflow.services.codes import send_code
from regflow.services.registrations import Registrations
from regflow.services.step_rules import check_step
from regflow.services.views import RegistrationView, describe, pending


class WhenLive(StrEnum):
    """What a request does when the address already has a live registration."""

    KEEP = "keep"
    """Nothing changes (seeds 002, 003, where the first caller chose the password). The
    same password again is the same person after a lost mail: the first code is re-sent
    once its resend cooldown is over."""

    REQUEST = "request"
    """A code request on the live registration (seed 004's send-code, documented as
    callable again): the code goes to the address, never to the caller."""


@dataclass(frozen=True)
class Begun:
    registration_id: str
    token: str
    created: bool  # False: a live registration of this address stood; nothing was written
    state: RegistrationView


class Signups(Registrations):
    async def begin(
        self,
        flow: str,
        step: str,
        raw: dict[str, Any],
        *,
        contract: str,
        token: str | None = None,
        when_live: WhenLive = WhenLive.KEEP,
        reserve: Reserved | None = None,
    ) -> Begun:
        """Start ``flow`` and submit ``step``; ValidationFailed before any write.

        ``token`` is the derived token of a contract that names registrations by email:
        then a live registration holding it stands (see :class:`WhenLive`).
        """
        keyed = token is not None
        token = token or cryptokit.new_token()
        started = self._fresh(flow, contract, token, reserve)
        registration = started.registration
        async with self.ctx.uow(read_only=True) as uow:
            clean = self.ctx.engine.validate(registration, step, raw)
            await self._check_unique(uow, clean)
            await check_step(self.ctx, uow, registration, step, clean)
            live = await self._live(uow, token) if keyed else None
        secrets = self.ctx.engine.flow(flow).step(step).secret_fields
        if live is not None:
            # the same work as hashing the password of a new one: timing tells nothing
            same = await self._same_secret(live, step, clean, secrets)
            return await self._again(live, token, when_live, same)
        stored = await self._hash_secrets(clean, secrets)
        async with self.ctx.uow() as uow:
            if keyed:
                live = await self._live(uow, token, expire=True)
                if live is not None:  # a racing request for the same address came first
                    return Begun(live.id, token, False, describe(self.ctx, live, []))
            outcome = self.ctx.engine.submit(registration, step, stored, self.ctx.clock())
            await self.record(uow, registration, [*started.effects, *outcome.effects])
            await uow.registrations.add(registration)  # carries the events just recorded
            sent = await self._send_codes(uow, registration, outcome.codes_to_send)
            state = describe(self.ctx, registration, await pending(self.ctx, uow, registration))
            await uow.commit()
        if sent:
            self.ctx.outbox_written()
        return Begun(registration.id, token, True, state)

    def _fresh(self, flow: str, contract: str, token: str, reserve: Reserved | None) -> Outcome:
        registration_id = str(uuid.uuid4())
        return self.ctx.engine.start(
            flow,
            registration_id=registration_id,
            token_hash=cryptokit.sha256_hex(token),
            now=self.ctx.clock(),
            variant=self.ctx.experiments.assign(flow, registration_id, None),
            contract=contract,
            reserved=reserve,
        )

    async def _live(
        self, uow: UnitOfWork, token: str, *, expire: bool = False
    ) -> Registration | None:
        """The live registration holding ``token``; with ``expire``, a dead one is marked
        expired so that only the new one stays active."""
        found = await uow.registrations.find_active(cryptokit.sha256_hex(token))
        if found is None:
            return None
        outcome = self.ctx.engine.expire_if_due(found, self.ctx.clock())
        if outcome is None:
            return found
        if expire:
            await self.persist(uow, outcome)
        return None

    async def _same_secret(
        self,
        live: Registration,
        step: str,
        clean: dict[str, Any],
        secrets: frozenset[str],
    ) -> bool:
        if "password" not in secrets:
            return False
        stored = live.field(step, "password_hash")
        if not isinstance(stored, str):
            await self.ctx.hasher.dummy_verify()
            return False
        valid, _ = await self.ctx.hasher.verify(str(clean.get("password") or ""), stored)
        return valid

    async def _again(self, live: Registration, token: str, when: WhenLive, same: bool) -> Begun:
        """A later request for an address whose registration stands."""
        resend = when is WhenLive.REQUEST or same
        sent = False
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, live.id, token)
            if resend:
                sent = await self._request_code(uow, registration)
            state = describe(self.ctx, registration, await pending(self.ctx, uow, registration))
            await uow.commit()
        if sent:
            self.ctx.outbox_written()
        return Begun(registration.id, token, False, state)

    async def _request_code(self, uow: UnitOfWork, registration: Registration) -> bool:
        """The code of the registration again (a new one past the cooldown), unless its
        address is proven already: then nothing is sent."""
        channel = Channel.EMAIL
        target = self.ctx.engine.verification_target(registration, channel)
        current = await uow.verifications.get_current(registration.id, channel)
        if registration.verified.get(channel.value) == target and current is not None:
            return False
        sent = await send_code(self.ctx, uow, registration, channel, target, resend=False)
        return sent is not current
