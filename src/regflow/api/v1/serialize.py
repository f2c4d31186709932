"""The native API's one serializer: typed use-case results to the SPEC's JSON shapes.

Each function renders one result type exactly as the SPEC documents it
(timestamps as RFC 3339 with ``Z``, enums as their values); routes return
what these build and never read a service's internals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regflow.core.model import Channel
from regflow.services.codes import CodeSent
from regflow.services.views import PendingCode, RegistrationView, StepView


def timestamp(value: datetime) -> str:
    """``2026-01-05T09:00:00Z``: UTC, as every native answer writes time."""
    return value.isoformat().replace("+00:00", "Z")


def code_sent(sent: CodeSent) -> dict[str, Any]:
    """``POST /v1/registrations/{id}/verifications/{channel}``'s 202 body."""
    return {
        "channel": sent.channel.value,
        "expires_at": timestamp(sent.expires_at),
        "resend_available_at": timestamp(sent.resend_available_at),
    }


def pending_code(code: PendingCode) -> dict[str, Any]:
    return {
        "channel": code.channel.value,
        "target": code.target,
        "expires_at": timestamp(code.expires_at),
        "resend_available_at": timestamp(code.resend_available_at),
    }


def step(view: StepView) -> dict[str, Any]:
    return {
        "name": view.spec.name,
        "title": view.spec.title,
        "phase": view.spec.phase,
        "fields": view.spec.describe_fields(),
        "verifications": [c.value for c in view.spec.verifications],
        "done": view.done,
    }


def registration(view: RegistrationView) -> dict[str, Any]:
    """A registration's state (SPEC section 3): start, state, steps and codes answer it."""
    pending = [pending_code(p) for p in view.pending]
    return {
        "id": view.id,
        "flow": view.flow,
        "status": view.status.value,
        "step": view.step,
        "steps": [step(s) for s in view.steps],
        "progress": {"current": view.progress.current, "total": view.progress.total},
        "verified": {c.value: view.is_verified(c) for c in Channel},
        "pending_verification": pending[0] if pending else None,
        "pending_verifications": pending,
        "variant": view.variant,
        "reserved": dict(view.reserved),
        "expires_at": timestamp(view.expires_at),
    }
