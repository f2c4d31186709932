"""Relying-party helpers for the OpenID Provider tests: clients, PKCE, the authorize walk."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from support.harness import PASSWORD, Harness

__all__ = ["PASSWORD"]

APP = "https://app.test/callback"
APP_BYE = "https://app.test/signed-out"
PARTNER = "https://partner.test/cb"
PARTNER_SECRET = "partner-secret-0123456789"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def clients() -> list[dict[str, Any]]:
    return [
        {
            "client_id": "app",
            "name": "The App",
            "redirect_uris": [APP],
            "post_logout_redirect_uris": [APP_BYE],
            "public": True,
            "first_party": True,
            "flows": ["organization"],
        },
        {
            "client_id": "partner",
            "redirect_uris": [PARTNER],
            "client_secret_sha256": hashlib.sha256(PARTNER_SECRET.encode()).hexdigest(),
            "id_token_signed_response_alg": "EdDSA",  # the others get RS256, the default
        },
    ]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return result


async def csrf(h: Harness, path: str = "/sign-in") -> str:
    found = CSRF.search((await h.client.get(path)).text)
    assert found
    return found.group(1)


async def sign_in(h: Harness, email: str) -> None:
    r = await h.client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf": await csrf(h)}
    )
    assert r.status_code == 200, r.text


def params(challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": APP,
        "scope": "openid email profile",
        "state": "st-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


async def code_for(h: Harness, challenge: str, **extra: str) -> str:
    """The code the signed-in browser gets at ``app``'s redirect URI."""
    wanted = params(challenge, **extra)
    r = await h.client.get("/oauth2/authorize", params=wanted)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(APP + "?"), location
    answer = query(location)
    assert answer["state"] == wanted["state"]
    return answer["code"]


async def exchange(h: Harness, code: str, verifier: str, **extra: str) -> Any:
    return await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP,
            "client_id": "app",
            "code_verifier": verifier,
            **extra,
        },
    )


async def refresh(h: Harness, token: str) -> Any:
    return await h.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "app"},
    )
