"""Experiments: named variants with weights, assigned deterministically per registration.

An experiment runs in one or more flows (at most one experiment per flow, so a
registration carries a single ``variant``). A registration gets the variant the
client asked for when the experiment lists it (weight 0 included: a variant can
be closed to new random assignment yet still be forced, e.g. by QA); otherwise
the SHA-256 of ``"<experiment>:<registration id>"`` picks one in proportion to
the weights. The same id always lands in the same variant, in every process.

A flow that no experiment covers gets no variant at all, whatever the client
sent: variants label funnel reports and Prometheus series, so only configured
names may appear there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class ExperimentSpec(BaseModel):
    """One experiment as configured: ``{"variants": {"a": 50, "b": 50}, "flows": ["member"]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variants: dict[Name, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(min_length=1)
    flows: list[Name] = Field(min_length=1)

    @model_validator(mode="after")
    def _some_weight(self) -> ExperimentSpec:
        if sum(self.variants.values()) <= 0:
            raise ValueError("at least one variant needs a positive weight")
        return self


class Experiments:
    """The configured experiments, indexed by the flow they run in."""

    def __init__(self, specs: Mapping[str, ExperimentSpec] | None = None) -> None:
        self.specs = dict(specs or {})
        self._by_flow: dict[str, str] = {}
        for name, spec in self.specs.items():
            for flow in spec.flows:
                if flow in self._by_flow:
                    raise ValueError(
                        f"flow {flow!r} is in experiments {self._by_flow[flow]!r} and {name!r}; "
                        "a flow runs at most one experiment"
                    )
                self._by_flow[flow] = name

    def for_flow(self, flow: str) -> str | None:
        """The name of the experiment running in ``flow``, if any."""
        return self._by_flow.get(flow)

    def assign(self, flow: str, registration_id: str, requested: str | None = None) -> str | None:
        """The variant of a new registration (None when no experiment covers the flow)."""
        name = self._by_flow.get(flow)
        if name is None:
            return None
        variants = self.specs[name].variants
        if requested is not None and requested in variants:
            return requested
        return pick(name, registration_id, variants)


def pick(experiment: str, registration_id: str, weights: Mapping[str, int]) -> str:
    """Deterministic weighted choice from the hash of the experiment and registration id."""
    total = sum(weights.values())
    digest = hashlib.sha256(f"{experiment}:{registration_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant, weight in weights.items():
        if point < weight:
            return variant
        point -= weight
    raise AssertionError("unreachable: point < total")  # pragma: no cover
