"""The registration state as clients see it (SPEC section 3 shapes)."""

from __future__ import annotations

from typing import Any

from regflow.core.identifiers import mask_email
from regflow.core.model import Channel, Registration, Verification
from regflow.core.onboarding import RESERVED_KEY
from regflow.core.ports import UnitOfWork
from regflow.services.context import ServiceContext


def _iso(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))


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
) -> dict[str, Any]:
    engine = ctx.engine
    spec = engine.flow(registration.flow)
    current = engine.current_step(registration)
    done_at, total = engine.progress(registration)
    pending_list = [
        {
            "channel": v.channel.value,
            "target": _mask(v.channel, v.target),
            "expires_at": _iso(v.expires_at),
            "resend_available_at": _iso(v.resend_available_at),
        }
        for v in waiting
    ]
    steps = [
        {
            "name": step.name,
            "title": step.title,
            "phase": step.phase,
            "fields": step.describe_fields(),
            "verifications": [c.value for c in step.verifications],
            "done": engine.step_done(registration, step),
        }
        for step in engine.active_steps(registration)
    ]
    return {
        "id": registration.id,
        "flow": spec.name,
        "status": registration.status.value,
        "step": current.name if current else "complete",
        "steps": steps,
        "progress": {"current": done_at, "total": total},
        "verified": {c.value: c.value in registration.verified for c in Channel},
        "pending_verification": pending_list[0] if pending_list else None,
        "pending_verifications": pending_list,
        "variant": registration.variant,
        # drawn before completion: the join code of the organization it will found, ids
        "reserved": dict(registration.data.get(RESERVED_KEY) or {}),
        "expires_at": _iso(registration.expires_at),
    }
