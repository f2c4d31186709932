"""Seed 001 (evalon): organization steps, OTPs, logo, lookup, students, errors and 409s."""

from __future__ import annotations

import re
from typing import Any

from support.contracts import funnel_kinds, native_login
from support.harness import PASSWORD, Harness
from support.images import png
from support.orgs import indian_mobile, unique_email

STEP1 = {
    "organisationName": "Test University",
    "country": "IN",
    "state": "Maharashtra",
    "city": "Pune",
    "pincode": "411001",
    "organisationType": "university",
    "studentStrength": 1200,
    "governmentRecognition": True,
}


async def post(h: Harness, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    r = await h.client.post(path, json=body)
    assert r.status_code == status, r.text
    result: dict[str, Any] = r.json()
    return result


async def organization(h: Harness) -> tuple[dict[str, Any], str]:
    admin = unique_email("admin")
    data = (await post(h, "/api/organizations/register/step1", STEP1))["data"]
    assert set(data) == {"orgCode", "step", "nextStep", "registrationToken"}
    assert re.fullmatch(r"IN-TES-\d{4}-[A-Z0-9]{6}", data["orgCode"])
    token = data["registrationToken"]
    national, e164 = indian_mobile()
    step2 = {
        "registrationToken": token,
        "adminName": "Asha Rao",
        "adminEmail": admin,
        "adminPhone": national,
        "password": PASSWORD,
        "confirmPassword": "different",
    }
    bad = await post(h, "/api/organizations/register/step2", step2, 400)
    assert bad == {
        "success": False,
        "message": "Validation failed",
        "errors": [{"field": "confirmPassword", "message": bad["errors"][0]["message"]}],
    }
    step2["confirmPassword"] = PASSWORD
    two = (await post(h, "/api/organizations/register/step2", step2))["data"]
    assert two == {
        "step": 2,
        "nextStep": "otp_verification",
        "email": admin,
        "phone": e164,
        "requiresVerification": {"email": True, "phone": True},
        "registrationToken": token,
    }
    sent = await post(h, "/api/organizations/auth/send-phone-otp", {"registrationToken": token})
    assert sent["success"] is True and sent["data"]["phone"] == e164
    codes = [m.context["code"] for m in await h.outbox() if m.recipient == e164]
    assert len(codes) == 1  # asked again within the cooldown: the code sent stays valid
    wrong = {"registrationToken": token, "otp": "000000" if codes[0] != "000000" else "111111"}
    bad = await post(h, "/api/organizations/register/verify-phone-otp", wrong, 400)
    assert bad == {"success": False, "message": "Invalid OTP"}
    prefs = {
        "registrationToken": token,
        "institutionStructure": "single",
        "timeZone": "Asia/Kolkata",
    }
    early = await post(h, "/api/organizations/register/step3", prefs, 400)
    assert early["success"] is False
    for channel, target in (("email", admin), ("phone", e164)):
        ok = await post(
            h,
            f"/api/organizations/register/verify-{channel}-otp",
            {"registrationToken": token, "otp": await h.last_code(target)},
        )
        assert ok["data"][f"{channel}Verified"] is True
    r = await h.client.post(
        "/api/organizations/upload/logo", files={"logo": ("logo.png", png(), "image/png")}
    )
    assert r.status_code == 201, r.text
    prefs["logoTempKey"] = r.json()["data"]["logoTempKey"]
    done = (await post(h, "/api/organizations/register/step3", prefs, 201))["data"]
    assert done["organization"]["orgCode"] == data["orgCode"]
    assert done["organization"]["name"] == "Test University"
    assert done["organization"]["status"] == "active" and done["organization"]["email"] == admin
    assert done["admin"]["role"] == "organization_admin"
    assert done["admin"]["emailVerified"] and done["admin"]["phoneVerified"]
    assert done["token"] and done["nextSteps"][0] == "Complete your profile setup"
    return done, admin


async def test_organization_lookup_and_errors(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    done, admin = await organization(h)
    assert await native_login(h, admin, PASSWORD) == 200
    code = done["organization"]["orgCode"]
    found = (await h.client.get(f"/api/organizations/code/{code.lower()}")).json()
    assert found == {"success": True, "data": {"name": "Test University", "orgCode": code}}
    r = await h.client.get("/api/organizations/code/IN-XXX-2025-ABCDEF")
    assert r.status_code == 404 and r.json() == {
        "success": False,
        "message": "Organization not found",
    }
    # session expired / unknown
    r = await h.client.post("/api/organizations/register/step2", json={"registrationToken": "no"})
    assert r.status_code == 400
    assert r.json() == {"success": False, "message": "Registration session not found or expired"}
    # the documented 409 for a known admin email
    data = (await post(h, "/api/organizations/register/step1", STEP1))["data"]
    national, _ = indian_mobile()
    dup = {
        "registrationToken": data["registrationToken"],
        "adminName": "Asha Rao",
        "adminEmail": admin,
        "adminPhone": national,
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
    }
    r = await h.client.post("/api/organizations/register/step2", json=dup)
    assert r.status_code == 409
    assert r.json() == {"success": False, "message": "Admin user with this email already exists"}
    r = await h.client.post("/api/organizations/register/step1", json={**STEP1, "country": ""})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "country"
    assert "completed" in await funnel_kinds(h, "evalon")


async def test_student_four_steps(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    done, _ = await organization(h)
    student = unique_email("student")
    national, e164 = indian_mobile()
    one = await post(
        h,
        "/api/students/register/step1",
        {
            "fullName": "Meera Iyer",
            "email": student,
            "phone": national,
            "dateOfBirth": "2006-04-12",
            "gender": "female",
            "country": "IN",
            "city": "Pune",
            "pincode": "411004",
        },
    )
    token = one["data"]["registrationToken"]
    assert one["data"]["nextStep"] == "organization_verification"
    assert one["data"]["requiresVerification"] == {"email": True, "phone": True}
    two = await post(
        h,
        "/api/students/register/step2",
        {
            "registrationToken": token,
            "registrationType": "organization",
            "orgCode": done["organization"]["orgCode"],
            "academicLevel": "Undergraduate",
        },
    )
    assert two["data"]["nextStep"] == "security_verification"
    three = await post(
        h,
        "/api/students/register/step3",
        {
            "registrationToken": token,
            "emailOtp": await h.last_code(student),
            "phoneOtp": await h.last_code(e164),
            "password": PASSWORD,
            "confirmPassword": PASSWORD,
        },
    )
    assert three["data"]["nextStep"] == "auto_mapping"
    assert three["data"]["requiresVerification"] == {"email": False, "phone": False}
    four = await post(
        h,
        "/api/students/register/step4",
        {"registrationToken": token, "department": "Physics", "batch": "2024-2028", "year": 2},
        201,
    )
    assert four["data"]["student"]["membershipStatus"] == "active"
    assert four["data"]["user"]["role"] == "student" and four["data"]["token"]
    assert await native_login(h, student, PASSWORD) == 200
    r = await h.client.post(
        "/api/students/register/step1",
        json={"fullName": "Meera Iyer", "email": student, "phone": national},
    )
    assert r.status_code == 409
    assert r.json() == {"success": False, "message": "User with this email already exists"}
