"""The flow engine: decides, never does I/O.

Like httpx's auth flows, each call takes the registration and the clock's
``now`` and returns an :class:`Outcome`: the new registration state plus the
effects (codes to send, funnel events to record) that the services carry out
inside one unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from regflow.core import passwords
from regflow.core.flowspec import FlowSpec, StepSpec
from regflow.core.model import (
    Channel,
    InvitationLink,
    Registration,
    RegistrationStatus,
    Reserved,
)
from regflow.errors import Conflict, ErrorCode, FieldProblem, Gone, NotFound, ValidationFailed


@dataclass(frozen=True)
class SendCode:
    channel: Channel
    target: str


@dataclass(frozen=True)
class RecordEvent:
    kind: str
    step: str | None = None
    code: str | None = None
    channel: str | None = None


Effect = SendCode | RecordEvent


@dataclass
class Outcome:
    registration: Registration
    effects: list[Effect] = field(default_factory=list)

    @property
    def codes_to_send(self) -> list[SendCode]:
        return [e for e in self.effects if isinstance(e, SendCode)]


class Engine:
    """Runs every declared flow: order, verification gates, expiry."""

    def __init__(
        self,
        flows: Mapping[str, FlowSpec],
        *,
        ttl: timedelta = timedelta(hours=1),
        password_policy: passwords.PasswordPolicy | None = None,
    ) -> None:
        self.flows = dict(flows)
        self.ttl = ttl
        self.password_policy = password_policy or passwords.policy_for("nist")
        # names of the steps that take a secret to hash, in any flow (flows never change)
        self.secret_steps = frozenset(
            step.name for spec in self.flows.values() for step in spec.steps if step.secret_fields
        )
        # flows that name their own policy (the seed contracts' compact flows)
        self._policies = {
            name: passwords.policy_for(spec.password_policy)
            for name, spec in self.flows.items()
            if spec.password_policy is not None
        }

    # -- lookups ---------------------------------------------------------------------------

    def policy_of(self, flow: str) -> passwords.PasswordPolicy:
        """The password policy of ``flow``: its own, else the configured one."""
        return self._policies.get(flow, self.password_policy)

    def flow(self, name: str) -> FlowSpec:
        try:
            return self.flows[name]
        except KeyError:
            raise ValidationFailed.single("flow", ErrorCode.FLOW_UNKNOWN, "No such flow.") from None

    def active_steps(self, registration: Registration) -> list[StepSpec]:
        spec = self.flow(registration.flow)
        return [s for s in spec.steps if not s.skipped(registration)]

    def step_done(self, registration: Registration, step: StepSpec) -> bool:
        if not registration.submitted(step.name):
            return False
        return all(self.channel_verified(registration, step, ch) for ch in step.verifications)

    def channel_verified(self, registration: Registration, step: StepSpec, ch: Channel) -> bool:
        target = self.address(registration, ch, upto=step)
        return target is not None and registration.verified.get(ch.value) == target

    def address(
        self, registration: Registration, channel: Channel, *, upto: StepSpec | None = None
    ) -> str | None:
        """The address ``channel`` is verified for: the field of that name in the last active
        step (up to ``upto``) that collected it. A flow may collect an address in one step and
        require its verification in a later one (the teacher's basic and security steps)."""
        found: str | None = None
        for step in self.active_steps(registration):
            value = registration.field(step.name, channel.value)
            if value is not None:
                found = str(value)
            if upto is not None and step.name == upto.name:
                break
        return found

    def unverified_addresses(self, registration: Registration) -> list[tuple[Channel, str]]:
        """Addresses the current step or a later one needs proven and that are not yet."""
        current = self.current_step(registration)
        if current is None:
            return []
        found = []
        for channel in self._declared_from(registration, current):
            target = self.address(registration, channel)
            if target is not None and registration.verified.get(channel.value) != target:
                found.append((channel, target))
        return found

    def current_step(self, registration: Registration) -> StepSpec | None:
        """The first step not done yet, or None when the flow can be completed."""
        for step in self.active_steps(registration):
            if not self.step_done(registration, step):
                return step
        return None

    def progress(self, registration: Registration) -> tuple[int, int]:
        spec = self.flow(registration.flow)
        current = self.current_step(registration)
        return (current.phase if current else spec.phases), spec.phases

    # -- transitions -----------------------------------------------------------------------

    def start(
        self,
        flow: str,
        *,
        registration_id: str,
        token_hash: str,
        now: datetime,
        variant: str | None = None,
        contract: str = "native",
        locale: str = "en",
        reserved: Reserved | None = None,
        invitation: InvitationLink | None = None,
    ) -> Outcome:
        spec = self.flow(flow)
        registration = Registration(
            id=registration_id,
            flow=spec.name,
            token_hash=token_hash,
            status=RegistrationStatus.ACTIVE,
            data={},
            verified={},
            created_at=now,
            updated_at=now,
            expires_at=now + self.ttl,
            variant=variant,
            contract=contract,
            locale=locale,
            reserved=reserved or Reserved(),
            invitation=invitation,
        )
        first = self.current_step(registration)
        return Outcome(
            registration,
            [
                RecordEvent("started"),
                RecordEvent("step_viewed", step=first.name if first else None),
            ],
        )

    def expire_if_due(self, registration: Registration, now: datetime) -> Outcome | None:
        """Mark an active registration past its lifetime as expired (effects to record)."""
        if registration.status is RegistrationStatus.ACTIVE and now >= registration.expires_at:
            registration.status = RegistrationStatus.EXPIRED
            registration.updated_at = now
            step = self.current_step(registration)
            return Outcome(registration, [RecordEvent("expired", step=step.name if step else None)])
        return None

    def ensure_open(self, registration: Registration) -> None:
        if registration.status is RegistrationStatus.COMPLETED:
            raise Conflict(
                "This registration is already complete.", code=ErrorCode.ALREADY_COMPLETED
            )
        if registration.status is RegistrationStatus.EXPIRED:
            raise Gone()

    def validate(
        self, registration: Registration, step_name: str, raw: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check order and fields; the clean values (secrets still plain) or an error."""
        self.ensure_open(registration)
        step = self.flow(registration.flow).step(step_name)
        self._check_order(registration, step)
        values = step.parse(raw, registration).model_dump(mode="json")
        if "password" in values:
            self._check_password(registration, values)
        return values

    def submit(
        self, registration: Registration, step_name: str, clean: dict[str, Any], now: datetime
    ) -> Outcome:
        """Store a validated step (secrets already replaced by hashes) and decide what follows."""
        self.ensure_open(registration)
        step = self.flow(registration.flow).step(step_name)
        self._check_order(registration, step)
        before = self.current_step(registration)
        registration.data[step.name] = clean
        effects: list[Effect] = []
        for channel in self._declared_from(registration, step):
            target = clean.get(channel.value)
            if target is None:
                continue
            if registration.verified.get(channel.value) != target:
                # a new address voids an earlier verification of the channel
                registration.verified.pop(channel.value, None)
                effects.append(SendCode(channel, str(target)))
        effects.extend(self._advanced(registration, before))
        self._touch(registration, now)
        return Outcome(registration, effects)

    def confirm(
        self, registration: Registration, channel: Channel, target: str, now: datetime
    ) -> Outcome:
        """Record that ``target`` was proven on ``channel``."""
        self.ensure_open(registration)
        before = self.current_step(registration)
        registration.verified[channel.value] = target
        effects: list[Effect] = [
            RecordEvent(
                "verification_succeeded",
                channel=channel.value,
                step=before.name if before else None,
            )
        ]
        effects.extend(self._advanced(registration, before))
        self._touch(registration, now)
        return Outcome(registration, effects)

    def ready_to_complete(self, registration: Registration) -> dict[str, Any]:
        """All data of a finished flow, merged; refuses with no side effect otherwise."""
        self.ensure_open(registration)
        for step in self.active_steps(registration):
            if not registration.submitted(step.name):
                raise Conflict(f"Step {step.name!r} is not done yet.", code=ErrorCode.STEP_ORDER)
            for channel in step.verifications:
                if not self.channel_verified(registration, step, channel):
                    raise Conflict(
                        f"The {channel.value} is not verified yet.",
                        code=ErrorCode.VERIFICATION_REQUIRED,
                    )
        merged: dict[str, Any] = {}
        for step in self.active_steps(registration):
            merged.update(registration.data[step.name])
        return merged

    def completed(self, registration: Registration, account_id: str, now: datetime) -> Outcome:
        registration.status = RegistrationStatus.COMPLETED
        registration.account_id = account_id
        registration.updated_at = now
        return Outcome(registration, [RecordEvent("completed")])

    def verification_target(self, registration: Registration, channel: Channel) -> str:
        """The address a code for ``channel`` goes to: collected by the step that declares
        the verification or by an earlier one."""
        if any(channel in step.verifications for step in self.active_steps(registration)):
            target = self.address(registration, channel)
            if target is not None:
                return target
        raise NotFound(
            "No code was requested for this channel.", code=ErrorCode.VERIFICATION_NOT_FOUND
        )

    # -- internals -------------------------------------------------------------------------

    def _check_order(self, registration: Registration, step: StepSpec) -> None:
        if step.skipped(registration):
            raise Conflict(f"Step {step.name!r} does not apply.", code=ErrorCode.STEP_ORDER)
        current = self.current_step(registration)
        if current is None:
            return  # everything is done: any step may be revisited
        spec = self.flow(registration.flow)
        if spec.index(step.name) > spec.index(current.name):
            raise Conflict(f"Finish step {current.name!r} first.", code=ErrorCode.STEP_ORDER)

    def _check_password(self, registration: Registration, values: dict[str, Any]) -> None:
        password = str(values["password"])
        problems: list[FieldProblem] = []
        personal = self.flow(registration.flow).personal_fields
        context = [
            str(v)
            for step in [*registration.data.values(), values]  # the step's own name and email too
            for k, v in step.items()
            if k in personal and v
        ]
        try:
            self.policy_of(registration.flow).check(password, context=context)
        except FieldProblem as problem:
            problems.append(problem)
        if "password_confirmation" in values:
            try:
                passwords.check_confirmation(password, str(values["password_confirmation"]))
            except FieldProblem as problem:
                problems.append(problem)
        if problems:
            raise ValidationFailed(problems)

    def _declared_from(self, registration: Registration, step: StepSpec) -> list[Channel]:
        """Channels whose verification ``step`` or a later active step declares."""
        steps = self.active_steps(registration)
        names = [s.name for s in steps]
        later = steps[names.index(step.name) :] if step.name in names else [step]
        return list(dict.fromkeys(ch for s in later for ch in s.verifications))

    def _advanced(self, registration: Registration, before: StepSpec | None) -> list[Effect]:
        after = self.current_step(registration)
        if after is before:
            return []
        effects: list[Effect] = []
        if before is not None and self.step_done(registration, before):
            # not when going back to an earlier step: ``before`` was left, not finished
            effects.append(RecordEvent("step_completed", step=before.name))
        if after is not None:
            effects.append(RecordEvent("step_viewed", step=after.name))
        return effects

    def _touch(self, registration: Registration, now: datetime) -> None:
        registration.updated_at = now
        registration.expires_at = now + self.ttl  # sliding lifetime
