"""After sign-up against the real service on a real port, mail over SMTP, on both databases:
password reset by code and by link, alike for unknown addresses, single use, capped; and the
service's log holds none of the secrets involved."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest

from support.harness import PASSWORD, SECRET_KEY
from support.server import SmtpSink, running_service, service_log, text_body

pytestmark = pytest.mark.e2e

CODE = re.compile(r"^\s*(\d{6})\s*$", re.MULTILINE)
LINK = re.compile(r"/reset/([A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
NEW = "a fresh passphrase for e2e"
MAIL_TIMEOUT = 15.0
# twenty confirmations from one client must reach the service, not the per-IP limits
LIMITS = json.dumps({"reset_ip": "200/minute", "confirm_ip": "200/minute"})


def register(client: httpx.Client, sink: SmtpSink, email: str) -> str:
    """A member account (code read from the mail); its access token."""
    start = client.post("/v1/registrations", json={"flow": "member"}).json()
    rid, auth = start["id"], {"Authorization": f"Bearer {start['token']}"}
    url = f"/v1/registrations/{rid}"
    client.post(f"{url}/steps/email", json={"email": email}, headers=auth).raise_for_status()
    code = CODE.findall(text_body(sink.wait_for(email, MAIL_TIMEOUT)))[0]
    client.post(
        f"{url}/verifications/email/confirm", json={"code": code}, headers=auth
    ).raise_for_status()
    identity = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "e" + uuid.uuid4().hex[:9],
    }
    client.post(f"{url}/steps/identity", json=identity, headers=auth).raise_for_status()
    secret = {"password": PASSWORD, "password_confirmation": PASSWORD}
    client.post(f"{url}/steps/credentials", json=secret, headers=auth).raise_for_status()
    done = client.post(f"{url}/complete", headers=auth)
    assert done.status_code == 201, done.text
    return str(done.json()["access_token"])


def mails_about(sink: SmtpSink, email: str, word: str, at_least: int = 1) -> list[str]:
    """The texts of the mails to ``email`` whose subject has ``word``, once there are
    ``at_least`` of them (the worker delivers after the answer)."""
    sink.wait_for(email, MAIL_TIMEOUT)
    for _ in range(int(MAIL_TIMEOUT / 0.1)):
        found = [
            text_body(m)
            for rcpt, m in sink.messages
            if email in rcpt and word in str(m["Subject"]).lower()
        ]
        if len(found) >= at_least:
            return found
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {at_least} mails about {word!r} for {email}")


def reset_mail(sink: SmtpSink, email: str, nth: int = 1) -> str:
    """The text of the ``nth`` reset mail to ``email``."""
    return mails_about(sink, email, "reset", nth)[nth - 1]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_password_reset_over_http(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with SmtpSink() as sink:
        env = {
            "REGFLOW_SMTP_URL": sink.url,
            "REGFLOW_WORKER_POLL_SECONDS": "0.2",
            "REGFLOW_RATE_LIMITS": LIMITS,
        }
        if backend == "postgresql":
            env["REGFLOW_DATABASE_URL"] = str(request.getfixturevalue("pg_url"))
            env["REGFLOW_SECRET_KEY"] = SECRET_KEY  # the shared database's signing keys need it
        with (
            running_service(tmp_path, env) as base,
            httpx.Client(base_url=base, timeout=20.0) as client,
        ):
            secrets = walk(client, sink)
    log = service_log(tmp_path).read_text()
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    routes = {(r.get("route"), r.get("status")) for r in records if r.get("msg") == "request"}
    assert ("/v1/password-resets/confirm", 200) in routes  # the walk was logged
    for what, value in secrets.items():
        if re.fullmatch(r"\d{6}", value):
            leaked = re.search(rf"(?<![0-9A-Za-z.]){value}(?![0-9A-Za-z])", log)
            assert leaked is None, f"the {what} is in the service log"
        else:
            assert value not in log, f"the {what} is in the service log"


def walk(client: httpx.Client, sink: SmtpSink) -> dict[str, str]:
    """Every acceptance step; returns the secrets seen on the way (for the log check)."""
    email = f"reset-{uuid.uuid4().hex[:10]}@example.com"
    nobody = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    token = register(client, sink, email)
    me = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/account", headers=me).json()["email"] == email

    known = client.post("/v1/password-resets", json={"email": email})
    unknown = client.post("/v1/password-resets", json={"email": nobody})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert set(known.headers) - {"date"} == set(unknown.headers) - {"date"}
    first = reset_mail(sink, email)
    (code,) = CODE.findall(first)
    assert "no account uses it" in text_body(sink.wait_for(nobody, MAIL_TIMEOUT))

    # five wrong codes, then the right one is refused too
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        r = client.post(
            "/v1/password-resets/confirm", json={"email": email, "code": wrong, "password": NEW}
        )
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE", r.text
    r = client.post(
        "/v1/password-resets/confirm", json={"email": email, "code": code, "password": NEW}
    )
    assert r.status_code == 400 and r.json()["code"] == "ATTEMPTS_EXCEEDED"

    # the link of that mail still works: GET twice (a scanner and the person), then POST
    link = LINK.search(first)
    assert link
    path = f"/reset/{link.group(1)}"
    pages = [client.get(path), client.get(path)]
    assert [p.status_code for p in pages] == [200, 200]
    csrf = CSRF.search(pages[0].text)
    assert csrf
    # the CSRF cookie is Secure (a loopback URL is a secure context for browsers); httpx
    # keeps such cookies off plain http, so it is sent by hand, as a browser would
    cookie = pages[0].headers["set-cookie"].split(";")[0]
    done = client.post(
        path, data={"password": NEW, "csrf": csrf.group(1)}, headers={"Cookie": cookie}
    )
    assert done.status_code == 200 and "Your password was changed" in done.text
    assert (
        client.post("/v1/sessions", json={"email": email, "password": PASSWORD}).status_code == 401
    )
    assert client.post("/v1/sessions", json={"email": email, "password": NEW}).status_code == 200
    assert len(mails_about(sink, email, "changed")) == 1

    # a second reset by the mailed code, raced by twenty confirmations: one wins
    login = client.post("/v1/sessions", json={"email": email, "password": NEW}).json()
    client.post("/v1/password-resets", json={"email": email})
    second = reset_mail(sink, email, 2)
    (code2,) = CODE.findall(second)

    def confirm(i: int) -> int:
        body = {"email": email, "code": code2, "password": f"{NEW} {i}"}
        with httpx.Client(base_url=str(client.base_url), timeout=30.0) as own:
            return own.post("/v1/password-resets/confirm", json=body).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(confirm, range(20)))
    assert statuses.count(200) == 1, statuses
    winner = statuses.index(200)
    assert client.post(
        "/v1/sessions", json={"email": email, "password": f"{NEW} {winner}"}
    ).is_success
    # tokens from before either reset are dead
    for old in (token, login["access_token"]):
        r = client.get("/v1/account", headers={"Authorization": f"Bearer {old}"})
        assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
    final = f"{NEW} {winner}"
    totp_secrets = two_factor(client, sink, email, final)
    return {
        **totp_secrets,
        "password": PASSWORD,
        "new password": NEW,
        "reset code": code,
        "second reset code": code2,
        "link token": link.group(1),
        "access token": token,
        "email address": email,
        "unknown address": nobody,
    }


def ahead(secret: str, steps: int = 1) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps))


def mfa_login(client: httpx.Client, creds: dict[str, str], **proof: str) -> httpx.Response:
    r = client.post("/v1/sessions", json=creds)
    assert r.status_code == 401 and r.json()["code"] == "MFA_REQUIRED", r.text
    return client.post("/v1/sessions/mfa", json={"mfa_token": r.json()["mfa_token"], **proof})


def two_factor(client: httpx.Client, sink: SmtpSink, email: str, password: str) -> dict[str, str]:
    """TOTP over HTTP, codes computed with pyotp from the returned secret; then an
    organization that requires it, through every login path."""
    creds = {"email": email, "password": password}
    token = client.post("/v1/sessions", json=creds).json()["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    started = client.post("/v1/account/totp", headers=me)
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    done = client.post(
        "/v1/account/totp/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=me
    )
    assert done.status_code == 200, done.text
    recovery = done.json()["recovery_codes"]
    code = ahead(secret)
    r = mfa_login(client, creds, code=code)
    assert r.status_code == 200 and r.json()["amr"] == ["pwd", "otp"], r.text
    assert mfa_login(client, creds, code=code).status_code == 400  # replayed
    assert mfa_login(client, creds, recovery_code=recovery[0]).status_code == 200
    assert mfa_login(client, creds, recovery_code=recovery[0]).status_code == 400

    # an organization (seed 003) whose owner turns two_factor on
    owner = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    seed = {"email": owner, "password": "SecureP@ss123"}
    body = {**seed, "firstName": "Ada", "lastName": "Lovelace", "organizationName": "Acme Co"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    (verify_code,) = CODE.findall(text_body(sink.wait_for(owner, MAIL_TIMEOUT)))
    verified = client.post("/api/v1/auth/verify-email", json={"email": owner, "code": verify_code})
    org = verified.json()["data"]["organizationId"]
    admin = client.post("/api/v1/auth/login", json=seed).json()["data"]["accessToken"]
    patched = client.patch(
        f"/v1/organizations/{org}",
        json={"two_factor": True},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert patched.status_code == 200, patched.text
    native = client.post("/v1/sessions", json=seed)
    assert native.status_code == 403 and "access_token" not in native.json()
    contract = client.post("/api/v1/auth/login", json=seed)
    assert contract.status_code == 403 and "accessToken" not in contract.text
    page = client.get("/sign-in")
    csrf = CSRF.search(page.text)
    assert csrf
    cookie = page.headers["set-cookie"].split(";")[0]
    hosted = client.post(
        "/sign-in", data={**seed, "csrf": csrf.group(1)}, headers={"Cookie": cookie}
    )
    assert "Set up two-factor sign-in" in hosted.text
    assert "session" not in hosted.headers.get("set-cookie", "")  # nobody signed in
    return {"totp secret": secret, "recovery code": recovery[0], "mfa code": code}
