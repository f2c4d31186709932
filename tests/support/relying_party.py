"""A test-only relying application (Starlette) that signs people in through regflow.

It does what a team's own application does with any OpenID Connect client:
"Sign up" sends the browser to ``/oauth2/authorize`` with ``prompt=create``,
"Sign in" without it; ``/callback`` checks ``state``, exchanges the code with
the PKCE verifier, verifies the ID token (signature against the published JWKS,
issuer, audience, nonce) and shows who is signed in, with the organization and
role the token carries. Served by ``uvicorn --factory`` on a port of its own::

    RP_ISSUER=http://127.0.0.1:8001 RP_CLIENT_ID=rp RP_URL=http://127.0.0.1:8002 \\
        uvicorn support.relying_party:create --factory --port 8002
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
from urllib.parse import urlencode

import httpx
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

COOKIE = "rp-pending"
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def create() -> Starlette:
    issuer = os.environ["RP_ISSUER"].rstrip("/")
    client_id = os.environ["RP_CLIENT_ID"]
    callback = os.environ["RP_URL"].rstrip("/") + "/callback"

    def page(title: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status)

    async def home(request: Request) -> Response:
        return page(
            "School app",
            '<p><a href="/signup">Sign up</a></p><p><a href="/login">Sign in</a></p>',
        )

    def start(prompt: str | None) -> Response:
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        pending = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16)}
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "scope": "openid email profile",
            "state": pending["state"],
            "nonce": pending["nonce"],
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if prompt:
            query["prompt"] = prompt
        response = RedirectResponse(f"{issuer}/oauth2/authorize?{urlencode(query)}", 303)
        value = base64.urlsafe_b64encode(json.dumps({**pending, "verifier": verifier}).encode())
        response.set_cookie(COOKIE, value.decode(), httponly=True, samesite="lax", max_age=3600)
        return response

    async def signup(request: Request) -> Response:
        return start("create")

    async def login(request: Request) -> Response:
        return start(None)

    async def done(request: Request) -> Response:
        raw = request.cookies.get(COOKIE, "")
        pending = json.loads(base64.urlsafe_b64decode(raw.encode())) if raw else {}
        if not pending or request.query_params.get("state") != pending.get("state"):
            return page("Sign-in failed", "<p>The state does not match.</p>", 400)
        if "code" not in request.query_params:
            error = html.escape(request.query_params.get("error", "no code"))
            return page("Sign-in failed", f"<p>{error}</p>", 400)
        async with httpx.AsyncClient(timeout=10) as client:
            meta = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()
            answer = await client.post(
                meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": request.query_params["code"],
                    "redirect_uri": callback,
                    "client_id": client_id,
                    "code_verifier": pending["verifier"],
                },
            )
            if answer.status_code != 200:
                return page("Sign-in failed", f"<p>{html.escape(answer.text)}</p>", 400)
            id_token = answer.json()["id_token"]
            jwks = (await client.get(meta["jwks_uri"])).json()
        kid = jwt.get_unverified_header(id_token)["kid"]
        key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
        claims = jwt.decode(
            id_token,
            key,
            algorithms=meta["id_token_signing_alg_values_supported"],
            audience=client_id,
            issuer=meta["issuer"],
        )
        if claims.get("nonce") != pending["nonce"]:
            return page("Sign-in failed", "<p>The nonce does not match.</p>", 400)
        rows = "".join(
            f"<tr><th scope='row'>{name}</th><td id='claim-{name}'>"
            f"{html.escape(str(claims.get(name)))}</td></tr>"
            for name in ("email", "org", "org_slug", "role")
        )
        response = page(
            f"Welcome, {claims.get('name') or claims['email']}",
            f"<table><caption>Your ID token</caption>{rows}</table>"
            '<p><a href="/">Back to the start</a></p>',
        )
        response.delete_cookie(COOKIE)
        return response

    return Starlette(
        routes=[
            Route("/", home),
            Route("/signup", signup),
            Route("/login", login),
            Route("/callback", done),
        ]
    )
