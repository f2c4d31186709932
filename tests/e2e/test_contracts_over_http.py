"""The five seed contracts against the real service: each documented sequence over HTTP.

One ``regflow serve`` process for the module, mail to a real SMTP server and
SMS to a real webhook; codes are read from what those servers received. Every
registration ends as a normal account that logs in through ``/v1/sessions``.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import SmtpSink, running_service, text_body
from support.sms_sink import SmsSink

pytestmark = pytest.mark.e2e

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
TIMEOUT = 15.0
ADMIN_TOKEN = "contracts-admin-token-0123456789"
SEED_PASSWORD = "SecureP@ss123"


@dataclass
class Service:
    client: httpx.Client
    mail: SmtpSink
    sms: SmsSink

    def mails(self, address: str, count: int = 1) -> list[EmailMessage]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = [m for rcpt, m in self.mail.messages if address in rcpt]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"no mail for {address}")

    def email_code(self, address: str, nth: int = 1) -> str:
        found = CODE.search(text_body(self.mails(address, nth)[nth - 1]))
        assert found
        return found.group(1)

    def sms_code(self, number: str) -> str:
        found = CODE.search(self.sms.wait_for(number, TIMEOUT))
        assert found
        return found.group(1)

    def login(self, email: str, password: str) -> int:
        r = self.client.post("/v1/sessions", json={"email": email, "password": password})
        return r.status_code


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp_path: Path = tmp_path_factory.mktemp("contracts")
    with SmtpSink() as mail, SmsSink() as sms:
        env = {
            "REGFLOW_SMTP_URL": mail.url,
            "REGFLOW_SMS_PROVIDER": "webhook",
            "REGFLOW_SMS_WEBHOOK_URL": sms.url,
            "REGFLOW_ADMIN_TOKEN": ADMIN_TOKEN,
            # the walks repeat addresses within a minute on purpose (oneshot's identical
            # answer for a known email); rate limits have their own end-to-end tests
            "REGFLOW_RATE_LIMITS_ENABLED": "false",
        }
        with (
            running_service(tmp_path, env) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            yield Service(client, mail, sms)


def email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def mobile() -> tuple[str, str]:
    digits = "96" + "".join(secrets.choice("0123456789") for _ in range(8))
    return digits, f"+91{digits}"


def test_verify_first_frontend_example_as_written(service: Service) -> None:
    """Seed 004's sendVerificationCode, verifyEmail and register, byte for byte."""
    address = email("tenant")
    headers = {"Content-Type": "application/json"}

    def fetch(path: str, payload: dict[str, Any]) -> Any:  # fetch(path, {method, headers, body})
        body = json.dumps(payload, separators=(",", ":"))  # JSON.stringify
        return service.client.post(path, headers=headers, content=body).json()

    user_data = {
        "email": address,
        "password": "SecurePass123!",
        "name": "John Doe",
        "first_name": "John",
        "last_name": "Doe",
        "company_name": "Acme Corporation",
    }
    sent = fetch("/auth/send-verification-code", {"email": user_data["email"]})
    assert sent == {
        "success": True,
        "message": "Verification code sent successfully",
        "data": {"message": "Verification code sent"},
    }
    user_code = service.email_code(address)
    verify_result = fetch("/auth/verify-email", {"email": user_data["email"], "code": user_code})
    assert verify_result["success"] is True
    assert verify_result["data"]["message"] == "Email verified successfully"
    assert verify_result["data"]["verified"] is True
    # the proof of the address travels back as the cookie (as a browser's fetch sends it)
    register_result = fetch("/auth/register", user_data)
    assert register_result["success"] is True, register_result
    assert register_result["message"] == "Account created successfully"
    data = register_result["data"]
    assert data["access_token"] and data["user"]["email"] == address
    assert data["user"]["full_name"] == "John Doe"
    assert data["tenant"]["slug"].startswith("acme-corporation")
    assert data["tenant"]["company_name"] == "Acme Corporation"
    assert service.login(address, "SecurePass123!") == 200


def test_pending_register_then_verify_and_create(service: Service) -> None:
    c, address = service.client, email("pending")
    r = c.post("/api/auth/register-pending", json={"email": address, "password": "Test1234!"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["email"] == address
    assert body["message"] == "Verification code sent to your email"
    assert re.fullmatch(r"PENDING-\d+-[0-9a-f]{8}", body["pendingId"])
    code = service.email_code(address)
    r = c.post("/api/auth/verify-and-create", json={"email": address, "verificationCode": code})
    assert r.status_code == 201, r.text
    user = r.json()["user"]
    assert r.json()["message"] == "Account created and verified successfully"
    assert user["email"] == address and user["isVerified"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", user["createdAt"])
    assert user["verifiedAt"] == user["createdAt"]
    r = c.post("/api/auth/register-pending", json={"email": address, "password": "Test1234!"})
    assert r.status_code == 409
    assert r.json() == {"success": False, "error": "User with this email already exists"}
    assert service.login(address, "Test1234!") == 200


def test_oneshot_register_verify_login(service: Service) -> None:
    c, address = service.client, email("oneshot")
    form = {
        "email": address.upper(),
        "password": SEED_PASSWORD,
        "firstName": "John",
        "lastName": "Doe",
        "organizationName": "Acme Insurance Co",
    }
    r = c.post("/api/v1/auth/register", json=form)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == (
        "Registration successful. Please check your email for verification code."
    )
    assert body["data"]["email"] == address
    code = service.email_code(address)
    r = c.post("/api/v1/auth/login", json={"email": address, "password": SEED_PASSWORD})
    assert r.status_code == 401  # not before the email is verified
    r = c.post("/api/v1/auth/verify-email", json={"email": address, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["userId"] == body["data"]["userId"]
    assert r.json()["data"]["organizationId"] == body["data"]["organizationId"]
    r = c.post("/api/v1/auth/login", json={"email": address, "password": SEED_PASSWORD})
    assert r.status_code == 200 and r.json()["data"]["accessToken"]
    # the same email again: the same 201 and ids, and the "already registered" mail
    again = c.post("/api/v1/auth/register", json=form)
    assert again.status_code == 201 and again.json() == body
    second = service.mails(address, 2)[1]
    assert CODE.search(text_body(second)) is None
    assert service.login(address, SEED_PASSWORD) == 200


def test_phased_three_phases(service: Service) -> None:
    c, address = service.client, email("phased")
    r = c.post("/auth/initiate-registration", json={"email": address})
    assert r.status_code == 200, r.text
    handle = r.json()["registrationToken"]
    assert r.json()["nextPhase"] == "verify_email"
    code = service.email_code(address)
    r = c.post("/auth/verify-email-code", json={"registrationToken": handle, "code": code})
    assert r.status_code == 200 and r.json()["nextPhase"] == "identity"
    username = "ada" + uuid.uuid4().hex[:8]
    r = c.get("/auth/username-availability", params={"username": username})
    assert r.json()["available"] is True
    identity = {"firstName": "Ada", "lastName": "Lovelace", "username": username}
    r = c.post("/auth/registration/identity", json={"registrationToken": handle, **identity})
    assert r.status_code == 200 and r.json()["progress"] == {"current": 3, "total": 3}
    password = "analytical engine notes"
    security = {"password": password, "passwordConfirmation": password}
    r = c.post("/auth/registration/security", json={"registrationToken": handle, **security})
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "Welcome, Ada!"
    assert service.login(address, password) == 200


def test_evalon_organization_then_teacher(service: Service) -> None:
    c, admin = service.client, email("evalon-admin")
    national, e164 = mobile()
    r = c.post(
        "/api/organizations/register/step1",
        json={
            "organisationName": "Test University",
            "country": "IN",
            "state": "Maharashtra",
            "city": "Pune",
            "pincode": "411001",
            "organisationType": "university",
            "studentStrength": 1200,
            "governmentRecognition": True,
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert re.fullmatch(r"IN-TES-\d{4}-[A-Z0-9]{6}", data["orgCode"])
    assert data["step"] == 1 and data["nextStep"] == "admin_details"
    handle = data["registrationToken"]
    password = "quiet lecture hall 42"
    r = c.post(
        "/api/organizations/register/step2",
        json={
            "registrationToken": handle,
            "adminName": "Asha Rao",
            "adminEmail": admin,
            "adminPhone": national,
            "password": password,
            "confirmPassword": password,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["requiresVerification"] == {"email": True, "phone": True}
    assert r.json()["data"]["phone"] == e164
    r = c.post("/api/organizations/auth/send-email-otp", json={"registrationToken": handle})
    assert r.status_code == 200
    for channel, code in (("email", service.email_code(admin)), ("phone", service.sms_code(e164))):
        r = c.post(
            f"/api/organizations/register/verify-{channel}-otp",
            json={"registrationToken": handle, "otp": code},
        )
        assert r.status_code == 200, r.text
    r = c.post(
        "/api/organizations/register/step3",
        json={
            "registrationToken": handle,
            "institutionStructure": "multi",
            "departments": ["Physics"],
            "timeZone": "Asia/Kolkata",
        },
    )
    assert r.status_code == 201, r.text
    org = r.json()["data"]["organization"]
    assert org["orgCode"] == data["orgCode"] and org["status"] == "active"
    assert service.login(admin, password) == 200
    # a teacher joins with the code
    teacher = email("evalon-teacher")
    t_national, t_e164 = mobile()
    r = c.post(
        "/api/teachers/register",
        json={
            "fullName": "Ravi Kumar",
            "email": teacher,
            "phone": t_national,
            "country": "IN",
            "city": "Pune",
            "pincode": "411004",
            "subjects": ["Physics"],
            "role": "Lecturer",
            "affiliationType": "organization",
            "experienceLevel": "Senior",
            "yearsOfExperience": 7,
            "orgCode": org["orgCode"],
        },
    )
    assert r.status_code == 200, r.text
    handle = r.json()["data"]["registrationToken"]
    assert r.json()["data"]["nextStep"] == "security_verification"
    r = c.post(
        "/api/teachers/register/step4",
        json={
            "registrationToken": handle,
            "emailOtp": service.email_code(teacher),
            "phoneOtp": service.sms_code(t_e164),
            "password": password,
            "confirmPassword": password,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["teacher"]["organization"]["id"] == org["id"]
    assert service.login(teacher, password) == 200
