"""The built-in flows, by name."""

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


def enabled(names: list[str]) -> dict[str, FlowSpec]:
    """The built-in flows named in the configuration, in that order."""
    return {name: BUILT_IN[name] for name in names if name in BUILT_IN}
