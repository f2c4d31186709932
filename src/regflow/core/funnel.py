"""Funnel report math over plain event rows: pure, no I/O, no statistics library.

The input is the events of a cohort (the registrations *started* in the report
window) in the order they were recorded. Definitions, per flow and variant:

- a step is *reached* by a registration that was shown it (``step_viewed``) and
  *completed* by one that passed it (``step_completed``); its time runs from the
  first view to the first completion;
- a phase is entered with the first view of any of its steps and left with the
  first view of a later step or the end of the steps; skipped steps never count;
- a registration that did not complete *stopped* at the step it was last shown,
  or at ``complete`` when every step was done but completion never happened;
- error rates are per stable code: events, registrations hit, and that share of
  the registrations started; verification success is per channel: registrations
  that confirmed a code (or link) among those sent one; org-code usage is the
  share of completed registrations whose events name an organization.

Percentiles interpolate linearly between closest ranks (numpy's default).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from regflow.core.funnel_trace import COMPLETE, StepLayout, Trace, fold, layout_from
from regflow.core.model import FunnelEvent

CHANNELS = ("email", "phone")
_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass
class StepReport:
    step: str
    phase: int | None
    reached: int
    completed: int
    dropped: int
    conversion: float | None
    median_seconds: float | None
    p90_seconds: float | None


@dataclass
class PhaseReport:
    phase: int
    steps: list[str]
    reached: int
    completed: int
    conversion: float | None
    median_seconds: float | None
    p90_seconds: float | None


@dataclass
class DropOff:
    step: str
    abandoned: int
    expired: int
    share: float | None


@dataclass
class ErrorRate:
    code: str
    events: int
    registrations: int
    rate: float | None


@dataclass
class ChannelRate:
    sent: int
    succeeded: int
    failed_attempts: int
    rate: float | None


@dataclass
class OrgCodeUsage:
    used: int
    completed: int
    rate: float | None


@dataclass
class VariantReport:
    variant: str | None
    started: int
    completed: int
    expired: int
    active: int
    conversion: float | None
    median_seconds_to_complete: float | None
    p90_seconds_to_complete: float | None
    steps: list[StepReport]
    phases: list[PhaseReport]
    drop_off: list[DropOff]
    errors: list[ErrorRate]
    verification: dict[str, ChannelRate]
    org_code: OrgCodeUsage


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) with linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def parse_moment(text: str, now: datetime) -> datetime:
    """``7d``, ``24h``, ``30m``, ``2w`` or ``90s`` before ``now``, or ISO 8601 (naive is UTC)."""
    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    value = datetime.fromisoformat(text.strip())  # ValueError when neither
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def report(
    events: Iterable[FunnelEvent], layouts: Mapping[str, Sequence[StepLayout]]
) -> dict[str, list[VariantReport]]:
    """Per flow (sorted), the report of each variant (no variant first, then by name)."""
    groups: dict[str, dict[str | None, list[Trace]]] = {}
    for trace in fold(events):
        groups.setdefault(trace.flow, {}).setdefault(trace.variant, []).append(trace)
    out: dict[str, list[VariantReport]] = {}
    for flow in sorted(groups):
        by_variant = groups[flow]
        every = [t for traces in by_variant.values() for t in traces]
        steps = layout_from(every, layouts.get(flow, ()))
        keys = sorted(by_variant, key=lambda v: (v is not None, v or ""))
        out[flow] = [variant_report(v, by_variant[v], steps) for v in keys]
    return out


def variant_report(
    variant: str | None, traces: Sequence[Trace], steps: Sequence[StepLayout]
) -> VariantReport:
    started = len(traces)
    completed = [t for t in traces if t.completed_at is not None]
    expired = sum(1 for t in traces if t.expired and t.completed_at is None)
    to_complete = [
        (t.completed_at - t.started_at).total_seconds() for t in completed if t.completed_at
    ]
    return VariantReport(
        variant=variant,
        started=started,
        completed=len(completed),
        expired=expired,
        active=started - len(completed) - expired,
        conversion=ratio(len(completed), started),
        median_seconds_to_complete=percentile(to_complete, 0.5),
        p90_seconds_to_complete=percentile(to_complete, 0.9),
        steps=[_step(s, traces) for s in steps],
        phases=_phases(traces, steps),
        drop_off=_drop_off(traces, steps),
        errors=_errors(traces),
        verification={ch: _channel(ch, traces) for ch in _channels(traces)},
        org_code=OrgCodeUsage(
            used=sum(1 for t in completed if t.org),
            completed=len(completed),
            rate=ratio(sum(1 for t in completed if t.org), len(completed)),
        ),
    )


def _step(layout: StepLayout, traces: Sequence[Trace]) -> StepReport:
    name = layout.name
    reached = sum(1 for t in traces if name in t.viewed)
    completed = sum(1 for t in traces if name in t.done)
    times = [
        (t.done[name] - t.viewed[name]).total_seconds()
        for t in traces
        if name in t.viewed and name in t.done and t.done[name] >= t.viewed[name]
    ]
    return StepReport(
        step=name,
        phase=layout.phase,
        reached=reached,
        completed=completed,
        dropped=max(0, reached - completed),
        conversion=ratio(completed, reached),
        median_seconds=percentile(times, 0.5),
        p90_seconds=percentile(times, 0.9),
    )


def _phases(traces: Sequence[Trace], steps: Sequence[StepLayout]) -> list[PhaseReport]:
    phases = sorted({s.phase for s in steps if s.phase is not None})
    last = steps[-1].name if steps else None
    reports = []
    for phase in phases:
        inside = [i for i, s in enumerate(steps) if s.phase == phase]
        names = [steps[i].name for i in inside]
        later = [s.name for s in steps[inside[-1] + 1 :]]
        reached = completed = 0
        times: list[float] = []
        for t in traces:
            entered = [t.viewed[n] for n in names if n in t.viewed]
            if not entered:
                continue
            reached += 1
            ends = [t.viewed[n] for n in later if n in t.viewed]
            ends += [at for at in (t.done.get(last or ""), t.completed_at) if at is not None]
            if ends:
                completed += 1
                times.append(max(0.0, (min(ends) - min(entered)).total_seconds()))
        reports.append(
            PhaseReport(
                phase=phase,
                steps=names,
                reached=reached,
                completed=completed,
                conversion=ratio(completed, reached),
                median_seconds=percentile(times, 0.5),
                p90_seconds=percentile(times, 0.9),
            )
        )
    return reports


def _drop_off(traces: Sequence[Trace], steps: Sequence[StepLayout]) -> list[DropOff]:
    stopped = [t for t in traces if t.completed_at is None]
    order = [s.name for s in steps] + [COMPLETE]
    where = Counter(t.stopped or order[0] for t in stopped)
    ended = Counter(t.stopped or order[0] for t in stopped if t.expired)
    names = [n for n in order if n in where] + sorted(set(where) - set(order))
    return [DropOff(n, where[n], ended[n], ratio(where[n], len(traces))) for n in names]


def _errors(traces: Sequence[Trace]) -> list[ErrorRate]:
    events: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for t in traces:
        events.update(t.errors)
        hit.update(t.errors.keys())
    codes = sorted(events, key=lambda c: (-events[c], c))
    return [ErrorRate(c, events[c], hit[c], ratio(hit[c], len(traces))) for c in codes]


def _channels(traces: Sequence[Trace]) -> list[str]:
    seen = {ch for t in traces for ch in (*t.sent, *t.confirmed, *t.failed)}
    return [*CHANNELS, *sorted(seen - set(CHANNELS))]


def _channel(channel: str, traces: Sequence[Trace]) -> ChannelRate:
    sent = [t for t in traces if channel in t.sent]
    succeeded = sum(1 for t in sent if channel in t.confirmed)
    return ChannelRate(
        sent=len(sent),
        succeeded=succeeded,
        failed_attempts=sum(t.failed[channel] for t in traces),
        rate=ratio(succeeded, len(sent)),
    )
