"""A step as the native API writes it: what its spec decides is written once per spec."""

from __future__ import annotations

from typing import Any

from regflow.api.v1.serialize.registrations import step
from regflow.core.flows import known
from regflow.core.flowspec import StepSpec
from regflow.services.views import StepView


def _written(spec: StepSpec, done: bool) -> dict[str, Any]:
    return {
        "name": spec.name,
        "title": spec.title,
        "phase": spec.phase,
        "fields": spec.describe_fields(),
        "verifications": [c.value for c in spec.verifications],
        "done": done,
    }


def test_every_step_of_every_flow_is_written_as_its_spec_says() -> None:
    specs = [spec for flow in known().values() for spec in flow.steps]
    assert len(specs) > 10
    for spec in specs * 2:  # the second time from what was kept
        for done in (False, True):
            written = step(StepView(spec, done))
            assert written == _written(spec, done)
            assert list(written) == list(_written(spec, done))  # the keys' order too


def test_a_spec_made_later_is_written_as_its_own() -> None:
    first = next(iter(known().values())).steps[0]
    again = StepSpec(first.name, first.fields, phase=first.phase + 1, title="Other")
    assert step(StepView(again, False))["phase"] == first.phase + 1
    assert step(StepView(again, False))["title"] == "Other"
    assert step(StepView(first, False))["title"] == first.title
