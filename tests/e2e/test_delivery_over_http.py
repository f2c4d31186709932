"""``regflow serve`` with Twilio-compatible SMS and webhooks, as an operator configures them.

The service runs as its own process on a real port; mail goes to a real SMTP
server, SMS to a local server speaking Twilio's Messages API, webhooks to a
local receiver. Codes are read from what those servers received.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from standardwebhooks import Webhook

from support.harness import PASSWORD
from support.http_sink import HttpSink
from support.orgs import ORG, PREFERENCES
from support.server import (
    SmtpSink,
    regflow_command,
    running_service,
    service_env,
    service_log,
    text_body,
)

pytestmark = pytest.mark.e2e

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-token-" + secrets.token_hex(8)
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def test_organization_registration_sends_sms_through_twilio_and_webhooks(
    tmp_path: Path,
) -> None:
    with SmtpSink() as mail, HttpSink() as twilio, HttpSink() as hooks:
        env = {
            "REGFLOW_SMTP_URL": mail.url,
            "REGFLOW_SMS_PROVIDER": "twilio",
            "REGFLOW_TWILIO_ACCOUNT_SID": SID,
            "REGFLOW_TWILIO_AUTH_TOKEN": TOKEN,
            "REGFLOW_TWILIO_FROM": "+15005550006",
            "REGFLOW_TWILIO_BASE_URL": twilio.base_url,
            "REGFLOW_WEBHOOKS": json.dumps([{"url": hooks.url("/hooks"), "secret": SECRET}]),
            "REGFLOW_WORKER_POLL_SECONDS": "0.1",
        }
        with (
            running_service(tmp_path, env) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as c,
        ):
            r = c.post("/v1/registrations", json={"flow": "organization"})
            rid, auth = r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}
            assert c.post(f"/v1/registrations/{rid}/steps/organization", json=ORG, headers=auth)
            email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
            admin = {
                "name": "Asha Rao",
                "email": email,
                "phone": "9812345678",
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            }
            r = c.post(f"/v1/registrations/{rid}/steps/admin", json=admin, headers=auth)
            assert r.status_code == 200, r.text

            [sms] = twilio.wait(1, 15)
            assert sms.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
            login = base64.b64decode(sms.headers["authorization"].removeprefix("Basic "))
            assert login.decode() == f"{SID}:{TOKEN}"
            form = parse_qs(sms.body.decode())
            assert form["To"] == ["+919812345678"] and form["From"] == ["+15005550006"]
            sms_code = CODE.search(form["Body"][0])
            email_code = CODE.search(text_body(mail.wait_for(email, 15)))
            assert sms_code and email_code
            for channel, code in (("email", email_code), ("phone", sms_code)):
                r = c.post(
                    f"/v1/registrations/{rid}/verifications/{channel}/confirm",
                    json={"code": code.group(1)},
                    headers=auth,
                )
                assert r.status_code == 200, r.text
            r = c.post(f"/v1/registrations/{rid}/steps/preferences", json=PREFERENCES, headers=auth)
            assert r.status_code == 200, r.text
            r = c.post(f"/v1/registrations/{rid}/complete", headers=auth)
            assert r.status_code == 201, r.text
            organization_id = r.json()["organization"]["id"]

            received = hooks.wait(2, 15)
            verified = [Webhook(SECRET).verify(req.body, req.headers) for req in received]
            payloads = sorted(verified, key=lambda p: str(p["type"]))  # delivery has no order
            assert [p["type"] for p in payloads] == [
                "organization.created",
                "registration.completed",
            ]
            assert payloads[0]["data"]["organization"]["id"] == organization_id
            assert payloads[1]["data"]["account"]["email"] == email

        listing = subprocess.run(
            [regflow_command(), "outbox", "--status", "sent"],
            env=service_env(tmp_path, {}),
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout.decode()
        assert "sent 4" in listing  # mail, SMS and two webhooks
        assert "organization.created" in listing and "registration.completed" in listing
        for secret in (sms_code.group(1), email_code.group(1), "9812345678", email):
            assert secret not in listing

    log = service_log(tmp_path).read_text()
    for secret in (TOKEN, SECRET, sms_code.group(1), email_code.group(1), "9812345678"):
        assert secret not in log
