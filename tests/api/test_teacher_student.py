"""The teacher and student flows over the native API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from regflow.persistence.tables import account_profiles
from support.harness import PASSWORD, Harness
from support.orgs import (
    PROFESSIONAL,
    claims,
    complete,
    confirm,
    indian_mobile,
    login,
    person_until_complete,
    register_organization,
    step,
    unique_email,
)

SECURITY = {"password": PASSWORD, "password_confirmation": PASSWORD}


async def _profile(harness: Harness, account_id: str) -> dict[str, Any]:
    async with harness.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                select(account_profiles).where(account_profiles.c.account_id == account_id)
            )
        ).one()
    return dict(row._mapping)


async def test_teacher_joins_an_open_organization(harness: Harness) -> None:
    owner = await register_organization(harness)
    code = owner["organization"]["join_code"]
    email = unique_email("teacher")
    c = harness.client
    rid, auth = await harness.start("teacher")
    national, e164 = indian_mobile()
    basic = {
        "full_name": "Ravi Kumar",
        "email": email,
        "country": "IN",
        "phone": national,
        "city": "Pune",
        "postal_code": "411004",
    }
    state = await step(harness, rid, auth, "basic", basic)
    # both codes went out with the basic step; the security step is where they are required
    assert state["step"] == "professional"
    assert [p["channel"] for p in state["pending_verifications"]] == ["email", "phone"]
    assert [s["verifications"] for s in state["steps"]] == [[], [], [], ["email", "phone"]]
    state = await step(harness, rid, auth, "professional", PROFESSIONAL)
    assert state["step"] == "organization"
    r = await c.get(f"/v1/organizations/by-code/{code}")
    assert r.json() == {"name": "Test University"}
    state = await step(harness, rid, auth, "organization", {"org_code": code.lower()})
    assert state["step"] == "security"
    state = await step(harness, rid, auth, "security", SECURITY)
    assert state["step"] == "security"  # not passed before the codes are confirmed
    r = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "VERIFICATION_REQUIRED"
    await confirm(harness, rid, auth, "email", email)
    await confirm(harness, rid, auth, "phone", e164)
    out = await complete(harness, rid, auth)
    assert out["membership"] == {"role": "teacher", "status": "active"}
    assert out["organization"]["id"] == owner["organization"]["id"]
    assert "join_code" not in out["organization"]
    assert (out["account"]["first_name"], out["account"]["last_name"]) == ("Ravi", "Kumar")
    token = claims(out["access_token"])
    assert token["role"] == "teacher" and token["org"] == owner["organization"]["id"]
    profile = await _profile(harness, out["account"]["id"])
    assert profile["kind"] == "teacher"
    assert profile["data"]["subjects"] == ["Physics", "Astronomy"]
    assert profile["data"]["city"] == "Pune"


async def test_freelance_teacher_skips_the_organization_step(harness: Harness) -> None:
    email = unique_email("freelance")
    rid, auth = await person_until_complete(harness, "teacher", email, org_code=None)
    state = (await harness.client.get(f"/v1/registrations/{rid}", headers=auth)).json()
    assert [s["name"] for s in state["steps"]] == ["basic", "professional", "security"]
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/organization", json={"org_code": "x"}, headers=auth
    )
    assert r.status_code == 409 and r.json()["code"] == "STEP_ORDER"
    out = await complete(harness, rid, auth)
    assert out["membership"] is None and out["organization"] is None
    assert claims(out["access_token"])["role"] is None


async def test_unknown_and_invite_only_codes_are_refused(harness: Harness) -> None:
    closed = await register_organization(
        harness,
        preferences={"structure": "single", "timezone": "UTC", "join_policy": "invite_only"},
    )
    rid, auth = await harness.start("teacher")
    national, _ = indian_mobile()
    await step(
        harness,
        rid,
        auth,
        "basic",
        {
            "full_name": "Ravi Kumar",
            "email": unique_email("t"),
            "country": "IN",
            "phone": national,
            "city": "Pune",
            "postal_code": "411004",
        },
    )
    await step(harness, rid, auth, "professional", PROFESSIONAL)
    url = f"/v1/registrations/{rid}/steps/organization"
    for code, expected in (
        ("IN-NOP-2025-AAAAAA", "ORG_CODE_INVALID"),
        (closed["organization"]["join_code"], "ORG_INVITE_ONLY"),
        ("garbage", "ORG_CODE_INVALID"),
    ):
        r = await harness.client.post(url, json={"org_code": code}, headers=auth)
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == expected, r.text


async def test_student_joins_an_approval_organization_pending_until_approved(
    harness: Harness,
) -> None:
    owner = await register_organization(
        harness,
        preferences={
            "structure": "multi",
            "departments": ["Physics", "Chemistry"],
            "timezone": "Asia/Kolkata",
            "join_policy": "approval",
        },
    )
    org_id = owner["organization"]["id"]
    email = unique_email("student")
    rid, auth = await _student_with_department_checks(harness, owner, email)
    out = await complete(harness, rid, auth)
    assert out["membership"] == {"role": "student", "status": "pending"}
    assert claims(out["access_token"])["role"] is None  # pending: no role yet
    assert (await login(harness, email))["role"] is None

    admin = {"Authorization": f"Bearer {owner['access_token']}"}
    queue = await harness.client.get(
        f"/v1/organizations/{org_id}/members?status=pending", headers=admin
    )
    assert queue.status_code == 200, queue.text
    (member,) = queue.json()["members"]
    assert member["email"] == email and member["role"] == "student"
    assert member["details"]["department"] == "Physics"  # the organization's own spelling
    assert member["details"]["year"] == 2
    r = await harness.client.post(
        f"/v1/organizations/{org_id}/members/{member['id']}/approve", headers=admin
    )
    assert r.status_code == 200 and r.json()["status"] == "active", r.text
    token = await login(harness, email)
    assert token["role"] == "student" and token["org"] == org_id
    mail = [m for m in await harness.outbox() if m.recipient == email]
    assert mail[0].template == "membership_approved"
    assert mail[0].context["organization_name"] == "Test University"


async def _student_with_department_checks(
    harness: Harness, owner: dict[str, Any], email: str
) -> tuple[str, dict[str, str]]:
    """Walk a student to the mapping step, try wrong departments, then map to physics."""
    code = owner["organization"]["join_code"]
    rid, auth = await harness.start("student")
    national, e164 = indian_mobile()
    await step(
        harness,
        rid,
        auth,
        "basic",
        {
            "full_name": "Meera Iyer",
            "email": email,
            "date_of_birth": "2006-04-12",
            "gender": "female",
            "country": "IN",
            "phone": national,
            "city": "Pune",
            "postal_code": "411004",
        },
    )
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/organization",
        json={"registration_type": "organization", "academic_level": "UG"},
        headers=auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "org_code"
    await step(
        harness,
        rid,
        auth,
        "organization",
        {"registration_type": "organization", "org_code": code, "academic_level": "UG"},
    )
    await confirm(harness, rid, auth, "email", email)
    await confirm(harness, rid, auth, "phone", e164)
    state = await step(harness, rid, auth, "security", SECURITY)
    assert state["step"] == "mapping"
    url = f"/v1/registrations/{rid}/steps/mapping"
    for mapping, expected in (
        ({"batch": "2024"}, "REQUIRED"),
        ({"department": "Biology"}, "DEPARTMENT_INVALID"),
    ):
        r = await harness.client.post(url, json=mapping, headers=auth)
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == expected, r.text
    await step(
        harness, rid, auth, "mapping", {"department": "physics", "batch": "2024-28", "year": 2}
    )
    return rid, auth


async def test_standalone_student_skips_mapping(harness: Harness) -> None:
    email = unique_email("solo")
    rid, auth = await person_until_complete(harness, "student", email, org_code=None)
    state = (await harness.client.get(f"/v1/registrations/{rid}", headers=auth)).json()
    assert [s["name"] for s in state["steps"]] == ["basic", "organization", "security"]
    out = await complete(harness, rid, auth)
    assert out["membership"] is None
    profile = await _profile(harness, out["account"]["id"])
    assert profile["data"]["registration_type"] == "standalone"
    assert profile["data"]["date_of_birth"] == "2006-04-12"


async def test_student_basic_rules(harness: Harness) -> None:
    rid, auth = await harness.start("student")
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/basic",
        json={
            "full_name": "X",
            "email": "nope",
            "date_of_birth": "2099-01-01",
            "gender": "robot",
            "country": "IN",
            "phone": "12",
            "city": "Pune",
        },
        headers=auth,
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {
        ("full_name", "NAME_INVALID"),
        ("email", "INVALID_EMAIL"),
        ("date_of_birth", "DATE_OF_BIRTH_INVALID"),
        ("gender", "INVALID_CHOICE"),
        ("phone", "PHONE_INVALID"),
        ("postal_code", "REQUIRED"),
    }
