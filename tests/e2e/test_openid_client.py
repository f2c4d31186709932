"""openid-client (npm; Node.js) against ``regflow serve`` on a real port.

A certified relying-party library nobody here wrote does discovery, the
authorization code flow with PKCE, the token exchange (verifying the ID
token's RS256 signature against the JWKS, issuer, audience, nonce), userinfo, refresh with rotation
(and sees a replayed refresh token refused and its family ended) and
RP-initiated logout. The person signs up over the API with the code from a
real SMTP server, then signs in on the hosted ``/sign-in`` page; the login
session cookie is what lets the library's authorize request through.

``tests/oidc_client`` holds the library, pinned by its own ``package-lock.json``;
``npm ci`` installs it there when missing. Without Node.js or npm the test skips
and says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from support.harness import PASSWORD
from support.server import SmtpSink, running_service, text_body

pytestmark = pytest.mark.e2e

CLIENT_DIR = Path(__file__).resolve().parents[1] / "oidc_client"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
CALLBACK = "http://127.0.0.1:9/callback"  # never opened: the library reads the redirect
AFTER_LOGOUT = "http://127.0.0.1:9/bye"


def node_ready() -> str | None:
    """Why the test cannot run, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node.js and npm are not installed: the openid-client test needs them"
    if not (CLIENT_DIR / "node_modules" / "openid-client").exists():
        installed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=CLIENT_DIR,
            capture_output=True,
            timeout=300,
            check=False,
        )
        if installed.returncode != 0:
            return "npm ci could not install openid-client: " + installed.stderr.decode()[-300:]
    return None


def cookies_of(response: httpx.Response) -> dict[str, str]:
    """Name -> value of each Set-Cookie (read directly: a Secure cookie over http)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


def sign_up_and_sign_in(client: httpx.Client, mail: SmtpSink) -> tuple[str, str]:
    """A member registered over the API, then signed in on /sign-in: (email, session cookie)."""
    email = f"rp-{uuid.uuid4().hex[:10]}@example.com"
    started = client.post("/v1/registrations", json={"flow": "member"}).json()
    rid, auth = started["id"], {"Authorization": f"Bearer {started['token']}"}
    steps = [
        ("email", {"email": email}),
        ("identity", {"first_name": "Ada", "last_name": "Byron", "username": "u" + rid[:8]}),
        ("credentials", {"password": PASSWORD, "password_confirmation": PASSWORD}),
    ]
    for name, fields in steps:
        r = client.post(f"/v1/registrations/{rid}/steps/{name}", json=fields, headers=auth)
        assert r.status_code == 200, r.text
        if name == "email":
            found = CODE.search(text_body(mail.wait_for(email, 15)))
            assert found
            r = client.post(
                f"/v1/registrations/{rid}/verifications/email/confirm",
                json={"code": found.group(1)},
                headers=auth,
            )
            assert r.status_code == 200, r.text
    assert client.post(f"/v1/registrations/{rid}/complete", headers=auth).status_code == 201
    page = client.get("/sign-in")
    jar = cookies_of(page)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    signed = client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf": csrf.group(1)},
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
    )
    assert signed.status_code == 200, signed.text
    session = cookies_of(signed)["__Host-regflow-session"]
    return email, f"__Host-regflow-session={session}"


def test_openid_client_walks_every_endpoint(tmp_path: Path) -> None:
    reason = node_ready()
    if reason is not None:
        pytest.skip(reason)
    clients = [
        {
            "client_id": "node-app",
            "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": [AFTER_LOGOUT],
            "public": True,
            "first_party": True,
        },
        {  # a second, confidential client: its secret is only ever stored as a digest
            "client_id": "other",
            "redirect_uris": ["https://other.example/cb"],
            "client_secret_sha256": hashlib.sha256(b"s").hexdigest(),
        },
    ]
    with SmtpSink() as mail:
        env = {"REGFLOW_SMTP_URL": mail.url, "REGFLOW_OIDC_CLIENTS": json.dumps(clients)}
        with (
            running_service(tmp_path, env) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            email, cookie = sign_up_and_sign_in(client, mail)
            run = subprocess.run(
                ["node", "rp.mjs"],
                cwd=CLIENT_DIR,
                env={
                    "PATH": os.environ["PATH"],
                    "ISSUER": base_url,
                    "CLIENT_ID": "node-app",
                    "REDIRECT_URI": CALLBACK,
                    "POST_LOGOUT_REDIRECT_URI": AFTER_LOGOUT,
                    "COOKIE": cookie,
                },
                capture_output=True,
                timeout=120,
                check=False,
            )
    assert run.returncode == 0, run.stderr.decode()
    seen = json.loads(run.stdout.decode().strip().splitlines()[-1])
    assert seen["issuer"] == base_url
    assert "RS256" in seen["id_token_algs"]
    # the client registered no algorithm: RS256, checked by the library with the JWKS
    assert seen["id_token_header"]["alg"] == "RS256" and seen["jwks_fetched"] is True
    assert seen["authorize_status"] == 303 and seen["callback"] == CALLBACK
    assert seen["id_token"]["email"] == email and seen["id_token"]["amr"] == ["pwd"]
    assert seen["id_token"]["org"] is None and seen["id_token"]["role"] is None
    assert seen["userinfo"]["sub"] == seen["id_token"]["sub"]
    assert seen["rotated"] is True
    assert seen["replay"] == "invalid_grant"
    assert seen["family_after_replay"] == "invalid_grant"
    assert seen["logout_status"] == 303
    assert seen["logout_location"] == AFTER_LOGOUT + "?state=bye"
    assert seen["after_logout"].startswith("/sign-in?next=")  # the login session ended
