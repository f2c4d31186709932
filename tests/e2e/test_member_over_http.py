"""The member flow against the real service: a subprocess on a real port, mail over SMTP.

The database is migrated with ``regflow db upgrade`` and the service started
with ``regflow serve``, as an operator does. The code is read from the mail the
SMTP server received, never from the database.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from support.harness import PASSWORD
from support.server import SmtpSink, running_service, service_log, text_body

pytestmark = pytest.mark.e2e

CODE = re.compile(r"^\s*(\d{6})\s*$", re.MULTILINE)  # the code stands on its own line
LINK = re.compile(r"/(?:v1/verify|register/confirm)/([A-Za-z0-9_-]+)")  # UI page when on
MAIL_TIMEOUT = 15.0


@dataclass
class Walk:
    """What one walk through the member flow produced, secrets included."""

    email: str
    username: str
    mail_text: str
    mail_headers: dict[str, str]
    code: str
    link_token: str
    registration_token: str
    account: dict[str, Any]
    completion_token: str
    login_token: str
    jwks: dict[str, Any]
    link_page_status: int
    wrong_login: httpx.Response
    reset_code: str = ""
    reset_link_token: str = ""
    log: str = ""


def _walk(client: httpx.Client, sink: SmtpSink) -> Walk:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    username = "e2e" + uuid.uuid4().hex[:8]
    start = client.post("/v1/registrations", json={"flow": "member"})
    assert start.status_code == 201, start.text
    rid, token = start.json()["id"], start.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    r = client.post(f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["pending_verification"]["channel"] == "email"

    mail = sink.wait_for(email, MAIL_TIMEOUT)
    text = text_body(mail)
    codes = CODE.findall(text)
    assert len(codes) == 1, text
    link = LINK.search(text)
    assert link is not None, text
    # a GET on the link only shows a page (mail scanners prefetch links)
    page = client.get(f"/v1/verify/{link.group(1)}")

    r = client.post(
        f"/v1/registrations/{rid}/verifications/email/confirm",
        json={"code": codes[0]},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert r.json()["verified"]["email"] is True and r.json()["step"] == "identity"
    r = client.post(
        f"/v1/registrations/{rid}/steps/identity",
        json={"first_name": "Ada", "last_name": "Lovelace", "username": username},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/v1/registrations/{rid}/steps/credentials",
        json={"password": PASSWORD, "password_confirmation": PASSWORD},
        headers=auth,
    )
    assert r.status_code == 200 and r.json()["step"] == "complete", r.text
    done = client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert done.status_code == 201, done.text

    login = client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    wrong = client.post("/v1/sessions", json={"email": email, "password": PASSWORD + "!"})
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    # a password reset by the mailed code, to the same password (its secrets join the log check)
    assert client.post("/v1/password-resets", json={"email": email}).status_code == 202
    reset_text = _reset_mail(sink, email)
    (reset_code,) = CODE.findall(reset_text)
    reset_link = re.search(r"/reset/([A-Za-z0-9_-]+)", reset_text)
    assert reset_link is not None, reset_text
    again = {"email": email, "code": reset_code, "password": PASSWORD}
    assert client.post("/v1/password-resets/confirm", json=again).status_code == 200
    return Walk(
        email=email,
        username=username,
        mail_text=text,
        mail_headers={k: str(v) for k, v in mail.items()},
        code=codes[0],
        link_token=link.group(1),
        registration_token=token,
        account=done.json()["account"],
        completion_token=done.json()["access_token"],
        login_token=login.json()["access_token"],
        jwks=jwks.json(),
        link_page_status=page.status_code,
        wrong_login=wrong,
        reset_code=reset_code,
        reset_link_token=reset_link.group(1),
    )


def _reset_mail(sink: SmtpSink, email: str) -> str:
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        for recipients, mail in sink.messages:
            if email in recipients and "reset" in str(mail["Subject"]).lower():
                return text_body(mail)
        time.sleep(0.1)
    raise TimeoutError(f"no reset mail for {email}")


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """Serve, walk the flow once, stop the service; then hand over the walk and its logs."""
    tmp_path: Path = tmp_path_factory.mktemp("e2e")
    with SmtpSink() as sink:
        env = {"REGFLOW_SMTP_URL": sink.url, "REGFLOW_WORKER_POLL_SECONDS": "0.2"}
        with (
            running_service(tmp_path, env) as base_url,
            httpx.Client(base_url=base_url, timeout=10.0) as client,
        ):
            result = _walk(client, sink)
    result.log = service_log(tmp_path).read_text()
    yield result


def _verify(token: str, jwks: dict[str, Any], **options: Any) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = [k for k in jwks["keys"] if k["kid"] == kid]
    assert len(keys) == 1, f"kid {kid} is not published"
    claims: dict[str, Any] = jwt.decode(
        token,
        key=jwt.PyJWK(keys[0]),
        algorithms=["EdDSA"],
        audience=options.get("audience", "regflow"),
        issuer=options.get("issuer", "regflow"),
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    return claims


def test_member_registers_and_logs_in_over_http(walk: Walk) -> None:
    assert walk.mail_headers["To"] == walk.email
    assert walk.mail_headers["Subject"]
    assert walk.mail_headers["Message-ID"]
    assert walk.link_page_status == 200
    assert walk.account["email"] == walk.email
    assert walk.account["email_verified"] is True
    assert walk.account["username"] == walk.username

    for token in (walk.login_token, walk.completion_token):
        claims = _verify(token, walk.jwks)
        assert claims["sub"] == walk.account["id"]
        assert claims["email"] == walk.email and claims["email_verified"] is True
        assert claims["exp"] - claims["iat"] <= 900
    # the pins hold: another audience or issuer, or a forged signature, is refused
    with pytest.raises(jwt.InvalidAudienceError):
        _verify(walk.login_token, walk.jwks, audience="someone-else")
    with pytest.raises(jwt.InvalidIssuerError):
        _verify(walk.login_token, walk.jwks, issuer="someone-else")
    head, payload, signature = walk.login_token.split(".")
    forged = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(forged, walk.jwks)

    assert walk.wrong_login.status_code == 401
    assert walk.wrong_login.json()["code"] == "INVALID_CREDENTIALS"


def test_service_logs_hold_no_secret(walk: Walk) -> None:
    lines = [line for line in walk.log.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # structured: every line is JSON
    routes = {(r.get("route"), r.get("status")) for r in records if r.get("msg") == "request"}
    # the walk was logged (so the absence checks below look at a real log)
    assert ("/v1/registrations/{registration_id}/complete", 201) in routes
    assert ("/v1/verify/{link_token}", 200) in routes
    assert ("/v1/sessions", 401) in routes
    assert ("/v1/password-resets/confirm", 200) in routes
    masked = walk.email[0] + "***@example.com"
    assert any(masked in r.get("msg", "") for r in records), "the sent mail is not logged"

    secrets = {
        "password": PASSWORD,
        "registration token": walk.registration_token,
        "link token": walk.link_token,
        "password reset link token": walk.reset_link_token,
        "access token (completion)": walk.completion_token,
        "access token (login)": walk.login_token,
        "email address": walk.email,
        "email local part": walk.email.split("@")[0],
    }
    for what, value in secrets.items():
        assert value not in walk.log, f"the {what} is in the service log"
    # The code as a number on its own: timestamps carry 6-digit microseconds
    # after a "." and ids are hex, so a bare substring test could hit by chance.
    for code in (walk.code, walk.reset_code):
        leaked = re.search(rf"(?<![0-9A-Za-z.]){code}(?![0-9A-Za-z])", walk.log)
        assert leaked is None, "a verification or reset code is in the service log"
