"""Settings read from ``REGFLOW_*`` variables and checked on construction."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from regflow.settings import Settings


def test_outbox_lease_defaults_to_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGFLOW_OUTBOX_LEASE_SECONDS", raising=False)
    assert Settings().outbox_lease_seconds == 60


def test_outbox_lease_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGFLOW_OUTBOX_LEASE_SECONDS", "2.5")
    assert Settings().outbox_lease_seconds == 2.5


@pytest.mark.parametrize("seconds", [0, -5, 0.5])
def test_outbox_lease_below_a_second_is_refused(seconds: float) -> None:
    with pytest.raises(ValidationError, match="outbox_lease_seconds"):
        Settings(outbox_lease_seconds=seconds)
