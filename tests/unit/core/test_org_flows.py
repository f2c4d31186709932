"""The organization, teacher and student flows in the engine alone: no database, fixed clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from regflow.core import hooks, onboarding
from regflow.core.engine import Engine, SendCode
from regflow.core.flows import BUILT_IN
from regflow.core.flowspec import flow_for_invitee
from regflow.core.model import Channel, InvitationLink, Registration, Role
from regflow.errors import Conflict, ValidationFailed

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ORG = {
    "name": "Test University",
    "country": "IN",
    "state": "Maharashtra",
    "city": "Pune",
    "postal_code": "411001",
    "type": "university",
    "student_strength": 1200,
    "government_recognized": True,
}
BASIC = {
    "full_name": "Ravi Kumar",
    "email": "Ravi@Example.com",
    "country": "IN",
    "phone": "098765 43210",
    "city": "Pune",
    "postal_code": "411004",
}
SECURITY = {"password": "a long pass phrase", "password_confirmation": "a long pass phrase"}
PROFESSIONAL = {
    "subjects": ["Physics"],
    "role": "Lecturer",
    "affiliation": "organization",
    "experience_level": "Senior",
    "years_of_experience": 7,
}


@pytest.fixture
def engine() -> Engine:
    return Engine(BUILT_IN, ttl=timedelta(hours=1))


def start(engine: Engine, flow: str) -> Registration:
    return engine.start(flow, registration_id="r1", token_hash="h", now=NOW).registration


def submit(engine: Engine, reg: Registration, step: str, raw: Mapping[str, Any]) -> list[SendCode]:
    clean = engine.validate(reg, step, raw)
    if "password" in clean:  # the services keep only the hash
        clean = {k: v for k, v in clean.items() if not k.startswith("password")}
        clean["password_hash"] = "hashed"
    return engine.submit(reg, step, clean, NOW).codes_to_send


def codes(failure: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in failure.value.problems}


def test_admin_phone_is_read_in_the_organization_country(engine: Engine) -> None:
    reg = start(engine, "organization")
    submit(engine, reg, "organization", ORG)
    admin = {
        "name": "Asha Rao",
        "email": "asha@example.com",
        "phone": "98765 43210",
        "password": "correct horse battery staple",
        "password_confirmation": "correct horse battery staple",
    }
    sends = submit(engine, reg, "admin", admin)
    assert sends == [
        SendCode(Channel.EMAIL, "asha@example.com"),
        SendCode(Channel.PHONE, "+919876543210"),
    ]
    assert engine.unverified_addresses(reg) == [
        (Channel.EMAIL, "asha@example.com"),
        (Channel.PHONE, "+919876543210"),
    ]


def test_admin_password_may_not_contain_the_organization_or_own_name(engine: Engine) -> None:
    reg = start(engine, "organization")
    submit(engine, reg, "organization", ORG)
    for password in ("university rules 42", "i am asharao!!"):
        raw = {
            "name": "Asha Rao",
            "email": "asharao@example.com",
            "phone": "+919876543210",
            "password": password,
            "password_confirmation": password,
        }
        with pytest.raises(ValidationFailed) as failed:
            engine.validate(reg, "admin", raw)
        assert codes(failed) == {("password", "PASSWORD_CONTEXT")}


def test_teacher_codes_go_out_with_basic_and_gate_security(engine: Engine) -> None:
    reg = start(engine, "teacher")
    sends = submit(engine, reg, "basic", BASIC)
    assert sends == [
        SendCode(Channel.EMAIL, "ravi@example.com"),
        SendCode(Channel.PHONE, "+919876543210"),
    ]
    assert engine.current_step(reg).name == "professional"  # type: ignore[union-attr]
    assert engine.verification_target(reg, Channel.PHONE) == "+919876543210"
    submit(engine, reg, "professional", {**PROFESSIONAL, "affiliation": "freelance"})
    assert [s.name for s in engine.active_steps(reg)] == ["basic", "professional", "security"]
    submit(engine, reg, "security", SECURITY)
    assert engine.current_step(reg).name == "security"  # type: ignore[union-attr]
    with pytest.raises(Conflict) as refused:
        engine.ready_to_complete(reg)
    assert refused.value.code == "VERIFICATION_REQUIRED"
    engine.confirm(reg, Channel.EMAIL, "ravi@example.com", NOW)
    engine.confirm(reg, Channel.PHONE, "+919876543210", NOW)
    assert engine.current_step(reg) is None
    # changing the phone on the basic step voids its verification, and a new code goes out
    assert submit(engine, reg, "basic", {**BASIC, "phone": "98765 00000"}) == [
        SendCode(Channel.PHONE, "+919876500000")
    ]
    assert engine.current_step(reg).name == "security"  # type: ignore[union-attr]


def test_student_rules(engine: Engine) -> None:
    reg = start(engine, "student")
    young = {**BASIC, "date_of_birth": "2025-06-01", "gender": "x"}
    with pytest.raises(ValidationFailed) as failed:
        engine.validate(reg, "basic", young)
    assert codes(failed) == {
        ("date_of_birth", "DATE_OF_BIRTH_INVALID"),
        ("gender", "INVALID_CHOICE"),
    }
    submit(engine, reg, "basic", {**BASIC, "date_of_birth": "2006-04-12", "gender": "Female"})
    standalone = {"registration_type": "standalone", "academic_level": "UG", "org_code": "X"}
    with pytest.raises(ValidationFailed) as failed:
        engine.validate(reg, "organization", standalone)
    assert codes(failed) == {("current_institution", "REQUIRED")}
    clean = engine.validate(reg, "organization", {**standalone, "current_institution": "Home"})
    assert clean["org_code"] is None  # ignored for a standalone student, never applied
    engine.submit(reg, "organization", clean, NOW)
    assert [s.name for s in engine.active_steps(reg)] == ["basic", "organization", "security"]


def test_invited_registrations_skip_the_join_code(engine: Engine) -> None:
    link = InvitationLink(id="i", organization_id="o", role=Role.TEACHER, email="a@example.com")
    reg = engine.start(
        "teacher",
        registration_id="r",
        token_hash="h",
        now=NOW,
        invitation=link,
    ).registration
    submit(engine, reg, "basic", BASIC)
    submit(engine, reg, "professional", PROFESSIONAL)
    assert [s.name for s in engine.active_steps(reg)] == ["basic", "professional", "security"]
    assert hooks.invited_role(reg) is Role.TEACHER and BUILT_IN["teacher"].join_code(reg) is None
    submit(engine, reg, "security", SECURITY)
    engine.confirm(reg, Channel.EMAIL, "ravi@example.com", NOW)
    engine.confirm(reg, Channel.PHONE, "+919876543210", NOW)
    merged = engine.ready_to_complete(reg)
    assert "id" not in merged and "organization_id" not in merged  # the link is not a step
    assert set(reg.data) == {"basic", "professional", "security"}


def test_onboarding_reads_steps_by_name(engine: Engine) -> None:
    reg = start(engine, "organization")
    submit(engine, reg, "organization", ORG)
    reg.data["admin"] = {"name": "Asha Devi Rao", "email": "a@example.com"}
    spec = BUILT_IN["organization"]
    assert onboarding.person_names(spec, reg, {"name": "ignored"}) == ("Asha", "Devi Rao")
    (found,) = spec.hooks(hooks.FoundOrganization)
    assert hooks.organization_name(found, reg) == "Test University"
    assert hooks.pick(reg, found.settings)["postal_code"] == "411001"
    assert hooks.organization_country(found, reg) == "IN"
    assert hooks.invited_role(reg) is None


def test_a_join_code_counts_only_while_its_step_applies(engine: Engine) -> None:
    reg = start(engine, "teacher")
    spec = BUILT_IN["teacher"]
    submit(engine, reg, "basic", BASIC)
    submit(engine, reg, "professional", PROFESSIONAL)
    submit(engine, reg, "organization", {"org_code": "in-tuv-2026-ab12"})
    assert spec.join_code(reg) == "IN-TUV-2026-AB12"
    # back to the professional step: now freelance, the organization step (and its code,
    # still stored) no longer applies, so completion joins nothing
    submit(engine, reg, "professional", {**PROFESSIONAL, "affiliation": "freelance"})
    assert reg.field("organization", "org_code") == "IN-TUV-2026-AB12"
    assert spec.join_code(reg) is None
    assert spec.join_code_fields("organization") == ("org_code",)
    assert spec.join_code_fields("basic") == ()


def test_invitees_go_to_the_flow_that_names_their_role() -> None:
    flows = [BUILT_IN[name] for name in ("member", "organization", "teacher", "student")]
    assert flow_for_invitee("teacher", flows) is BUILT_IN["teacher"]
    assert flow_for_invitee("student", flows) is BUILT_IN["student"]
    assert flow_for_invitee("admin", flows) is BUILT_IN["member"]  # takes any other role
    assert flow_for_invitee("admin", [BUILT_IN["organization"]]) is None  # takes no invitee


def test_a_hook_reading_an_unknown_field_is_refused_when_declared() -> None:
    teacher = BUILT_IN["teacher"]
    with pytest.raises(ValueError, match=r"organisation\.org_code"):
        replace(teacher, on_complete=(hooks.JoinByCode(code=("organisation", "org_code")),))
    with pytest.raises(ValueError, match=r"basic\.first_name"):
        replace(teacher, full_name=("basic", "first_name"))
    with pytest.raises(ValueError, match=r"professional\.salary"):
        replace(teacher, on_complete=(hooks.KeepProfile({"professional": ("salary",)}),))
