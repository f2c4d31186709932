"""The flows regflow knows, by name: the built-in ones and any registered with :func:`register`.

Adding a flow is one module declaring its :class:`~regflow.core.flowspec.FlowSpec`
(steps, step rules, completion hooks) plus its registration; the configuration
(``REGFLOW_FLOWS``) then enables it by name.
"""

from __future__ import annotations

from regflow.core.flows import compact, member, organization, student, teacher
from regflow.core.flowspec import FlowSpec

BUILT_IN: dict[str, FlowSpec] = {
    flow.name: flow
    for flow in (
        member.FLOW,
        organization.FLOW,
        teacher.FLOW,
        student.FLOW,
        compact.QUICK,  # seed contracts: pending
        compact.OWNER,  # oneshot
        compact.TENANT,  # verify_first
    )
}
_KNOWN: dict[str, FlowSpec] = dict(BUILT_IN)


def register(flow: FlowSpec) -> FlowSpec:
    """Make ``flow`` known by its name (enabled where the configuration names it).

    Registering the same spec again is harmless; another spec under a known name is
    refused, so a built-in flow cannot be replaced by accident.
    """
    known = _KNOWN.get(flow.name)
    if known is not None and known is not flow:
        raise ValueError(f"a flow named {flow.name!r} is registered already")
    _KNOWN[flow.name] = flow
    return flow


def known() -> dict[str, FlowSpec]:
    """Every flow known by name: built in or registered."""
    return dict(_KNOWN)


def enabled(names: list[str]) -> dict[str, FlowSpec]:
    """The known flows named in the configuration, in that order."""
    return {name: _KNOWN[name] for name in names if name in _KNOWN}
