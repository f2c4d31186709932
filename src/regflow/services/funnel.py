"""Operator read models: the conversion funnel report and the outbox backlog.

The report is computed by ``regflow.core.funnel`` over the events of the
registrations started in the window; this module adds, for each flow with two
or more variants, the difference in overall conversion of every variant
against the first one (by name) with a confidence interval. That comparison
uses statsmodels: the Newcombe (hybrid Wilson score) interval for a difference
of two independent proportions, which behaves at 0 % and 100 %, and the score
test for its p-value. With more than two variants no multiple-comparison
correction is applied; the report says which pairs were compared.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime

from regflow.core import funnel
from regflow.core.funnel_trace import StepLayout
from regflow.core.ports import OutboxBacklog
from regflow.errors import ErrorCode, ValidationFailed
from regflow.services.context import ServiceContext

CONFIDENCE = 0.95
DRAIN_BATCH = 500  # registrations per transaction


async def drain_events(ctx: ServiceContext, max_batches: int = 1000) -> int:
    """Move every recorded event into the log reports read, a batch per transaction."""
    moved = 0
    for _ in range(max_batches):
        async with ctx.uow() as uow:
            done = await uow.sweep.drain_events(DRAIN_BATCH)
            await uow.commit()
        moved += done
        if done < DRAIN_BATCH:
            break
    return moved


@dataclass(frozen=True)
class Comparison:
    """A variant against the control (the first by name) in overall conversion."""

    control: str | None
    variant: str | None
    control_conversion: float | None
    variant_conversion: float | None
    difference: float
    confidence: float
    ci_low: float
    ci_high: float
    p_value: float | None  # None when the score test has none (0 % or 100 % in both)
    significant: bool
    method: str


@dataclass(frozen=True)
class FlowFunnel:
    flow: str
    experiment: str | None  # the experiment running in the flow, if any
    variants: tuple[funnel.VariantReport, ...]
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True)
class FunnelReport:
    """The funnel of the registrations started in [since, until), per flow and variant."""

    since: datetime
    until: datetime
    generated_at: datetime
    flow: str | None  # the one flow asked for, or None for all
    flows: tuple[FlowFunnel, ...]


class OperatorReports:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def funnel(
        self, since: datetime, until: datetime | None = None, flow: str | None = None
    ) -> FunnelReport:
        """The funnel of the registrations started in [since, until), per flow and variant."""
        now = self.ctx.clock()
        until = until or now
        if since >= until:
            raise ValidationFailed.single(
                "since", ErrorCode.INVALID_VALUE, "since must be before until."
            )
        await drain_events(self.ctx)  # the events recorded since the sweep last ran
        async with self.ctx.uow(read_only=True) as uow:
            events = await uow.reports.cohort_events(since, until, flow)
        layouts = {
            name: [StepLayout(step.name, step.phase) for step in spec.steps]
            for name, spec in self.ctx.engine.flows.items()
        }
        flows = funnel.report(events, layouts)
        return FunnelReport(
            since=since,
            until=until,
            generated_at=now,
            flow=flow,
            flows=tuple(
                FlowFunnel(
                    name, self.ctx.experiments.for_flow(name), tuple(variants), compare(variants)
                )
                for name, variants in flows.items()
            ),
        )

    async def outbox_backlog(self) -> OutboxBacklog:
        async with self.ctx.uow(read_only=True) as uow:
            return await uow.reports.outbox_backlog(self.ctx.clock())


def compare(
    variants: list[funnel.VariantReport], confidence: float = CONFIDENCE
) -> tuple[Comparison, ...]:
    """Each named variant against the first (by name), when at least two have registrations."""
    named = [v for v in variants if v.variant is not None and v.started > 0]
    if len(named) < 2:
        return ()
    control = named[0]
    return tuple(difference(control, v, confidence) for v in named[1:])


def difference(
    control: funnel.VariantReport, variant: funnel.VariantReport, confidence: float = CONFIDENCE
) -> Comparison:
    """``variant`` minus ``control`` in overall conversion, with interval and p-value."""
    # Imported here, not at the top: statsmodels (with scipy and pandas) costs a second and
    # tens of MB, and every API process would pay it for a report only operators ask for.
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    counts = (variant.completed, variant.started, control.completed, control.started)
    with warnings.catch_warnings():
        # at 0 % or 100 % in both groups the score test divides by zero and says nan
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(
            *counts, method="newcombe", compare="diff", alpha=1 - confidence
        )
        test = test_proportions_2indep(*counts, method="score", compare="diff")
    p_value = float(test.pvalue)
    diff = variant.completed / variant.started - control.completed / control.started
    return Comparison(
        control=control.variant,
        variant=variant.variant,
        control_conversion=control.conversion,
        variant_conversion=variant.conversion,
        difference=diff,
        confidence=confidence,
        ci_low=float(low),
        ci_high=float(high),
        p_value=None if math.isnan(p_value) else p_value,
        significant=bool(low > 0 or high < 0),
        method="Newcombe interval and score test for two independent proportions",
    )
