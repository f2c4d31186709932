"""Completion hooks: what a flow declares that completing it creates, besides the account.

As kratos configures the hooks that run after a registration persists, each
:class:`~regflow.core.flowspec.FlowSpec` lists its hooks in ``on_complete``;
``regflow.services.hooks`` runs them, in order, inside completion's unit of
work, one small handler per kind. A hook is plain data naming the fields it
reads as ``(step, field)`` pairs: no service ever asks which flow it runs.

- :class:`KeepProfile`: keep what the person told the flow about themselves.
- :class:`FoundOrganization`: create an organization owned by the new account.
- :class:`JoinByCode`: join the organization a join code names, as its policy says.
- :class:`AcceptInvitation`: join the organization of the invitation that
  started the registration, active, with the invited role.

A registration started by an invitation never founds an organization nor
joins one by code: the invitation names the organization.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from regflow.core.model import JoinPolicy, Registration, Role

FieldRef = tuple[str, str]  # (step name, field name)
Fields = Mapping[str, tuple[str, ...]]  # step name -> field names

UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned: flows that do not ask for a country


@dataclass(frozen=True)
class KeepProfile:
    """Keep ``fields`` as the account's profile (its ``kind`` is the flow's name)."""

    fields: Fields


@dataclass(frozen=True)
class FoundOrganization:
    """Create the organization named by ``name``, its owner the new account.

    ``settings`` are copied into the organization's settings; ``country`` (when the flow
    asks for one) begins its join code; ``join_policy`` and ``logo`` name optional fields.
    """

    name: FieldRef
    country: FieldRef | None = None
    settings: Fields = field(default_factory=dict)
    join_policy: FieldRef | None = None
    logo: FieldRef | None = None


@dataclass(frozen=True)
class JoinByCode:
    """Join, as ``role``, the organization whose join code ``code`` holds (when that step
    applies and the code was given), following the organization's join policy."""

    code: FieldRef
    role: Role = Role.MEMBER
    details: Fields = field(default_factory=dict)  # kept with the membership


@dataclass(frozen=True)
class AcceptInvitation:
    """A registration an invitation started joins its organization with the invited role.

    ``roles``: the invited roles that register through this flow; empty, any role no
    enabled flow names (see ``regflow.core.flowspec.flow_for_invitee``).
    """

    details: Fields = field(default_factory=dict)  # kept with the membership
    roles: frozenset[Role] = frozenset()


CompletionHook = KeepProfile | FoundOrganization | JoinByCode | AcceptInvitation


def fields_read(hook: CompletionHook) -> list[FieldRef]:
    """Every ``(step, field)`` a hook reads (checked against its flow when declared)."""
    refs: list[FieldRef] = []
    match hook:
        case KeepProfile(fields=fields):
            refs += [(step, name) for step, names in fields.items() for name in names]
        case FoundOrganization():
            optional = (hook.country, hook.join_policy, hook.logo)
            refs += [hook.name, *(ref for ref in optional if ref is not None)]
            refs += [(step, name) for step, names in hook.settings.items() for name in names]
        case JoinByCode():
            refs += [hook.code]
            refs += [(step, name) for step, names in hook.details.items() for name in names]
        case AcceptInvitation():
            refs += [(step, name) for step, names in hook.details.items() for name in names]
    return refs


def pick(registration: Registration, spec: Fields) -> dict[str, Any]:
    """The named fields of the submitted steps (steps are read by name: two steps may share a
    field name, as the organization's ``name`` and its admin's)."""
    picked: dict[str, Any] = {}
    for step, names in spec.items():
        values = registration.data.get(step, {})
        picked.update({name: values[name] for name in names if name in values})
    return picked


def value(registration: Registration, ref: FieldRef | None) -> Any:
    return registration.field(*ref) if ref is not None else None


def founds(hook: FoundOrganization, registration: Registration) -> bool:
    return registration.invitation is None


def organization_name(hook: FoundOrganization, registration: Registration) -> str:
    return str(value(registration, hook.name))


def organization_country(hook: FoundOrganization, registration: Registration) -> str:
    return str(value(registration, hook.country) or UNKNOWN_COUNTRY)


def join_policy(hook: FoundOrganization, registration: Registration) -> JoinPolicy:
    return JoinPolicy(value(registration, hook.join_policy) or JoinPolicy.OPEN)


def logo_key(hook: FoundOrganization, registration: Registration) -> str | None:
    key = value(registration, hook.logo)
    return str(key) if key else None


def invited_role(registration: Registration) -> Role | None:
    return registration.invitation.role if registration.invitation is not None else None
