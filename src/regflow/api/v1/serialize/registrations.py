"""Registrations: their state, codes sent, and what completing one made."""

from __future__ import annotations

from typing import Any

from regflow.api.v1.serialize._time import timestamp
from regflow.api.v1.serialize.organizations import organization
from regflow.api.v1.serialize.sessions import token
from regflow.core.flowspec import StepSpec
from regflow.core.model import Channel
from regflow.services.codes import CodeSent
from regflow.services.completed import AccountView, Completed
from regflow.services.views import PendingCode, RegistrationView, StepView


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
    return {**_described(view.spec), "done": view.done}


# what a step's spec alone decides, written once per spec (the flows' specs: a handful) and
# shared by the answers, which are only serialized
_DESCRIBED: dict[int, tuple[StepSpec, dict[str, Any]]] = {}
_DESCRIBED_MAX = 1024


def _described(spec: StepSpec) -> dict[str, Any]:
    found = _DESCRIBED.get(id(spec))
    if found is not None and found[0] is spec:
        return found[1]
    described = {
        "name": spec.name,
        "title": spec.title,
        "phase": spec.phase,
        "fields": spec.describe_fields(),
        "verifications": [c.value for c in spec.verifications],
    }
    if len(_DESCRIBED) < _DESCRIBED_MAX:
        _DESCRIBED[id(spec)] = (spec, described)  # held: its id is not reused meanwhile
    return described


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


def account(view: AccountView) -> dict[str, Any]:
    return {
        "id": view.id,
        "email": view.email,
        "email_verified": view.email_verified,
        "phone": view.phone,
        "phone_verified": view.phone_verified,
        "username": view.username,
        "first_name": view.first_name,
        "last_name": view.last_name,
        "created_at": timestamp(view.created_at),
    }


def completed(done: Completed) -> dict[str, Any]:
    """``POST /v1/registrations/{id}/complete``'s 201 body (a replay answers the same,
    with a fresh token); the founder of an organization sees all of it and next steps."""
    org, membership = done.organization, done.membership
    body: dict[str, Any] = {
        "account": account(done.account),
        "organization": {"id": org.id, "name": org.name, "slug": org.slug} if org else None,
        "membership": (
            {"role": membership.role.value, "status": membership.status.value}
            if membership
            else None
        ),
    }
    if done.founded is not None:
        body["organization"] = organization(done.founded)
        body["next_steps"] = [{"id": s.id, "text": s.text} for s in done.made.next_steps]
    return {**body, **token(done.token)}
