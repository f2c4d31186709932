"""Schemathesis against ``/openapi.json`` of the real service: no 5xx, answers as documented.

The service runs on a free port (SQLite, rate limits off so the fuzzer is not
throttled); each operation gets a bounded number of generated requests so the
suite stays fast. Every check runs but ``positive_data_acceptance``: step
fields are declared as a free JSON object and validated per flow, so "valid by
the schema" data is often refused by the flow, as it should be (422). The seed
contract routes declare their request bodies (``regflow.api.contracts.bodies``),
so the fuzzer sends them documented fields with generated values as well as
hostile ones; they must never answer 5xx. About 60 operations at 20 examples
each: the run stays near a minute on two cores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from support.server import running_service

pytestmark = pytest.mark.e2e

EXAMPLES = 20
NATIVE = ("/v1/", "/.well-known/", "/healthz", "/readyz", "/metrics")


def test_api_conforms_and_never_fails(tmp_path: Path) -> None:
    env = {"REGFLOW_RATE_LIMITS_ENABLED": "false", "REGFLOW_DEV_MAILBOX": "false"}
    with running_service(tmp_path, env) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) >= 20
        failures: list[str] = []
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def fuzz(case: schemathesis.Case[Any]) -> None:
                if not case.operation.path.startswith(NATIVE):
                    # seed contracts answer in their documents' own shapes (tested per
                    # contract); here they must only never fail
                    response = case.call(base_url=base_url, timeout=30)
                    assert response.status_code < 500, response.text[:500]
                    return
                case.call_and_validate(
                    base_url=base_url, timeout=30, excluded_checks=[positive_data_acceptance]
                )

            try:
                fuzz()
            except Exception as failure:  # one operation's failure; report them all
                failures.append(f"{operation.label}: {failure}"[:2000])
    assert failures == [], "\n\n".join(failures)
