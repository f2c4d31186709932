"""Starting a registration, reading its state and submitting its steps."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from regflow.core import cryptokit
from regflow.core.engine import Effect, SendCode
from regflow.core.flowspec import StepRule
from regflow.core.model import Channel, Registration, Reserved
from regflow.core.ports import UnitOfWork
from regflow.errors import ErrorCode, FieldProblem, ValidationFailed
from regflow.services.base import RegistrationUseCase
from regflow.services.codes import send_code
from regflow.services.organizations import reserve_join_code
from regflow.services.step_rules import check_step  # organizations
from regflow.services.views import RegistrationView, describe, pending


@dataclass(frozen=True)
class Started:
    token: str
    state: RegistrationView


class Registrations(RegistrationUseCase):
    async def start(
        self,
        flow: str,
        *,
        variant: str | None = None,
        contract: str = "native",
        locale: str = "en",
        token: str | None = None,
        reserve: Reserved | None = None,
    ) -> Started:
        """Start a registration of ``flow``.

        ``token`` is for contracts whose clients hold no token (they name the registration
        by its email, see ``regflow.services.lookups``); ``reserve`` holds ids drawn now for
        what completion will create, so a contract can answer them before it exists.
        """
        token = token or cryptokit.new_token()
        registration_id = cryptokit.new_uuid()
        variant = self.ctx.experiments.assign(flow, registration_id, variant)  # experiments
        outcome = self.ctx.engine.start(
            flow,
            registration_id=registration_id,
            token_hash=cryptokit.sha256_hex(token),
            now=self.ctx.clock(),
            variant=variant,
            contract=contract,
            locale=locale,
            reserved=reserve,
        )
        async with self.ctx.uow() as uow:
            await self.record(uow, outcome.registration, outcome.effects)  # carried by the add
            await uow.registrations.add(outcome.registration)
            await uow.commit()
        return Started(token, describe(self.ctx, outcome.registration, []))

    async def state(self, registration_id: str, token: str | None) -> RegistrationView:
        async with self.ctx.uow() as uow:
            registration = await self.load(uow, registration_id, token)
            expired = self.ctx.engine.expire_if_due(registration, self.ctx.clock())
            if expired is not None:
                await self.persist(uow, expired)
                await uow.commit()
            return describe(self.ctx, registration, await pending(self.ctx, uow, registration))

    async def submit(
        self, registration_id: str, token: str | None, step: str, raw: dict[str, Any]
    ) -> RegistrationView:
        """Validate and store one step; a step that declares a verification sends its code.

        A step with nothing to hash is validated and written in one transaction; a step
        that takes a password is validated first, hashed outside any transaction (it is
        slow on purpose), then written in a second one.
        """
        failed: ValidationFailed | None = None
        written: tuple[RegistrationView, bool] | None = None
        hashing = self._may_hash(step)
        async with self.ctx.uow(read_only=hashing) as uow:
            registration = await self.load_open(uow, registration_id, token)
            try:
                clean = await self._checked_step(uow, registration, step, raw)
            except ValidationFailed as failure:
                failed = failure
            else:
                if not hashing:
                    written = await self._write(uow, registration, [(step, clean)])
        if written is not None:
            if written[1]:
                self.ctx.outbox_written()
            return written[0]
        if failed is not None:
            await self.record_failure(registration_id, step, first_code(failed))
            raise failed
        spec = self.ctx.engine.flow(registration.flow).step(step)
        clean = await self._hash_secrets(clean, spec.secret_fields)
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, registration_id, token)
            state, sent = await self._write(uow, registration, [(step, clean)])
        if sent:
            self.ctx.outbox_written()
        return state

    async def submit_steps(
        self,
        registration_id: str,
        token: str | None,
        steps: Sequence[tuple[str, dict[str, Any]]],
        *,
        when_reached: Collection[str] = (),
    ) -> RegistrationView:
        """Several steps of one request in one unit of work (seed 001's teacher sign-up in
        one body, on a registration started before): each is validated against the earlier
        ones applied to a throwaway copy before anything is written, so a refused step
        writes nothing. A step named in ``when_reached`` is submitted only when the
        registration has reached it. Steps that take a secret go through :meth:`submit`.
        """
        if any(self._may_hash(name) for name, _ in steps):
            raise ValueError("submit_steps takes no step that hashes a secret")
        failed: tuple[str, ValidationFailed] | None = None
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, registration_id, token)
            probe = copy.deepcopy(registration)
            valid: list[tuple[str, dict[str, Any]]] = []
            for name, raw in steps:
                current = self.ctx.engine.current_step(probe)
                if name in when_reached and (current is None or current.name != name):
                    continue  # not a step this registration takes now
                try:
                    clean = await self._checked_step(uow, probe, name, raw)
                except ValidationFailed as failure:
                    failed = (name, failure)
                    break
                self.ctx.engine.submit(probe, name, clean, self.ctx.clock())
                valid.append((name, clean))
            if failed is None:
                state, sent = await self._write(uow, registration, valid)
        if failed is not None:  # rolled back: nothing of the earlier steps was written
            await self.record_failure(registration_id, failed[0], first_code(failed[1]))
            raise failed[1]
        if sent:
            self.ctx.outbox_written()
        return state

    def _may_hash(self, step: str) -> bool:
        """Whether a step of this name takes a secret in any flow (one to hash)."""
        return step in self.ctx.engine.secret_steps

    async def _write(
        self,
        uow: UnitOfWork,
        registration: Registration,
        steps: Sequence[tuple[str, dict[str, Any]]],
    ) -> tuple[RegistrationView, bool]:
        """Apply validated steps in ``uow`` and commit: the state to answer, and whether a
        code was queued (one per channel: the address the last step gave it)."""
        sent = await self._apply(uow, registration, steps)
        await uow.registrations.update(registration)
        state = describe(self.ctx, registration, await pending(self.ctx, uow, registration))
        await uow.commit()
        return state, sent

    async def _apply(
        self,
        uow: UnitOfWork,
        registration: Registration,
        steps: Sequence[tuple[str, dict[str, Any]]],
    ) -> bool:
        """Apply validated steps in ``uow``, their events recorded and their codes queued,
        for the registration's next write to carry; whether a code was queued."""
        effects: list[Effect] = []
        codes: dict[Channel, SendCode] = {}
        for step, clean in steps:
            outcome = self.ctx.engine.submit(registration, step, clean, self.ctx.clock())
            rules = self.ctx.engine.flow(registration.flow).step(step).rules
            if StepRule.RESERVES_JOIN_CODE in rules:
                await reserve_join_code(self.ctx, uow, registration)  # shown before completion
            effects.extend(outcome.effects)
            codes.update((code.channel, code) for code in outcome.codes_to_send)
        # codes first, then the write that carries every event of the steps (the row was
        # locked when it was read, so racers still queue behind this transaction)
        await self.record(uow, registration, effects)
        return await self._send_codes(uow, registration, list(codes.values()))

    async def _checked_step(
        self, uow: UnitOfWork, registration: Registration, step: str, raw: dict[str, Any]
    ) -> dict[str, Any]:
        """The step's clean values (secrets still plain), checked against what is stored too
        (a taken username, the organization rules), or ``ValidationFailed``."""
        clean = self.ctx.engine.validate(registration, step, raw)
        await self._check_unique(uow, clean)
        await check_step(self.ctx, uow, registration, step, clean)  # organizations
        return clean

    async def _check_unique(self, uow: UnitOfWork, clean: dict[str, Any]) -> None:
        username = clean.get("username")
        if username and await uow.accounts.username_exists(str(username)):
            raise ValidationFailed(
                [FieldProblem("username", ErrorCode.USERNAME_TAKEN, "This username is taken.")]
            )

    async def _hash_secrets(self, clean: dict[str, Any], secrets: frozenset[str]) -> dict[str, Any]:
        stored = {k: v for k, v in clean.items() if k not in secrets}
        if "password" in secrets and clean.get("password") is not None:
            stored["password_hash"] = await self.ctx.hasher.hash(str(clean["password"]))
        return stored

    async def _send_codes(
        self, uow: UnitOfWork, registration: Registration, sends: list[SendCode]
    ) -> bool:
        for effect in sends:
            await send_code(
                self.ctx, uow, registration, effect.channel, effect.target, resend=False
            )
        return bool(sends)


def first_code(failure: ValidationFailed) -> str:
    return failure.problems[0].code if failure.problems else failure.code
