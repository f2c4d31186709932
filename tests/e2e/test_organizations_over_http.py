"""Seed 001's onboarding against the real service: organization, teacher, student, approval.

One ``regflow serve`` process on a real port for the module, mail to a real
SMTP server and SMS to a real HTTP webhook (``REGFLOW_SMS_PROVIDER=webhook``);
every code is read from what those two servers received, never from the
database.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from support.harness import PASSWORD
from support.orgs import ORG, PREFERENCES, PROFESSIONAL
from support.server import SmtpSink, running_service, service_log, text_body
from support.sms_sink import SmsSink

pytestmark = pytest.mark.e2e

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
TIMEOUT = 15.0


@dataclass
class Service:
    client: httpx.Client
    mail: SmtpSink
    sms: SmsSink
    secrets: list[str] = field(default_factory=list)  # must never reach the service log

    def email_code(self, address: str) -> str:
        text = text_body(self.mail.wait_for(address, TIMEOUT))
        found = CODE.search(text)
        assert found, text
        self.secrets += [found.group(1), address]
        return found.group(1)

    def sms_code(self, number: str) -> str:
        body = self.sms.wait_for(number, TIMEOUT)
        found = CODE.search(body)
        assert found, body
        self.secrets += [found.group(1), number, body]
        return found.group(1)

    def mail_with_subject(self, address: str, subject: str) -> EmailMessage:
        """The first mail to ``address`` whose subject starts with ``subject`` (waits for it)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for recipients, mail in self.mail.messages:
                if address in recipients and str(mail["Subject"]).startswith(subject):
                    return mail
            time.sleep(0.05)
        raise TimeoutError(f"no mail {subject!r} for {address}")

    def start(self, flow: str) -> tuple[str, dict[str, str]]:
        r = self.client.post("/v1/registrations", json={"flow": flow})
        assert r.status_code == 201, r.text
        self.secrets.append(r.json()["token"])
        return r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}

    def step(self, rid: str, auth: dict[str, str], name: str, fields: dict[str, Any]) -> Any:
        r = self.client.post(f"/v1/registrations/{rid}/steps/{name}", json=fields, headers=auth)
        assert r.status_code == 200, r.text
        return r.json()

    def confirm(self, rid: str, auth: dict[str, str], channel: str, code: str) -> Any:
        r = self.client.post(
            f"/v1/registrations/{rid}/verifications/{channel}/confirm",
            json={"code": code},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        return r.json()

    def complete(self, rid: str, auth: dict[str, str]) -> Any:
        r = self.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp_path: Path = tmp_path_factory.mktemp("evalon")
    with SmtpSink() as mail, SmsSink() as sms:
        env = {
            "REGFLOW_SMTP_URL": mail.url,
            "REGFLOW_SMS_PROVIDER": "webhook",
            "REGFLOW_SMS_WEBHOOK_URL": sms.url,
        }
        with (
            running_service(tmp_path, env) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            service = Service(client, mail, sms)
            yield service
    log = service_log(tmp_path).read_text()
    assert '"SMS sent' in log or "SMS sent" in log  # the log is real
    for secret in service.secrets:
        leaked = re.search(rf"(?<![0-9A-Za-z.]){re.escape(secret)}(?![0-9A-Za-z])", log)
        assert leaked is None, "a code, address, phone number or token is in the service log"


def mobile() -> tuple[str, str]:
    digits = "97" + "".join(secrets.choice("0123456789") for _ in range(8))
    return digits, f"+91{digits}"


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def register_organization(s: Service, join_policy: str) -> dict[str, Any]:
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    national, e164 = mobile()
    rid, auth = s.start("organization")
    s.step(rid, auth, "organization", ORG)
    admin = {
        "name": "Asha Rao",
        "email": email,
        "phone": national,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    state = s.step(rid, auth, "admin", admin)
    assert {p["channel"] for p in state["pending_verifications"]} == {"email", "phone"}
    s.confirm(rid, auth, "email", s.email_code(email))
    state = s.confirm(rid, auth, "phone", s.sms_code(e164))
    assert state["step"] == "preferences"
    s.step(rid, auth, "preferences", {**PREFERENCES, "join_policy": join_policy})
    out: dict[str, Any] = s.complete(rid, auth)
    assert out["membership"] == {"role": "owner", "status": "active"}
    # the join code, the password and the access token must not be logged either
    s.secrets += [out["organization"]["join_code"], PASSWORD, out["access_token"]]
    assert out["account"]["phone"] == e164 and out["account"]["phone_verified"] is True
    return out


def test_organization_flow_with_mail_and_sms(service: Service) -> None:
    out = register_organization(service, "open")
    organization = out["organization"]
    token = claims(out["access_token"])
    assert token["org"] == organization["id"] and token["role"] == "owner"
    r = service.client.get(f"/v1/organizations/by-code/{organization['join_code']}")
    assert r.status_code == 200 and r.json() == {"name": ORG["name"]}
    sms_headers = [h for h, _ in service.sms.requests]
    assert all(h.get("Idempotency-Key") for h in sms_headers)


def join(s: Service, flow: str, org_code: str | None, email: str) -> tuple[dict[str, Any], str]:
    """Walk the teacher or student flow; the completion body and the phone number."""
    national, e164 = mobile()
    rid, auth = s.start(flow)
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
    state = s.step(rid, auth, "basic", basic)  # sends both codes
    assert {p["channel"] for p in state["pending_verifications"]} == {"email", "phone"}
    if flow == "teacher":
        affiliation = "organization" if org_code else "freelance"
        s.step(rid, auth, "professional", {**PROFESSIONAL, "affiliation": affiliation})
        if org_code:
            s.step(rid, auth, "organization", {"org_code": org_code})
    else:
        s.step(
            rid,
            auth,
            "organization",
            {"registration_type": "organization", "org_code": org_code, "academic_level": "UG"},
        )
    # as in seed 001, the codes are entered with the password, on the security step
    security = {"password": PASSWORD, "password_confirmation": PASSWORD}
    state = s.step(rid, auth, "security", security)
    assert state["step"] == "security"
    s.confirm(rid, auth, "email", s.email_code(email))
    state = s.confirm(rid, auth, "phone", s.sms_code(e164))
    if flow == "student":
        assert state["step"] == "mapping"
        s.step(rid, auth, "mapping", {"department": "physics", "batch": "2024-2028", "year": 2})
    done: dict[str, Any] = s.complete(rid, auth)
    s.secrets.append(done["access_token"])
    return done, e164


def test_teacher_and_student_join_and_the_admin_approves(service: Service) -> None:
    s = service
    owner = register_organization(s, "approval")
    code = owner["organization"]["join_code"]
    org_id = owner["organization"]["id"]
    admin = {"Authorization": f"Bearer {owner['access_token']}"}
    shown = s.client.get(f"/v1/organizations/by-code/{code}")
    assert shown.json() == {"name": ORG["name"]}

    teacher_email = f"teacher-{uuid.uuid4().hex[:10]}@example.com"
    teacher, _ = join(s, "teacher", code, teacher_email)
    assert teacher["membership"] == {"role": "teacher", "status": "pending"}
    freelance, _ = join(s, "teacher", None, f"free-{uuid.uuid4().hex[:10]}@example.com")
    assert freelance["membership"] is None

    student_email = f"student-{uuid.uuid4().hex[:10]}@example.com"
    student, _ = join(s, "student", code, student_email)
    assert student["membership"] == {"role": "student", "status": "pending"}
    assert claims(student["access_token"])["role"] is None

    queue = s.client.get(f"/v1/organizations/{org_id}/members?status=pending", headers=admin)
    assert queue.status_code == 200, queue.text
    pending = {m["email"]: m for m in queue.json()["members"]}
    assert set(pending) == {teacher_email, student_email}
    assert pending[student_email]["details"]["department"] == "Physics"
    approved = s.client.post(
        f"/v1/organizations/{org_id}/members/{pending[student_email]['id']}/approve",
        headers=admin,
    )
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    notice = s.mail_with_subject(student_email, "You have joined")
    assert ORG["name"] in text_body(notice)

    login = s.client.post("/v1/sessions", json={"email": student_email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    s.secrets.append(login.json()["access_token"])
    token = claims(login.json()["access_token"])
    assert token["role"] == "student" and token["org"] == org_id
