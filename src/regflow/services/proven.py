"""Seed 004's ``register``: a proven address's account step and its completion.

The request proves the address (``regflow.services.proofs``), submits the step that
takes the password and completes the registration. That is two units of work, not
four: one read finds the registration by the address's token, checks the proof and
validates the step; the password is hashed outside any transaction (it is slow on
purpose); one write then applies the step and completes the registration, so a refused
completion writes nothing of the step either (``Completion.finish``).
"""

from __future__ import annotations

from typing import Any

from regflow.core import cryptokit
from regflow.errors import ConcurrentUpdate, Conflict, ErrorCode, ValidationFailed
from regflow.services.completed import Completed
from regflow.services.completion import MAX_RACE_RETRIES, Completion
from regflow.services.proofs import proven
from regflow.services.registrations import Registrations, first_code


class ProvenRegistrations(Registrations):
    async def register(
        self, token: str, proof: str | None, step: str, raw: dict[str, Any]
    ) -> Completed:
        """Submit ``step`` of the live registration holding ``token`` (derived from the
        email) and complete it, if ``proof`` proves its address: VERIFICATION_REQUIRED
        when there is none, EMAIL_NOT_VERIFIED otherwise, ``ValidationFailed`` for the
        step (recorded as a failed step)."""
        failed: ValidationFailed | None = None
        async with self.ctx.uow(read_only=True) as uow:
            found = await uow.registrations.find_active(cryptokit.sha256_hex(token))
            registration = proven(found, proof, self.ctx.clock())
            await self.ensure_open(uow, registration)
            try:
                clean = await self._checked_step(uow, registration, step, raw)
            except ValidationFailed as failure:
                failed = failure
        if failed is not None:
            await self.record_failure(registration.id, step, first_code(failed))
            raise failed
        spec = self.ctx.engine.flow(registration.flow).step(step)
        stored = await self._hash_secrets(clean, spec.secret_fields)
        for _ in range(MAX_RACE_RETRIES):
            try:
                async with self.ctx.uow() as uow:
                    current = await self.load_open(uow, registration.id, token)
                    proven(current, proof, self.ctx.clock())  # not replaced meanwhile
                    await self._apply(uow, current, [(step, stored)])
                    # the step's write is the completion's: committed with it or not at all
                    return await Completion(self.ctx).finish(uow, current)
            except ConcurrentUpdate:
                continue  # another request changed it first: look again
        raise Conflict(
            "This registration is being completed by another request.",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )
