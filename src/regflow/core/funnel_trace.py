"""Folding a registration's funnel events into one trace, and the step order of a flow.

Events are read in the order they were recorded. A registration's position is
the step it was last shown (``step_viewed``), or ``complete`` once the step it
was on is passed with nothing shown after it, i.e. every step is done.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from regflow.core.model import FunnelEvent

COMPLETE = "complete"


@dataclass(frozen=True)
class StepLayout:
    name: str
    phase: int | None = None


@dataclass
class Trace:
    """What one registration did, folded from its events."""

    flow: str
    variant: str | None
    started_at: datetime
    completed_at: datetime | None = None
    expired: bool = False
    org: bool = False
    stopped: str | None = None
    viewed: dict[str, datetime] = field(default_factory=dict)
    done: dict[str, datetime] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    failed: Counter[str] = field(default_factory=Counter)


def fold(events: Iterable[FunnelEvent]) -> list[Trace]:
    """One trace per registration that has a ``started`` event, in order of start."""
    traces: dict[str, Trace] = {}
    for e in events:
        if e.kind == "started":
            traces.setdefault(e.registration_id, Trace(e.flow, e.variant, e.at))
        trace = traces.get(e.registration_id)
        if trace is None:
            continue
        trace.org = trace.org or e.organization_id is not None
        if e.kind == "step_viewed" and e.step:
            trace.viewed.setdefault(e.step, e.at)
            trace.stopped = e.step
        elif e.kind == "step_completed" and e.step:
            trace.done.setdefault(e.step, e.at)
            if trace.stopped == e.step:
                trace.stopped = COMPLETE
        elif e.kind in {"step_failed", "verification_failed"} and e.code:
            trace.errors[e.code] += 1
        if e.channel and e.kind == "verification_sent":
            trace.sent.add(e.channel)
        elif e.channel and e.kind == "verification_succeeded":
            trace.confirmed.add(e.channel)
        elif e.channel and e.kind == "verification_failed":
            trace.failed[e.channel] += 1
        if e.kind == "completed":
            trace.completed_at = trace.completed_at or e.at
        elif e.kind == "expired":
            trace.expired = True
    return list(traces.values())


def layout_from(traces: Sequence[Trace], known: Sequence[StepLayout]) -> list[StepLayout]:
    """The declared steps, then any others seen, in the order they were first shown."""
    names = {s.name for s in known}
    seen: dict[str, datetime] = {}
    for t in traces:
        for step, at in t.viewed.items():
            if step not in names and (step not in seen or at < seen[step]):
                seen[step] = at
    extra = sorted(seen, key=lambda s: seen[s])
    return [*known, *(StepLayout(s) for s in extra)]
