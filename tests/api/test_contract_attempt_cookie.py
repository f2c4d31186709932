"""Seeds 002 and 003: the attempt cookie that lets the first registrant keep its password.

Under https it is a ``__Host-`` cookie (Secure, Path=/, no Domain), so nobody on a
sibling subdomain or a plain-http hop can plant the attacker's attempt token in the
victim's browser: a planted cookie under the plain name counts for nothing, and the
contested registration keeps no typed password.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from support.harness import make_settings, started_app

VICTIM, ATTACKER = "Quartz#Lamp8841", "Copper#Kite5570"


def _cookie(response: httpx.Response) -> tuple[str, str]:
    (header,) = response.headers.get_list("set-cookie")
    name, _, rest = header.partition("=")
    return name, rest


async def test_https_hands_out_a_host_cookie_and_ignores_a_planted_one(
    db_url: str, tmp_path: Path
) -> None:
    settings = make_settings(db_url, tmp_path, public_url="https://signup.example.com")
    async with started_app(settings) as h:
        email = f"cookie-{uuid.uuid4().hex[:10]}@example.com"
        first = await h.client.post(
            "/api/auth/register-pending", json={"email": email, "password": ATTACKER}
        )
        assert first.status_code == 200, first.text
        name, rest = _cookie(first)
        assert name == "__Host-regflow_signup_attempt"
        attributes = {a.strip().lower() for a in rest.split(";")[1:]}
        assert {"httponly", "secure", "path=/", "samesite=strict"} <= attributes
        assert not any(a.startswith("domain") for a in attributes)
        planted = rest.split(";")[0]  # the attacker's own attempt token
        h.client.cookies.clear()
        victim = await h.client.post(
            "/api/auth/register-pending", json={"email": email, "password": VICTIM}
        )
        assert victim.status_code == 200  # contests the attacker's registration
        code = await h.last_code(email)
        r = await h.client.post(
            "/api/auth/verify-and-create",
            json={"email": email, "verificationCode": code},
            headers={"Cookie": f"regflow_signup_attempt={planted}"},
        )
        assert r.status_code == 201, r.text
        for password in (ATTACKER, VICTIM):  # the planted token kept no password
            login = await h.client.post("/v1/sessions", json={"email": email, "password": password})
            assert login.status_code == 401
        templates = [m.template for m in await h.outbox() if m.recipient == email]
        assert templates.count("password_choose") == 1


async def test_the_first_registrants_client_keeps_its_password(db_url: str, tmp_path: Path) -> None:
    async with started_app(make_settings(db_url, tmp_path)) as h:
        email = f"cookie-{uuid.uuid4().hex[:10]}@example.com"
        body = {
            "email": email,
            "password": VICTIM,
            "firstName": "Vera",
            "lastName": "Victim",
            "organizationName": "Victim Works",
        }
        assert (await h.client.post("/api/v1/auth/register", json=body)).status_code == 201
        mine = dict(h.client.cookies)
        assert set(mine) == {"regflow_signup_attempt"}
        h.client.cookies.clear()
        other = {**body, "password": ATTACKER, "organizationName": "Evil Holdings"}
        assert (await h.client.post("/api/v1/auth/register", json=other)).status_code == 201
        h.client.cookies.clear()
        code = await h.last_code(email)
        r = await h.client.post(
            "/api/v1/auth/verify-email",
            json={"email": email, "code": code},
            headers={"Cookie": f"regflow_signup_attempt={mine['regflow_signup_attempt']}"},
        )
        assert r.status_code == 200, r.text
        login = await h.client.post("/api/v1/auth/login", json={"email": email, "password": VICTIM})
        assert login.status_code == 200
        login = await h.client.post(
            "/api/v1/auth/login", json={"email": email, "password": ATTACKER}
        )
        assert login.status_code == 401
