"""The registration as every front end sees it: :class:`RegistrationView`.

A use case that answers with a registration's state returns this typed value;
the native API renders it to the SPEC section 3 shape
(``regflow.api.v1.serialize``), the hosted UI and the seed contracts read
what they show from the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from regflow.core.flowspec import StepSpec
from regflow.core.identifiers import mask_email
from regflow.core.model import Channel, Registration, RegistrationStatus, Verification
from regflow.core.ports import UnitOfWork
from regflow.services.context import ServiceContext

COMPLETE = "complete"  # the current step's name once every step is done


@dataclass(frozen=True)
class PendingCode:
    """A code sent and not confirmed yet, to a masked address."""

    channel: Channel
    target: str  # masked: a client shows it, never learns the whole address
    expires_at: datetime
    resend_available_at: datetime


@dataclass(frozen=True)
class StepView:
    """One active step of the flow and whether it is done."""

    spec: StepSpec
    done: bool

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(str(f["name"]) for f in self.spec.describe_fields())


@dataclass(frozen=True)
class Progress:
    current: int
    total: int


@dataclass(frozen=True)
class RegistrationView:
    """Where a registration stands: its steps, what is verified, the codes awaited."""

    id: str
    flow: str
    status: RegistrationStatus
    step: str  # the current step's name, or COMPLETE
    steps: tuple[StepView, ...]
    progress: Progress
    verified: frozenset[Channel]
    pending: tuple[PendingCode, ...]
    variant: str | None
    # drawn before completion: the join code of the organization it will found, ids
    reserved: Mapping[str, str]
    expires_at: datetime

    @property
    def complete(self) -> bool:
        """Every step is done (codes may still be awaited: see :attr:`awaiting`)."""
        return self.step == COMPLETE

    @property
    def awaiting(self) -> PendingCode | None:
        """The first code awaited, if any."""
        return self.pending[0] if self.pending else None

    def is_verified(self, channel: Channel) -> bool:
        return channel in self.verified

    def pending_for(self, channel: Channel) -> PendingCode | None:
        return next((p for p in self.pending if p.channel is channel), None)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]


def _mask(channel: Channel, target: str) -> str:
    if channel is Channel.EMAIL:
        return mask_email(target)
    return target[:3] + "*" * max(0, len(target) - 5) + target[-2:]


async def pending(
    ctx: ServiceContext, uow: UnitOfWork, registration: Registration
) -> list[Verification]:
    """Unconfirmed challenges the current step (or a later one) needs, for their addresses."""
    found = []
    for channel, target in ctx.engine.unverified_addresses(registration):
        v = await uow.verifications.get_current(registration.id, channel)
        if v is not None and v.target == target:
            found.append(v)
    return found


def describe(
    ctx: ServiceContext, registration: Registration, waiting: list[Verification]
) -> RegistrationView:
    engine = ctx.engine
    spec = engine.flow(registration.flow)
    current = engine.current_step(registration)
    done_at, total = engine.progress(registration)
    return RegistrationView(
        id=registration.id,
        flow=spec.name,
        status=registration.status,
        step=current.name if current else COMPLETE,
        steps=tuple(
            StepView(step, engine.step_done(registration, step))
            for step in engine.active_steps(registration)
        ),
        progress=Progress(done_at, total),
        verified=frozenset(c for c in Channel if c.value in registration.verified),
        pending=tuple(
            PendingCode(v.channel, _mask(v.channel, v.target), v.expires_at, v.resend_available_at)
            for v in waiting
        ),
        variant=registration.variant,
        reserved=registration.reserved.shown(),
        expires_at=registration.expires_at,
    )
