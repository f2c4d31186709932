"""Proof of an address, bound to the client that proved it (seed 004).

Seed 004 verifies ``{email, code}`` and then registers with ``{email, ...}``
alone: whoever called ``register`` for a verified address used to get its
account and access token. Here a confirmed code hands the *verifying client*
a random proof token (only its SHA-256 is stored, on the registration), and
finishing the registration requires it; without it the answer is the one for
an unverified address. Confirming again, with the same code, hands out a new
proof (the old one stops working): only the holder of the code can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regflow.core import cryptokit, verification
from regflow.core.model import Channel, Registration, Verification
from regflow.core.ports import UnitOfWork
from regflow.errors import ConcurrentUpdate, Conflict, ErrorCode, NotFound, VerificationFailed
from regflow.services.codes import Codes
from regflow.services.completed import Completed
from regflow.services.completion import MAX_RACE_RETRIES, Completion

CHANNEL = Channel.EMAIL


@dataclass(frozen=True)
class Proof:
    registration_id: str
    token: str  # give it to the client once; it is never stored
    expires_at_seconds: int  # how long it can serve: the registration's remaining life


class AddressProofs(Codes):
    async def prove(self, token: str, code: str) -> Proof:
        """Confirm ``code`` for the live registration holding ``token`` (derived from the
        email); VERIFICATION_NOT_FOUND, INVALID_CODE, CODE_EXPIRED, ATTEMPTS_EXCEEDED."""
        registration_id: str | None = None
        try:
            async with self.ctx.uow() as uow:
                registration = await self._find(uow, token)
                registration_id = registration.id
                proof = await self._prove(uow, registration, code)
                await uow.commit()
                return proof
        except VerificationFailed as failure:
            if registration_id is not None:
                await self.record_failure(registration_id, None, failure.code, CHANNEL.value)
            raise

    async def complete(self, token: str, code: str, *, attempt: str | None = None) -> Completed:
        """Confirm ``code`` and complete the registration in one unit of work (seeds 002 and
        003 verify and create in one request): when completing fails, the address stays
        unconfirmed and nothing else is written either; a wrong code stays counted.

        A contested registration completes without a password, unless ``attempt`` is the
        token of the client that registered first: then its own password stands."""
        registration_id: str | None = None
        try:
            for _ in range(MAX_RACE_RETRIES):
                try:
                    async with self.ctx.uow() as uow:
                        registration = await self._find(uow, token)
                        registration_id = registration.id
                        await self._prove(uow, registration, code)
                        if registration.contested and _first(registration, attempt):
                            registration.contested = False  # the first registrant's client
                        return await Completion(self.ctx).finish(uow, registration)
                except ConcurrentUpdate:
                    continue  # another request changed it first: look again
        except VerificationFailed as failure:
            if registration_id is not None:
                await self.record_failure(registration_id, None, failure.code, CHANNEL.value)
            raise
        raise Conflict(
            "This registration is being completed by another request.",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )

    async def _find(self, uow: UnitOfWork, token: str) -> Registration:
        # the row is locked (PostgreSQL) and found by the token's hash: what ``load`` checks
        found = await uow.registrations.find_active_with_challenges(cryptokit.sha256_hex(token))
        if found is None or found[0].expires_at <= self.ctx.clock():
            raise NotFound(
                "No code was sent to this address.", code=ErrorCode.VERIFICATION_NOT_FOUND
            )
        registration, challenges = found
        uow.verifications.seen(registration.id, challenges)
        await self.ensure_open(uow, registration)
        return registration

    async def _prove(self, uow: UnitOfWork, registration: Registration, code: str) -> Proof:
        target = self.ctx.engine.verification_target(registration, CHANNEL)
        v = await uow.verifications.get_current(registration.id, CHANNEL)
        if v is None or v.target != target:
            raise NotFound(
                "No code was sent to this address.", code=ErrorCode.VERIFICATION_NOT_FOUND
            )
        if registration.verified.get(CHANNEL.value) == target:
            # proven before: the same code again (a second device, a lost proof); counted
            await self._again(uow, v, code)
            outcome = None
        else:
            verdict = await self._attempt(uow, v, code)
            if verdict is not None:
                await uow.commit()  # the counted attempt stays counted
                raise verdict
            outcome = self.ctx.engine.confirm(registration, CHANNEL, target, self.ctx.clock())
        secret = cryptokit.new_token()
        registration.proof_hash = cryptokit.sha256_hex(secret)
        if outcome is not None:
            await self.persist(uow, outcome)
        else:
            await uow.registrations.update(registration)
        left = int((registration.expires_at - self.ctx.clock()).total_seconds())
        return Proof(registration.id, secret, max(1, left))

    async def _again(self, uow: UnitOfWork, v: Verification, code: str) -> None:
        """The used code presented again: counted like any attempt, compared in constant time."""
        policy = self.ctx.verification
        await self.ctx.limits.check("verify_failures", v.target)
        if await uow.verifications.count_attempt(v.id, policy.max_attempts, used=True) is None:
            await uow.commit()
            raise VerificationFailed(
                "Too many wrong codes for this address; please start again.",
                code=ErrorCode.ATTEMPTS_EXCEEDED,
            )
        if not (
            verification.is_well_formed(code)
            and verification.code_matches(v, code, self.ctx.secret)
        ):
            await self.ctx.limits.hit("verify_failures", v.target)
            await uow.commit()
            raise VerificationFailed("The code is not correct.", code=ErrorCode.INVALID_CODE)

    async def check(self, token: str, proof: str | None) -> str:
        """The id of the live registration holding ``token`` if ``proof`` proves its
        address: VERIFICATION_REQUIRED when there is none, EMAIL_NOT_VERIFIED otherwise."""
        async with self.ctx.uow(read_only=True) as uow:
            found = await uow.registrations.find_active(cryptokit.sha256_hex(token))
        return proven(found, proof, self.ctx.clock()).id


def proven(found: Registration | None, proof: str | None, now: datetime) -> Registration:
    """``found`` (the live registration an address's token names) if ``proof`` proves its
    address: VERIFICATION_REQUIRED when there is none, EMAIL_NOT_VERIFIED otherwise."""
    if found is None or found.expires_at <= now:
        raise Conflict("Verify your email first.", code=ErrorCode.VERIFICATION_REQUIRED)
    presented = cryptokit.sha256_hex(proof or "")
    expected = found.proof_hash or cryptokit.sha256_hex("-")
    verified = CHANNEL.value in found.verified
    if not (cryptokit.equal(presented, expected) and proof and verified):
        raise Conflict("Verify your email first.", code=ErrorCode.EMAIL_NOT_VERIFIED)
    return found


def _first(registration: Registration, attempt: str | None) -> bool:
    """Whether ``attempt`` is the token of the client that made ``registration``."""
    kept = registration.attempt_hash
    presented = cryptokit.sha256_hex(attempt or "")
    return cryptokit.equal(presented, kept or cryptokit.sha256_hex("-")) and bool(attempt and kept)
