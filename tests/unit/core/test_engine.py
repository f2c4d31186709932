"""The engine alone: no database, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from regflow.core.engine import Engine, RecordEvent, SendCode
from regflow.core.flows import BUILT_IN
from regflow.core.model import Channel, RegistrationStatus
from regflow.errors import Conflict, Gone, ValidationFailed

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def engine() -> Engine:
    return Engine(BUILT_IN, ttl=timedelta(hours=1))


def started(engine: Engine):  # type: ignore[no-untyped-def]
    return engine.start("member", registration_id="r1", token_hash="h", now=NOW).registration


def test_start_records_events_and_sets_expiry(engine: Engine) -> None:
    outcome = engine.start("member", registration_id="r1", token_hash="h", now=NOW)
    assert outcome.registration.expires_at == NOW + timedelta(hours=1)
    assert outcome.effects == [RecordEvent("started"), RecordEvent("step_viewed", step="email")]


def test_email_step_asks_for_code_and_waits_for_it(engine: Engine) -> None:
    reg = started(engine)
    clean = engine.validate(reg, "email", {"email": " Ada@Example.COM "})
    assert clean == {"email": "ada@example.com"}
    later = NOW + timedelta(minutes=5)
    outcome = engine.submit(reg, "email", clean, later)
    assert outcome.codes_to_send == [SendCode(Channel.EMAIL, "ada@example.com")]
    assert engine.current_step(reg).name == "email"  # type: ignore[union-attr]
    assert reg.expires_at == later + timedelta(hours=1)  # sliding
    confirmed = engine.confirm(reg, Channel.EMAIL, "ada@example.com", later)
    assert RecordEvent("step_completed", step="email") in confirmed.effects
    assert engine.current_step(reg).name == "identity"  # type: ignore[union-attr]


def test_order_is_enforced_and_completion_refused_without_side_effect(engine: Engine) -> None:
    reg = started(engine)
    with pytest.raises(Conflict) as order:
        engine.validate(reg, "identity", {})
    assert order.value.code == "STEP_ORDER"
    engine.submit(reg, "email", {"email": "a@example.com"}, NOW)
    before = (dict(reg.data), dict(reg.verified), reg.status)
    with pytest.raises(Conflict) as refused:
        engine.ready_to_complete(reg)
    assert refused.value.code == "VERIFICATION_REQUIRED"
    assert (dict(reg.data), dict(reg.verified), reg.status) == before


def test_changing_the_address_voids_its_verification(engine: Engine) -> None:
    reg = started(engine)
    engine.submit(reg, "email", {"email": "a@example.com"}, NOW)
    engine.confirm(reg, Channel.EMAIL, "a@example.com", NOW)
    same = engine.submit(reg, "email", {"email": "a@example.com"}, NOW)
    assert same.codes_to_send == [] and reg.verified == {"email": "a@example.com"}
    other = engine.submit(reg, "email", {"email": "b@example.com"}, NOW)
    assert other.codes_to_send == [SendCode(Channel.EMAIL, "b@example.com")]
    assert reg.verified == {}


def test_password_rules_use_context(engine: Engine) -> None:
    reg = started(engine)
    engine.submit(reg, "email", {"email": "zebrafish@example.com"}, NOW)
    engine.confirm(reg, Channel.EMAIL, "zebrafish@example.com", NOW)
    engine.submit(
        reg, "identity", {"first_name": "Ada", "last_name": "Lovelace", "username": "adal"}, NOW
    )
    with pytest.raises(ValidationFailed) as failed:
        engine.validate(
            reg,
            "credentials",
            {"password": "myzebrafish77", "password_confirmation": "myzebrafish77"},
        )
    assert [p.code for p in failed.value.problems] == ["PASSWORD_CONTEXT"]


def test_expiry(engine: Engine) -> None:
    reg = started(engine)
    assert engine.expire_if_due(reg, NOW + timedelta(minutes=59)) is None
    outcome = engine.expire_if_due(reg, NOW + timedelta(hours=1))
    assert outcome is not None and reg.status is RegistrationStatus.EXPIRED
    with pytest.raises(Gone):
        engine.validate(reg, "email", {"email": "a@example.com"})


def test_going_back_does_not_count_the_left_step_as_completed(engine: Engine) -> None:
    reg = started(engine)
    engine.submit(reg, "email", {"email": "a@example.com"}, NOW)
    engine.confirm(reg, Channel.EMAIL, "a@example.com", NOW)
    back = engine.submit(reg, "email", {"email": "b@example.com"}, NOW)
    assert RecordEvent("step_completed", step="identity") not in back.effects
    assert RecordEvent("step_viewed", step="email") in back.effects
