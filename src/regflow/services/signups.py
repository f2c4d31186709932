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
request does instead is the contract's :class:`WhenLive`; where it asks for
another password or other data, the registration is *contested*: whoever
proves the address gets the account without either password and a mailed
link to choose one (``regflow.services.contested``), so that registering an
address first, with one's own password, takes nobody's account either.
Racing first requests cannot start two: a partial unique index keeps one
active registration per token, and the loser is answered as a later request.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from regflow.core import cryptokit
from regflow.core.engine import Effect, Outcome, SendCode
from regflow.core.flowspec import StepRule
from regflow.core.model import Channel, Registration, Reserved
from regflow.core.ports import UnitOfWork
from regflow.errors import Conflict, ErrorCode, TooSoon, UniqueViolation, VerificationFailed
from regflow.services.codes import send_code, sent_event
from regflow.services.organizations import reserve_join_code
from regflow.services.registrations import Registrations
from regflow.services.step_rules import check_step
from regflow.services.views import RegistrationView, describe, pending


class WhenLive(StrEnum):
    """What a request does when the address already has a live registration."""

    KEEP = "keep"
    """The first registration keeps its data (seeds 002, 003, where the first caller chose
    the password). The same password and data again is the same person after a lost mail;
    anything else contests it (no password survives its completion). Either way the first
    code is re-sent to the address once its resend cooldown is over."""

    REQUEST = "request"
    """A code request on the live registration (seed 004's send-code, documented as
    callable again): the code goes to the address, never to the caller."""


@dataclass(frozen=True)
class Begun:
    registration_id: str
    token: str
    created: bool  # False: a live registration of this address stood (at most contested)
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
        then: Sequence[tuple[str, dict[str, Any]]] = (),
        attempt: str | None = None,
    ) -> Begun:
        """Start ``flow`` and submit ``step``; ValidationFailed before any write.

        ``token`` is the derived token of a contract that names registrations by email:
        then a live registration holding it stands (see :class:`WhenLive`). ``then``: more
        steps for the same request (seed 001's teacher sign-up in one body), each submitted
        when the registration has reached it, all validated before anything is written.
        ``attempt``: the client's attempt token; a new registration keeps its SHA-256, so
        that the client which registered first keeps its password through a contest.
        """
        keyed = token is not None
        token = token or cryptokit.new_token()
        started = self._fresh(flow, contract, token, reserve)
        registration = started.registration
        if attempt is not None:
            registration.attempt_hash = cryptokit.sha256_hex(attempt)
        # later steps are validated against the earlier ones applied to a throwaway copy
        probe = copy.deepcopy(registration) if then else registration
        asked = [(step, raw), *then]
        if not any(self._secrets(flow, name) for name, _ in asked):
            # nothing to hash: validated, then written, in one unit of work
            try:
                return await self._at_once(started, probe, asked, token, keyed, when_live)
            except UniqueViolation:
                pass  # a racing request for the same address came first: it stands
            async with self.ctx.uow(read_only=True) as uow:
                live = await self._live(uow, token)
            if live is None:  # ... and ended at once (completed): only a retry can tell
                raise _in_progress()
            return await self._again(live, token, when_live, False)  # no password to match
        async with self.ctx.uow(read_only=True) as uow:
            steps = await self._validated(uow, probe, asked)
            live = await self._live(uow, token) if keyed else None
        clean = steps[0][1]
        secrets = self.ctx.engine.flow(flow).step(step).secret_fields
        if live is None:
            stored = [
                (name, await self._hash_secrets(values, self._secrets(flow, name)))
                for name, values in steps
            ]
            try:
                return await self._insert(started, stored, token, keyed)
            except (UniqueViolation, _StoodFirst):
                pass  # a racing request for the same address came first: it stands
            async with self.ctx.uow(read_only=True) as uow:
                live = await self._live(uow, token)
            if live is None:  # ... and ended at once (completed): only a retry can tell
                raise _in_progress()
        # the same work as hashing the password of a new one: timing tells nothing
        same = await self._same_secret(live, step, clean, secrets)
        return await self._again(
            live, token, when_live, same and _same_data(live, step, clean, secrets)
        )

    def _secrets(self, flow: str, step: str) -> frozenset[str]:
        return self.ctx.engine.flow(flow).step(step).secret_fields

    async def _validated(
        self,
        uow: UnitOfWork,
        probe: Registration,
        asked: Sequence[tuple[str, dict[str, Any]]],
    ) -> list[tuple[str, dict[str, Any]]]:
        """The clean values of the steps asked (ValidationFailed at the first refused), each
        checked against the earlier ones applied to ``probe`` when there are several."""
        steps: list[tuple[str, dict[str, Any]]] = []
        for name, values in asked:
            current = self.ctx.engine.current_step(probe)
            if steps and (current is None or current.name != name):
                continue  # not a step this registration takes now (a variant skips it)
            clean = self.ctx.engine.validate(probe, name, values)
            await self._check_unique(uow, clean)
            await check_step(self.ctx, uow, probe, name, clean)
            if len(asked) > 1:
                self.ctx.engine.submit(probe, name, clean, self.ctx.clock())
            steps.append((name, clean))
        return steps

    async def _at_once(
        self,
        started: Outcome,
        probe: Registration,
        asked: Sequence[tuple[str, dict[str, Any]]],
        token: str,
        keyed: bool,
        when_live: WhenLive,
    ) -> Begun:
        """Steps with nothing to hash, in one unit of work: every step validated first (a
        refusal rolls back what is not written yet: nothing), then the new registration
        written unless a live one holds ``token``, which is asked for again instead.
        UniqueViolation when a racing request wrote one first (the unit of work is spent)."""
        registration = started.registration
        async with self.ctx.uow() as uow:
            steps = await self._validated(uow, probe, asked)
            prepared = await self._prepare(uow, started, steps)
            if not await self._add(uow, registration, prepared, unless_active=keyed):
                live = await self._live(uow, token, expire=True, lock=True)
                if live is not None:  # no password to compare: it stands, or is contested
                    again = await self._again_in(uow, live, token, when_live, False)
                    return self._answer(*again)
                await self._add(uow, registration, prepared)  # the one there had expired
            begun, sent = await self._send_first(uow, registration, prepared, token)
        return self._answer(begun, sent, None)

    async def _insert(
        self, started: Outcome, steps: list[tuple[str, dict[str, Any]]], token: str, keyed: bool
    ) -> Begun:
        """Write the new registration with its steps; _StoodFirst or UniqueViolation when a
        live registration holds ``token`` by now (SQLite sees it, PostgreSQL's index says)."""
        registration = started.registration
        async with self.ctx.uow() as uow:
            if keyed and await self._live(uow, token, expire=True) is not None:
                raise _StoodFirst()
            prepared = await self._prepare(uow, started, steps)
            await self._add(uow, registration, prepared)
            begun, sent = await self._send_first(uow, registration, prepared, token)
        return self._answer(begun, sent, None)

    async def _prepare(
        self, uow: UnitOfWork, started: Outcome, steps: list[tuple[str, dict[str, Any]]]
    ) -> _Prepared:
        """The new registration's steps applied: its events, and the codes it sends (a new
        registration has none yet: each is issued, its event rides with the others)."""
        registration = started.registration
        effects: list[Effect] = list(started.effects)
        codes: list[SendCode] = []
        for step, stored in steps:
            outcome = self.ctx.engine.submit(registration, step, stored, self.ctx.clock())
            rules = self.ctx.engine.flow(registration.flow).step(step).rules
            if StepRule.RESERVES_JOIN_CODE in rules:
                await reserve_join_code(self.ctx, uow, registration)  # shown before completion
            effects.extend(outcome.effects)
            codes.extend(outcome.codes_to_send)
        sends = _last_per_channel(codes)
        effects.extend(sent_event(code.channel) for code in sends)
        return _Prepared(effects, sends)

    async def _add(
        self,
        uow: UnitOfWork,
        registration: Registration,
        prepared: _Prepared,
        *,
        unless_active: bool = False,
    ) -> bool:
        """The INSERT of the new registration, carrying its events; with ``unless_active``,
        False when a registration holding its token is active (nothing written)."""
        await self.record(uow, registration, prepared.effects)
        if unless_active:
            return await uow.registrations.add_unless_active(registration)
        await uow.registrations.add(registration)
        return True

    async def _send_first(
        self, uow: UnitOfWork, registration: Registration, prepared: _Prepared, token: str
    ) -> tuple[Begun, bool]:
        """The codes of the registration just written, then its state; committed."""
        uow.verifications.seen(registration.id, [])  # new: no code was sent to it yet
        for code in prepared.sends:
            await send_code(
                self.ctx, uow, registration, code.channel, code.target, resend=False, told=True
            )
        state = describe(self.ctx, registration, await pending(self.ctx, uow, registration))
        await uow.commit()
        return Begun(registration.id, token, True, state), bool(prepared.sends)

    def _answer(
        self, begun: Begun, sent: bool, refused: TooSoon | VerificationFailed | None
    ) -> Begun:
        """After the commit: a refusal of the code (the rest stands), or the answer."""
        if refused is not None:
            raise refused
        if sent:
            self.ctx.outbox_written()
        return begun

    def _fresh(self, flow: str, contract: str, token: str, reserve: Reserved | None) -> Outcome:
        registration_id = cryptokit.new_uuid()
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
        self, uow: UnitOfWork, token: str, *, expire: bool = False, lock: bool = False
    ) -> Registration | None:
        """The live registration holding ``token``; with ``expire``, a dead one is marked
        expired so that only the new one stays active. With ``lock``: read with its codes
        and locked (PostgreSQL), to be written in ``uow``."""
        token_hash = cryptokit.sha256_hex(token)
        if lock:
            read = await uow.registrations.find_active_with_challenges(token_hash)
            if read is not None:
                uow.verifications.seen(read[0].id, read[1])
            found = read[0] if read is not None else None
        else:
            found = await uow.registrations.find_active(token_hash)
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
        """A later request for an address whose registration stands.

        KEEP: the same password and data again is the first caller after a lost mail (the
        code is re-sent past its cooldown). Anything else contests the registration: it
        keeps its data, but completing it will keep no password (``Registration.contested``);
        the code is re-sent too, to the address, so that its owner can finish either way.
        """
        async with self.ctx.uow() as uow:
            registration = await self.load_open(uow, live.id, token)
            begun, sent, refused = await self._again_in(uow, registration, token, when, same)
        return self._answer(begun, sent, refused)

    async def _again_in(
        self, uow: UnitOfWork, registration: Registration, token: str, when: WhenLive, same: bool
    ) -> tuple[Begun, bool, TooSoon | VerificationFailed | None]:
        """:meth:`_again` on ``registration``, read (and locked) in ``uow``, committed."""
        contest = when is WhenLive.KEEP and not same
        refused: TooSoon | VerificationFailed | None = None
        sent = False
        if contest and not registration.contested:
            registration.contested = True
            await uow.registrations.update(registration)
        try:
            sent = await self._request_code(uow, registration)
        except (TooSoon, VerificationFailed) as refusal:
            refused = refusal  # a limit, checked before the code wrote anything
        state = describe(self.ctx, registration, await pending(self.ctx, uow, registration))
        await uow.commit()  # the contest stands even when no code may go out
        return Begun(registration.id, token, False, state), sent, refused

    async def _request_code(self, uow: UnitOfWork, registration: Registration) -> bool:
        """The code of the registration again (a new one past the cooldown), unless its
        address is proven already: then nothing is sent.

        A code whose wrong attempts are spent is replaced by a fresh one: the address names
        the registration, so nobody can start another while this one stands, and whoever
        burnt the code (anyone who knows the address) would otherwise lock its owner out
        until it expires. Guesses stay capped per address and day (``verify_failures``),
        mails by ``code_send``; the registration keeps its data (contested or not)."""
        channel = Channel.EMAIL
        target = self.ctx.engine.verification_target(registration, channel)
        current = await uow.verifications.get_current(registration.id, channel)
        if registration.verified.get(channel.value) == target and current is not None:
            return False
        policy = self.ctx.verification_for(registration.contract)
        if current is not None and current.attempts >= policy.max_attempts:
            await self.ctx.limits.check("code_send", target)  # refused before any write
            await uow.verifications.delete_for(registration.id, channel)
            current = None
        sent = await send_code(self.ctx, uow, registration, channel, target, resend=False)
        return sent is not current


@dataclass(frozen=True)
class _Prepared:
    effects: list[Effect]
    sends: list[SendCode]


class _StoodFirst(Exception):
    """A live registration holds the token (seen inside the writing unit of work)."""


def _same_data(
    live: Registration, step: str, clean: dict[str, Any], secrets: frozenset[str]
) -> bool:
    """Whether ``clean`` asks for what ``live`` holds for ``step`` (secrets aside)."""
    held = live.data.get(step, {})
    return all(held.get(k) == v for k, v in clean.items() if k not in secrets)


def _last_per_channel(codes: list[SendCode]) -> list[SendCode]:
    """One code per channel: the address the last step gave it."""
    return list({code.channel: code for code in codes}.values())


def _in_progress() -> Conflict:
    return Conflict(
        "Another request for this address is in progress; try again.", code=ErrorCode.CONFLICT
    )
