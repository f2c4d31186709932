"""The OpenID Provider's machine endpoints: discovery, token, userinfo, revocation.

The authorization and logout endpoints are pages (``regflow.ui.authorize``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from regflow.oidc.provider import DISCOVERY, REVOKE, TOKEN, USERINFO, Provider
from regflow.oidc.requests import clean_items
from regflow.oidc.server import Reply

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def as_response(reply: Reply) -> Response:
    body = reply.body
    headers = dict(reply.headers)
    if isinstance(body, dict):
        headers.pop("Content-Type", None)
        return JSONResponse(body, reply.status, headers={**headers, **NO_STORE})
    return Response(str(body or ""), reply.status, headers={**headers, **NO_STORE})


def bad_request(description: str) -> JSONResponse:
    body = {"error": "invalid_request", "error_description": description}
    return JSONResponse(body, 400, headers=NO_STORE)


async def form_items(request: Request) -> list[tuple[str, str]] | None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    form = await request.form(max_files=0, max_fields=50)
    return clean_items(form.multi_items())


def oidc_router(provider: Provider) -> APIRouter:
    router = APIRouter(tags=["openid connect"])

    @router.get(DISCOVERY)
    async def discovery() -> JSONResponse:
        return JSONResponse(provider.discovery(), headers={"Cache-Control": "public, max-age=300"})

    @router.post(TOKEN)
    async def token(request: Request) -> Response:
        items = await form_items(request)
        if items is None:
            return bad_request("Send application/x-www-form-urlencoded string parameters.")
        return as_response(await provider.token(items, request.headers))

    @router.post(REVOKE)
    async def revoke(request: Request) -> Response:
        items = await form_items(request)
        if items is None:
            return bad_request("Send application/x-www-form-urlencoded string parameters.")
        return as_response(await provider.revoke(items, request.headers))

    @router.get(USERINFO)
    @router.post(USERINFO, operation_id="userinfo_post")
    async def userinfo(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else None
        claims: dict[str, Any] | None = await provider.userinfo(token)
        if claims is None:
            return Response(
                json.dumps({"error": "invalid_token"}),
                401,
                media_type="application/json",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE},
            )
        return JSONResponse(claims, headers=NO_STORE)

    return router
