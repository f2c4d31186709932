"""Funnel report math on small hand-made cohorts (no database)."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest

from regflow.core.funnel import parse_moment, percentile, report
from regflow.core.funnel_trace import StepLayout
from regflow.core.model import FunnelEvent

T0 = datetime(2030, 1, 1, tzinfo=UTC)
MEMBER = [StepLayout("email", 1), StepLayout("identity", 2), StepLayout("credentials", 3)]


class Journey:
    """Events of one registration, at seconds after T0."""

    def __init__(self, rid: str, variant: str | None = "a", flow: str = "member") -> None:
        self.rid, self.variant, self.flow = rid, variant, flow
        self.events: list[FunnelEvent] = []

    def at(self, second: float, kind: str, step: str | None = None, **extra: str) -> Journey:
        self.events.append(
            FunnelEvent(
                self.rid,
                self.flow,
                kind,
                T0 + timedelta(seconds=second),
                step=step,
                variant=self.variant,
                **extra,
            )
        )
        return self

    def start(self, first: str = "email") -> Journey:
        return self.at(0, "started").at(0, "step_viewed", first)

    def passes(self, second: float, step: str, nxt: str | None) -> Journey:
        self.at(second, "step_completed", step)
        return self.at(second, "step_viewed", nxt) if nxt else self


def cohort() -> list[FunnelEvent]:
    full = (
        Journey("r1")
        .start()
        .at(5, "verification_sent", channel="email")
        .at(9, "verification_failed", code="INVALID_CODE", channel="email")
        .at(10, "verification_succeeded", "email", channel="email")
        .passes(10, "email", "identity")
        .at(20, "step_failed", "identity", code="USERNAME_TAKEN")
        .passes(40, "identity", "credentials")
        .passes(100, "credentials", None)
        .at(110, "completed", organization_id="org-1")
    )
    expired = Journey("r2").start().at(3, "verification_sent", channel="email")
    expired.at(4000, "expired", "email")
    at_identity = Journey("r3").start().at(2, "verification_sent", channel="email")
    at_identity.at(30, "verification_succeeded", "email", channel="email")
    at_identity.passes(30, "email", "identity")
    at_identity.at(35, "step_failed", "identity", code="USERNAME_TAKEN")
    at_identity.at(36, "step_failed", "identity", code="USERNAME_TAKEN")
    all_done = Journey("r4").start().passes(20, "email", "identity")
    all_done.passes(50, "identity", "credentials").passes(80, "credentials", None)
    other = Journey("r5", variant=None).start()
    orphan = Journey("r6").at(1, "step_viewed", "email")  # no started event: not in the cohort
    events = [e for j in (full, expired, at_identity, all_done, other, orphan) for e in j.events]
    return sorted(events, key=lambda e: e.at)  # interleaved, as recorded


def test_steps_phases_and_conversion() -> None:
    flows = report(cohort(), {"member": MEMBER})
    none, a = flows["member"]
    assert none.variant is None and none.started == 1 and none.completed == 0
    assert a.variant == "a"
    assert (a.started, a.completed, a.expired, a.active) == (4, 1, 1, 2)
    assert a.conversion == 0.25
    assert a.median_seconds_to_complete == 110 and a.p90_seconds_to_complete == 110
    rows = {s.step: s for s in a.steps}
    assert [s.step for s in a.steps] == ["email", "identity", "credentials"]
    assert (rows["email"].reached, rows["email"].completed, rows["email"].dropped) == (4, 3, 1)
    assert rows["email"].median_seconds == 20 and rows["email"].p90_seconds == pytest.approx(28)
    assert (rows["identity"].reached, rows["identity"].completed) == (3, 2)
    assert rows["identity"].conversion == pytest.approx(2 / 3)
    assert rows["identity"].median_seconds == 30  # 30 (r1) and 30 (r4)
    assert rows["credentials"].median_seconds == pytest.approx(45)  # 60 and 30
    assert [p.phase for p in a.phases] == [1, 2, 3]
    assert a.phases[0].reached == 4 and a.phases[0].completed == 3
    assert a.phases[2].completed == 2  # r1 and r4 finished every step


def test_drop_off_errors_verification_and_org_code() -> None:
    a = report(cohort(), {"member": MEMBER})["member"][1]
    assert [(d.step, d.abandoned, d.expired) for d in a.drop_off] == [
        ("email", 1, 1),
        ("identity", 1, 0),
        ("complete", 1, 0),
    ]
    assert a.drop_off[0].share == 0.25
    errors = {e.code: e for e in a.errors}
    assert [e.code for e in a.errors] == ["USERNAME_TAKEN", "INVALID_CODE"]
    assert (errors["USERNAME_TAKEN"].events, errors["USERNAME_TAKEN"].registrations) == (3, 2)
    assert errors["USERNAME_TAKEN"].rate == 0.5
    assert errors["INVALID_CODE"].events == 1
    email = a.verification["email"]
    assert (email.sent, email.succeeded, email.failed_attempts) == (3, 2, 1)
    assert email.rate == pytest.approx(2 / 3)
    assert a.verification["phone"].sent == 0 and a.verification["phone"].rate is None
    assert (a.org_code.used, a.org_code.completed, a.org_code.rate) == (1, 1, 1.0)


def test_a_phase_of_two_steps_with_one_skipped() -> None:
    layout = [StepLayout("basic", 1), StepLayout("org", 1), StepLayout("security", 2)]
    skipper = Journey("s1", flow="teacher").start("basic").passes(10, "basic", "security")
    joiner = Journey("s2", flow="teacher").start("basic").passes(10, "basic", "org")
    joiner.passes(30, "org", "security")
    stuck = Journey("s3", flow="teacher").start("basic").passes(5, "basic", "org")
    events = skipper.events + joiner.events + stuck.events
    (v,) = report(events, {"teacher": layout})["teacher"]
    first = v.phases[0]
    assert (first.steps, first.reached, first.completed) == (["basic", "org"], 3, 2)
    assert first.median_seconds == 20  # 10 (skipper) and 30 (joiner)
    assert {s.step: s.reached for s in v.steps} == {"basic": 3, "org": 2, "security": 2}


def test_an_unknown_flow_is_ordered_as_its_steps_were_first_shown() -> None:
    j = Journey("u1", flow="survey").start("intro").passes(3, "intro", "details")
    j.passes(9, "details", "outro")
    (v,) = report(j.events, {})["survey"]
    assert [s.step for s in v.steps] == ["intro", "details", "outro"]
    assert v.phases == [] and all(s.phase is None for s in v.steps)
    assert [(d.step, d.abandoned) for d in v.drop_off] == [("outro", 1)]


def test_no_events_no_flows() -> None:
    assert report([], {"member": MEMBER}) == {}


@pytest.mark.parametrize("n", [1, 2, 3, 10, 37])
def test_percentile_matches_the_inclusive_method(n: int) -> None:
    values = [float((i * 7919) % 101) for i in range(n)]
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    if n > 1:
        p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
        assert percentile(values, 0.9) == pytest.approx(p90)
    assert percentile([], 0.5) is None


def test_parse_moment() -> None:
    now = datetime(2030, 1, 8, 12, tzinfo=UTC)
    assert parse_moment("7d", now) == datetime(2030, 1, 1, 12, tzinfo=UTC)
    assert parse_moment("24h", now) == now - timedelta(days=1)
    assert parse_moment("30m", now) == now - timedelta(minutes=30)
    assert parse_moment("2w", now) == now - timedelta(weeks=2)
    assert parse_moment("2030-01-02T03:04:05Z", now) == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_moment("2030-01-02", now) == datetime(2030, 1, 2, tzinfo=UTC)
    for bad in ("", "7x", "yesterday", "-1d"):
        with pytest.raises(ValueError):
            parse_moment(bad, now)
