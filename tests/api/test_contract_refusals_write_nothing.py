"""A contract request that is refused writes nothing: no registration, no event, no mail.

Every contract call that starts a registration validates its first step before
anything is written (``services/signups.py``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from regflow.api.contracts.base import unpack
from support.harness import Harness, make_settings, started_app
from support.orgs import indian_mobile

TABLES = ("registrations", "verifications", "outbox_messages", "funnel_events", "accounts")


def fresh() -> str:
    return f"refused-{uuid.uuid4().hex[:10]}@example.com"


ORGANIZATION = {
    "organisationName": "Refusal University",
    "country": "IN",
    "state": "Maharashtra",
    "city": "Pune",
    "pincode": "411001",
    "organisationType": "university",
    "studentStrength": 1200,
    "governmentRecognition": True,
}
TEACHER = {
    "fullName": "Ravi Kumar",
    "email": fresh(),
    "phone": indian_mobile()[0],
    "country": "IN",
    "city": "Pune",
    "pincode": "411004",
    "subjects": ["Physics"],
    "role": "Lecturer",
    "affiliationType": "organization",
    "experienceLevel": "Senior",
    "yearsOfExperience": 7,
}

REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("/auth/initiate-registration", {"email": "not-an-email"}),
    ("/auth/initiate-registration", {"email": "a@" + "b" * 300 + ".com"}),
    ("/api/auth/register-pending", {"email": fresh(), "password": "weakpass"}),
    ("/api/auth/register-pending", {"email": "nope", "password": "Test1234!"}),
    (
        "/api/v1/auth/register",
        {
            "email": fresh(),
            "password": "SecureP@ss123",
            "firstName": "John",
            "lastName": "Doe",
            "organizationName": "Dashboard",  # reserved: refused by the flow, not the adapter
        },
    ),
    (
        "/api/v1/auth/register",
        {"email": fresh(), "password": "x", "firstName": "J", "organizationName": "Ac"},
    ),
    ("/auth/send-verification-code", {"email": "not-an-email"}),
    # seed 001: the organization's step 1 used to start a registration before its checks
    ("/api/organizations/register/step1", {**ORGANIZATION, "organisationName": ""}),
    ("/api/organizations/register/step1", {**ORGANIZATION, "studentStrength": "many"}),
    # seed 001: a teacher's steps 1 to 3 in one body are one unit of work
    ("/api/teachers/register", {**TEACHER, "yearsOfExperience": "lots"}),
    ("/api/teachers/register", {**TEACHER, "orgCode": "IN-NOPE-2025-ZZZ"}),
    ("/api/teachers/register", {**TEACHER, "phone": "12"}),
    ("/auth/register", {"email": fresh(), "password": "SecurePass123!", "name": "J D"}),
]


async def counts(h: Harness) -> dict[str, int]:
    await h.drain_events()  # events riding on registrations land in funnel_events
    async with h.runtime.engine.connect() as conn:
        return {
            table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608 - fixed names
            for table in TABLES
        }


@pytest.mark.parametrize(("path", "body"), REFUSED, ids=[p for p, _ in REFUSED])
async def test_a_refused_request_writes_nothing(
    harness: Harness, path: str, body: dict[str, Any]
) -> None:
    before = await counts(harness)
    r = await harness.client.post(path, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["success"] is False
    assert await counts(harness) == before


ADMIN = "refusals-admin-token-0123456789"


async def test_a_verification_whose_completion_fails_writes_nothing(
    own_db_url: str, tmp_path: Path
) -> None:
    """Seed 003's verify-email confirms the code and creates the account in one unit of
    work: when creating fails (here: the address got an account meanwhile, 409), the code
    is not spent and the registration stays unconfirmed."""
    # reads every registration and verification row: a database no other test writes to
    async with started_app(make_settings(own_db_url, tmp_path, admin_token=ADMIN)) as h:
        email = fresh()
        body = {
            "email": email,
            "password": "SecureP@ss123",
            "firstName": "John",
            "lastName": "Doe",
            "organizationName": f"Refusal Works {uuid.uuid4().hex[:6]}",
        }
        assert (await h.client.post("/api/v1/auth/register", json=body)).status_code == 201
        code = await h.last_code(email)
        imported = {"email": email, "password": "Imported#Pass9"}
        auth = {"Authorization": f"Bearer {ADMIN}"}
        assert (await h.client.post("/api/users", json=imported, headers=auth)).status_code == 201
        before = await counts(h)
        async with h.runtime.engine.connect() as conn:
            row = text("SELECT verified, version FROM registrations WHERE contract = 'oneshot'")
            registrations_before = (await conn.execute(row)).all()
        r = await h.client.post("/api/v1/auth/verify-email", json={"email": email, "code": code})
        assert r.status_code == 409, r.text
        assert await counts(h) == before
        async with h.runtime.engine.connect() as conn:
            assert (await conn.execute(row)).all() == registrations_before
            attempts = text("SELECT attempts, consumed_at FROM verifications")
            assert all(a == 0 and used is None for a, used in (await conn.execute(attempts)).all())


STARTED = {k: TEACHER[k] for k in ("fullName", "phone", "country", "city", "pincode")}
LATER_REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("professional", {"yearsOfExperience": "lots"}),
    ("organization", {"orgCode": "IN-NOPE-2025-ZZZ"}),
]


@pytest.mark.parametrize(("refused", "bad"), LATER_REFUSED, ids=[s for s, _ in LATER_REFUSED])
async def test_teacher_steps_on_a_started_registration_are_one_unit_of_work(
    harness: Harness, refused: str, bad: dict[str, Any]
) -> None:
    """Seed 001's ``/api/teachers/register`` with a ``registrationToken``: the basic step
    it resubmits (here: another name) and the professional step stay unwritten when a
    later step is refused; only the failure is counted in the funnel."""
    h, email = harness, fresh()
    r = await h.client.post("/api/teachers/register/step1", json={**STARTED, "email": email})
    assert r.status_code == 200, r.text
    handle = r.json()["data"]["registrationToken"]
    rid, _ = unpack(handle)
    row = text("SELECT data, version, status FROM registrations WHERE id = :id")
    async with h.runtime.engine.connect() as conn:
        stored = (await conn.execute(row, {"id": rid})).one()
    before = await counts(h)
    body = {**TEACHER, "email": email, "fullName": "Mallory Renamed", **bad}
    r = await h.client.post("/api/teachers/register", json={**body, "registrationToken": handle})
    assert r.status_code == 400, r.text
    assert r.json()["success"] is False
    async with h.runtime.engine.connect() as conn:
        assert (await conn.execute(row, {"id": rid})).one() == stored
    after = await counts(h)
    assert after == {**before, "funnel_events": before["funnel_events"] + 1}  # step_failed
    # the same body, fixed (and freelance: no organization step), goes through at once
    good = {**body, "yearsOfExperience": 7, "affiliationType": "freelance"}
    good.pop("orgCode", None)
    r = await h.client.post("/api/teachers/register", json={**good, "registrationToken": handle})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["nextStep"] == "security_verification"
    async with h.runtime.engine.connect() as conn:
        data, version, _ = (await conn.execute(row, {"id": rid})).one()
    assert version > stored[1]
    data = data if isinstance(data, dict) else json.loads(data)
    assert data["basic"]["full_name"] == "Mallory Renamed"
    assert data["professional"]["years_of_experience"] == 7
    assert data["professional"]["affiliation"] == "freelance" and "organization" not in data
