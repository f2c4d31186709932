"""Walking the organization, teacher and student flows in-process, codes read from the outbox."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import jwt

from support.harness import PASSWORD, Harness

ORG: dict[str, Any] = {
    "name": "Test University",
    "country": "IN",
    "state": "Maharashtra",
    "city": "Pune",
    "postal_code": "411001",
    "type": "university",
    "student_strength": 1200,
    "government_recognized": True,
}
PREFERENCES: dict[str, Any] = {
    "structure": "multi",
    "departments": ["Physics", "Mathematics"],
    "sub_admins": True,
    "timezone": "Asia/Kolkata",
    "two_factor": False,
    "join_policy": "open",
}
PROFESSIONAL: dict[str, Any] = {
    "subjects": ["Physics", "Astronomy"],
    "role": "Lecturer",
    "affiliation": "organization",
    "experience_level": "Senior",
    "current_institution": "Fergusson College",
    "years_of_experience": 7,
}


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def indian_mobile() -> tuple[str, str]:
    """A valid Indian mobile number: (as typed nationally, as E.164)."""
    digits = "98" + "".join(secrets.choice("0123456789") for _ in range(8))
    return digits, f"+91{digits}"


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


async def step(
    h: Harness, rid: str, auth: dict[str, str], name: str, fields: dict[str, Any]
) -> dict[str, Any]:
    r = await h.client.post(f"/v1/registrations/{rid}/steps/{name}", json=fields, headers=auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def confirm(h: Harness, rid: str, auth: dict[str, str], channel: str, target: str) -> None:
    code = await h.last_code(target)
    r = await h.client.post(
        f"/v1/registrations/{rid}/verifications/{channel}/confirm",
        json={"code": code},
        headers=auth,
    )
    assert r.status_code == 200, r.text


async def complete(h: Harness, rid: str, auth: dict[str, str]) -> dict[str, Any]:
    r = await h.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def organization_until_complete(
    h: Harness,
    email: str,
    *,
    org: dict[str, Any] | None = None,
    preferences: dict[str, Any] | None = None,
) -> tuple[str, dict[str, str]]:
    """Walk the organization flow up to (not including) completion."""
    rid, auth = await h.start("organization")
    await step(h, rid, auth, "organization", org or ORG)
    national, e164 = indian_mobile()
    admin = {
        "name": "Asha Rao",
        "email": email,
        "phone": national,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    await step(h, rid, auth, "admin", admin)
    await confirm(h, rid, auth, "email", email)
    await confirm(h, rid, auth, "phone", e164)
    await step(h, rid, auth, "preferences", preferences or PREFERENCES)
    return rid, auth


async def register_organization(
    h: Harness, email: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A completed organization: the completion body (``access_token`` is the owner's)."""
    rid, auth = await organization_until_complete(h, email or unique_email("owner"), **kwargs)
    return await complete(h, rid, auth)


async def person_until_complete(
    h: Harness,
    flow: str,
    email: str,
    *,
    org_code: str | None,
    department: str | None = "Physics",
    auth: tuple[str, dict[str, str]] | None = None,
) -> tuple[str, dict[str, str]]:
    """Walk the teacher or student flow (joining ``org_code``, or freelance/standalone)."""
    rid, headers = auth or await h.start(flow)
    national, e164 = indian_mobile()
    basic: dict[str, Any] = {
        "full_name": "Ravi Kumar",
        "email": email,
        "country": "IN",
        "phone": national,
        "city": "Pune",
        "postal_code": "411004",
    }
    if flow == "student":
        basic |= {"date_of_birth": "2006-04-12", "gender": "male"}
    state = await step(h, rid, headers, "basic", basic)
    if flow == "teacher":
        professional = {**PROFESSIONAL, "affiliation": "organization" if org_code else "freelance"}
        state = await step(h, rid, headers, "professional", professional)
        if org_code and state["step"] == "organization":
            state = await step(h, rid, headers, "organization", {"org_code": org_code})
    elif state["step"] == "organization":
        organization: dict[str, Any] = {"academic_level": "Undergraduate"}
        if org_code:
            organization |= {"registration_type": "organization", "org_code": org_code}
        else:
            organization |= {"registration_type": "standalone", "current_institution": "Home"}
        state = await step(h, rid, headers, "organization", organization)
    if state["verified"]["email"] is False:
        await confirm(h, rid, headers, "email", email)
    await confirm(h, rid, headers, "phone", e164)
    state = await step(
        h, rid, headers, "security", {"password": PASSWORD, "password_confirmation": PASSWORD}
    )
    if flow == "student" and state["step"] == "mapping":
        mapping: dict[str, Any] = {"batch": "2024-2028", "year": 2}
        if department:
            mapping["department"] = department
        state = await step(h, rid, headers, "mapping", mapping)
    assert state["step"] == "complete", state
    return rid, headers


async def login(h: Harness, email: str) -> dict[str, Any]:
    r = await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return claims(r.json()["access_token"])
