"""Account takeover through the email-keyed seed contracts (002, 003, 004), over a real port.

Each test plays a victim and an attacker who knows only the victim's email,
against ``regflow serve`` with mail to a real SMTP server, on SQLite and
PostgreSQL, with the default rate limits. The attacker must never end up with
a token for, or a password on, the victim's account; the victim's own flow
must still complete. Codes are read from what the SMTP server received.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from support.harness import SECRET_KEY  # shared with the PostgreSQL test database's keys
from support.server import SmtpSink, running_service, text_body

pytestmark = pytest.mark.e2e

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
VICTIM_PASSWORD = "Quartz#Lamp8841"
ATTACKER_PASSWORD = "Copper#Kite5570"
SETTLE = 1.0  # the worker is woken at once by new mail; this is ample on a loaded machine
_HOSTS = itertools.count()


@dataclass
class Service:
    base_url: str
    mail: SmtpSink

    def client(self) -> httpx.Client:
        """A client of its own (its own cookie jar and address, as a trusted proxy tells):
        the victim's or the attacker's."""
        address = f"198.51.100.{next(_HOSTS) % 250 + 1}"
        return httpx.Client(
            base_url=self.base_url, timeout=30, headers={"X-Forwarded-For": address}
        )

    def mails(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.mail.messages if address in rcpt]

    def codes(self, address: str, count: int = 1) -> list[str]:
        """The codes mailed to ``address``, once ``count`` mails arrived (then a moment
        more, so that a mail that should not exist has had its chance to arrive)."""
        deadline = time.monotonic() + 15
        while len(self.mails(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(SETTLE)
        found = [CODE.search(text_body(m)) for m in self.mails(address)]
        return [f.group(1) for f in found if f]

    def login(self, email: str, password: str) -> int:
        with self.client() as c:
            return c.post("/v1/sessions", json={"email": email, "password": password}).status_code


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    tmp_path: Path = tmp_path_factory.mktemp(f"takeover-{request.param}")
    env = {"REGFLOW_SECRET_KEY": SECRET_KEY, "REGFLOW_TRUSTED_PROXIES": "127.0.0.1"}
    if request.param == "postgresql":
        env["REGFLOW_DATABASE_URL"] = str(request.getfixturevalue("pg_url"))
    with SmtpSink() as mail:
        env["REGFLOW_SMTP_URL"] = mail.url
        with running_service(tmp_path, env) as base_url:
            yield Service(base_url, mail)


def victim_email() -> str:
    return f"victim-{uuid.uuid4().hex[:10]}@example.com"


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def choose_password(service: Service, address: str, password: str, *, mails: int) -> None:
    """The owner sets the password with the "choose your password" mail, the last of
    ``mails`` to the address (its code; the seed 003 contract's reset takes it too)."""
    codes = service.codes(address, mails)
    assert len(codes) == mails, codes
    assert "password" in str(service.mails(address)[-1]["Subject"]).lower()
    with service.client() as c:
        body = {"email": address, "code": codes[-1], "password": password}
        r = c.post("/v1/password-resets/confirm", json=body)
        assert r.status_code == 200, r.text


def account_email(service: Service, token: str) -> str:
    with service.client() as c:
        r = c.get("/v1/account", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return str(r.json()["email"])


def test_002_a_later_register_pending_takes_nothing(service: Service) -> None:
    """The attacker's password used to replace the victim's before the victim's code. Now
    it contests the registration, and the victim, confirming from the client that made
    the first registration (its attempt cookie), keeps the victim's own password."""
    address = victim_email()
    with service.client() as victim, service.client() as attacker:
        r = victim.post(
            "/api/auth/register-pending", json={"email": address, "password": VICTIM_PASSWORD}
        )
        assert r.status_code == 200, r.text
        (code,) = service.codes(address)
        r2 = attacker.post(
            "/api/auth/register-pending", json={"email": address, "password": ATTACKER_PASSWORD}
        )
        # answered as documented, and the same as the victim's (bar the time stamp)
        assert r2.status_code == 200
        assert {**r2.json(), "pendingId": ""} == {**r.json(), "pendingId": ""}
        assert r2.json()["pendingId"].rsplit("-", 1)[1] == r.json()["pendingId"].rsplit("-", 1)[1]
        assert service.codes(address) == [code]  # no second code
        r = attacker.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": _other(code)}
        )
        assert r.status_code == 400
        r = victim.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": code}
        )
        assert r.status_code == 201, r.text
        assert account_email(service, r.json()["session"]["accessToken"]) == address
        assert "regflow_signup_attempt" not in victim.cookies  # spent: deleted
    assert service.login(address, ATTACKER_PASSWORD) == 401
    assert service.login(address, VICTIM_PASSWORD) == 200
    assert service.codes(address) == [code]  # no "choose your password" was needed


def test_002_a_contested_registration_confirmed_elsewhere_keeps_no_password(
    service: Service,
) -> None:
    """Confirmed from a client without the first registration's attempt cookie (another
    device), a contested registration keeps neither password: the mail decides."""
    address = victim_email()
    with service.client() as victim, service.client() as attacker:
        body = {"email": address, "password": VICTIM_PASSWORD}
        assert victim.post("/api/auth/register-pending", json=body).status_code == 200
        (code,) = service.codes(address)
        body = {"email": address, "password": ATTACKER_PASSWORD}
        assert attacker.post("/api/auth/register-pending", json=body).status_code == 200
        victim.cookies.clear()  # the phone that read the mail
        r = victim.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": code}
        )
        assert r.status_code == 201, r.text
    assert service.login(address, ATTACKER_PASSWORD) == 401
    assert service.login(address, VICTIM_PASSWORD) == 401
    choose_password(service, address, VICTIM_PASSWORD, mails=2)
    assert service.login(address, VICTIM_PASSWORD) == 200


def test_002_an_attacker_registering_first_gets_nothing(service: Service) -> None:
    """The attacker registers the victim's address first with the attacker's password; the
    victim signs up later (the documented answer, no new mail within the cooldown) and
    enters the code of the first mail: the account used to hold the attacker's password."""
    address = victim_email()
    with service.client() as victim, service.client() as attacker:
        first = attacker.post(
            "/api/auth/register-pending", json={"email": address, "password": ATTACKER_PASSWORD}
        )
        assert first.status_code == 200, first.text
        (code,) = service.codes(address)  # mailed to the victim, not to the attacker
        r = victim.post(
            "/api/auth/register-pending", json={"email": address, "password": VICTIM_PASSWORD}
        )
        assert r.status_code == 200
        assert {**r.json(), "pendingId": ""} == {**first.json(), "pendingId": ""}
        assert service.codes(address) == [code]
        r = attacker.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": _other(code)}
        )
        assert r.status_code == 400
        r = victim.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": code}
        )
        assert r.status_code == 201, r.text
        assert account_email(service, r.json()["session"]["accessToken"]) == address
        r = attacker.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": code}
        )
        assert r.status_code == 409  # done: the code serves nobody else
    assert service.login(address, ATTACKER_PASSWORD) == 401
    assert service.login(address, VICTIM_PASSWORD) == 401
    with service.client() as attacker:  # a reset goes to the address, never to the asker
        assert attacker.post("/v1/password-resets", json={"email": address}).status_code == 202
    # the code, then "choose your password" (its code stays the one within the cooldown)
    choose_password(service, address, VICTIM_PASSWORD, mails=2)
    assert service.login(address, VICTIM_PASSWORD) == 200
    assert service.login(address, ATTACKER_PASSWORD) == 401


def test_002_the_same_password_again_resends_nothing_new_within_the_cooldown(
    service: Service,
) -> None:
    address = victim_email()
    with service.client() as victim:
        body = {"email": address, "password": VICTIM_PASSWORD}
        assert victim.post("/api/auth/register-pending", json=body).status_code == 200
        (code,) = service.codes(address)
        assert victim.post("/api/auth/register-pending", json=body).status_code == 200
        assert service.codes(address) == [code]  # the code already sent stays the one
        r = victim.post(
            "/api/auth/verify-and-create", json={"email": address, "verificationCode": code}
        )
        assert r.status_code == 201, r.text


def _oneshot(address: str, password: str, organization: str) -> dict[str, str]:
    return {
        "email": address,
        "password": password,
        "firstName": "Vera",
        "lastName": "Victim",
        "organizationName": organization,
    }


def test_003_a_later_register_neither_displaces_nor_mails_a_code(service: Service) -> None:
    """The attacker's registration used to replace the victim's (and its code) a minute later.
    Now it contests the first one: no typed password survives its completion."""
    address = victim_email()
    with service.client() as victim, service.client() as attacker:
        first = victim.post(
            "/api/v1/auth/register", json=_oneshot(address, VICTIM_PASSWORD, "Victim Works")
        )
        assert first.status_code == 201, first.text
        (code,) = service.codes(address)
        again = attacker.post(
            "/api/v1/auth/register", json=_oneshot(address, ATTACKER_PASSWORD, "Evil Holdings")
        )
        assert again.status_code == 201 and again.json() == first.json()
        # the same again at once (the seed's 429 used to come here): still the documented 201
        third = attacker.post(
            "/api/v1/auth/register", json=_oneshot(address, ATTACKER_PASSWORD, "Evil Holdings")
        )
        assert third.status_code == 201 and third.json() == first.json()
        assert service.codes(address) == [code]
        r = attacker.post(
            "/api/v1/auth/verify-email", json={"email": address, "code": _other(code)}
        )
        assert r.status_code == 400
        r = victim.post("/api/v1/auth/verify-email", json={"email": address, "code": code})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["organizationId"] == first.json()["data"]["organizationId"]
        r = attacker.post(
            "/api/v1/auth/login", json={"email": address, "password": ATTACKER_PASSWORD}
        )
        assert r.status_code == 401
        # contested, but confirmed by the client that registered first: its choice stands
        r = victim.post("/api/v1/auth/login", json={"email": address, "password": VICTIM_PASSWORD})
        assert r.status_code == 200 and r.json()["data"]["accessToken"]
        token = r.json()["data"]["accessToken"]
        r = victim.get(
            f"/v1/organizations/{first.json()['data']['organizationId']}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200 and r.json()["name"] == "Victim Works"


def test_003_an_attacker_registering_first_owns_nothing(service: Service) -> None:
    """The attacker registers the victim's address first, with the attacker's password and
    organization; the victim registers later and confirms the code of the first mail: the
    account used to hold the attacker's password (and own the attacker's organization)."""
    address = victim_email()
    with service.client() as victim, service.client() as attacker:
        first = attacker.post(
            "/api/v1/auth/register", json=_oneshot(address, ATTACKER_PASSWORD, "Evil Holdings")
        )
        assert first.status_code == 201, first.text
        (code,) = service.codes(address)
        again = victim.post(
            "/api/v1/auth/register", json=_oneshot(address, VICTIM_PASSWORD, "Victim Works")
        )
        assert again.status_code == 201 and again.json() == first.json()
        assert service.codes(address) == [code]
        r = victim.post("/api/v1/auth/verify-email", json={"email": address, "code": code})
        assert r.status_code == 200, r.text
        for password in (ATTACKER_PASSWORD, VICTIM_PASSWORD):
            r = attacker.post("/api/v1/auth/login", json={"email": address, "password": password})
            assert r.status_code == 401
        (_, chosen) = service.codes(address, 2)
        r = victim.post(
            "/api/v1/auth/reset-password",
            json={"email": address, "code": chosen, "password": VICTIM_PASSWORD},
        )
        assert r.status_code == 200, r.text
        r = victim.post("/api/v1/auth/login", json={"email": address, "password": VICTIM_PASSWORD})
        assert r.status_code == 200
        token = r.json()["data"]["accessToken"]
        # the organization the 201 announced; its owner is the address's owner
        r = victim.get(
            f"/v1/organizations/{first.json()['data']['organizationId']}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        r = attacker.post(
            "/api/v1/auth/login", json={"email": address, "password": ATTACKER_PASSWORD}
        )
        assert r.status_code == 401


def _tenant(address: str, password: str) -> dict[str, str]:
    return {
        "email": address,
        "password": password,
        "name": "Vera Victim",
        "company_name": f"Victim Works {uuid.uuid4().hex[:6]}",
    }


def test_004_register_needs_the_proof_the_verifying_client_holds(service: Service) -> None:
    """Anyone calling register with a verified email used to get the owner's access token."""
    address = victim_email()
    with service.client() as victim, service.client() as attacker:
        assert (
            victim.post("/auth/send-verification-code", json={"email": address}).status_code == 200
        )
        (code,) = service.codes(address)
        polled = attacker.post("/auth/register", json=_tenant(address, ATTACKER_PASSWORD))
        assert polled.status_code == 400
        assert polled.json()["errors"][0]["code"] == "EMAIL_NOT_VERIFIED"
        r = victim.post("/auth/verify-email", json={"email": address, "code": code})
        assert r.status_code == 200 and r.json()["data"]["verified"] is True
        assert "regflow_email_proof" in victim.cookies
        # the attacker after the victim verified: the same answer as before (nothing to poll)
        for body in (
            _tenant(address, ATTACKER_PASSWORD),
            {**_tenant(address, ATTACKER_PASSWORD), "verification_token": "x" * 43},
            {**_tenant(address, ATTACKER_PASSWORD), "verificationToken": ""},
        ):
            r = attacker.post("/auth/register", json=body)
            assert r.status_code == 400 and r.json() == polled.json()
        r = attacker.post(
            "/auth/register",
            json=_tenant(address, ATTACKER_PASSWORD),
            headers={"Cookie": "regflow_email_proof=forged"},
        )
        assert r.status_code == 400 and r.json() == polled.json()
        # asking for another code or guessing one gets the attacker no proof either
        assert attacker.post("/auth/send-verification-code", json={"email": address}).is_success
        r = attacker.post("/auth/verify-email", json={"email": address, "code": _other(code)})
        assert r.status_code == 400 and "regflow_email_proof" not in attacker.cookies
        assert service.codes(address) == [code]  # verified: no new code went out
        r = victim.post("/auth/register", json=_tenant(address, VICTIM_PASSWORD))
        assert r.status_code == 201, r.text
        assert r.json()["data"]["user"]["email"] == address and r.json()["data"]["access_token"]
        assert "regflow_email_proof" not in victim.cookies  # spent: deleted
    assert service.login(address, ATTACKER_PASSWORD) == 401
    assert service.login(address, VICTIM_PASSWORD) == 200


def test_004_a_client_without_cookies_sends_the_proof_in_the_body(service: Service) -> None:
    address = victim_email()
    with service.client() as c:
        assert c.post("/auth/send-verification-code", json={"email": address}).is_success
        (code,) = service.codes(address)
        proof = c.post("/auth/verify-email", json={"email": address, "code": code}).json()
        c.cookies.clear()  # a non-browser client that keeps no cookies
        body = {**_tenant(address, VICTIM_PASSWORD)}
        assert c.post("/auth/register", json=body).status_code == 400
        body["verification_token"] = proof["data"]["verification_token"]
        r = c.post("/auth/register", json=body)
        assert r.status_code == 201, r.text
