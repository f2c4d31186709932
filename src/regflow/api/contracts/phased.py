"""Seed 000 (``phased``): email first, then identity, then security, on the ``member`` flow.

The seed names four endpoints and three phases but no bodies; these are
designed in its style (camelCase JSON, ``success`` flags) and documented in
``docs/contracts/phased.md``.

Assumed where the seed is silent:

- The registration handle is ``registrationToken`` (opaque, returned by
  ``initiate-registration``), sent back in the body of every later call.
- ``initiate-registration`` answers the same for every well-formed email
  (enumeration-proof): the owner of an existing account gets an "already
  registered" mail instead of a code.
- ``verify-email/<token>`` is the link in the mail: ``GET`` shows a page with a
  confirm button (mail scanners prefetch links), ``POST`` consumes it (HTML, or
  JSON when the client accepts JSON).
- Identity is ``POST /auth/registration/identity``, security (which completes the
  registration) ``POST /auth/registration/security``; username availability is
  ``GET /auth/username-availability?username=``; the phase state is
  ``GET /auth/registration`` with ``X-Registration-Token``.
- Errors: ``{"success": false, "error": {"code", "message", "fields"?: [{field,
  code, message}]}}`` with 400 for validation and codes, 404 unknown handle,
  409 order, 410 expired, 429 too soon (``Retry-After``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from regflow.api import problems
from regflow.api.contracts.base import (
    contract_router,
    iso,
    json_object,
    pack,
    pick,
    renamed,
    text,
    unpack,
)
from regflow.api.v1.verify import LinkToken, _page
from regflow.core.model import Channel
from regflow.errors import ErrorCode, RegflowError, TooSoon, Unavailable
from regflow.services.container import Services
from regflow.services.views import RegistrationView

CONTRACT = "phased"
FLOW = "member"
LINK_PATH = "/auth/verify-email/"
FIELDS = {  # native -> phased
    "first_name": "firstName",
    "last_name": "lastName",
    "password_confirmation": "passwordConfirmation",
    "org_code": "orgCode",
}
IDENTITY = {"firstName": "first_name", "lastName": "last_name", "username": "username"}
SECURITY = {
    "password": "password",
    "passwordConfirmation": "password_confirmation",
    "orgCode": "org_code",
}


# phased's error shape carries regflow's own code and message (``error.code``,
# ``error.message``), so every code reaches its clients as it is: no words of its own
MESSAGES: dict[ErrorCode, str] = {}
FALLBACK = frozenset(ErrorCode)


def error_response(error: RegflowError) -> Response:
    status = problems.status_for(error)
    status = 400 if status == 422 else status
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    fields = renamed(error, FIELDS)
    if fields:
        body["fields"] = [{"field": p.field, "code": p.code, "message": p.message} for p in fields]
    headers = None
    if isinstance(error, TooSoon | Unavailable):
        body["retryAfter"] = error.retry_after
        headers = {"Retry-After": str(error.retry_after)}
    return JSONResponse({"success": False, "error": body}, status_code=status, headers=headers)


def _phase(state: RegistrationView) -> dict[str, Any]:
    pending = state.awaiting
    step = state.step
    following = {
        "email": "verify_email" if pending else "email",
        "credentials": "security",
    }.get(step, step)
    return {
        "phase": state.progress.current,
        "progress": {"current": state.progress.current, "total": state.progress.total},
        "nextPhase": following,
        "emailVerified": state.is_verified(Channel.EMAIL),
        "email": pending.target if pending else None,
        "codeExpiresAt": iso(pending.expires_at) if pending else None,
        "resendAvailableAt": iso(pending.resend_available_at) if pending else None,
    }


def phased_router(services: Services) -> Any:
    router = contract_router(error_response, tag=CONTRACT)
    registrations, codes = services.registrations, services.codes

    @router.post("/auth/initiate-registration")
    async def initiate(request: Request) -> dict[str, Any]:
        """Phase 1: the email; a 6-digit code and a link go to it."""
        body = await json_object(request)
        email = text(body, "email")
        # one unit of work, validated first: a refused email leaves nothing behind
        begun = await services.signups.begin(FLOW, "email", {"email": email}, contract=CONTRACT)
        return {
            "success": True,
            "message": "Check your inbox for a 6-digit code to confirm your email.",
            "registrationToken": pack(begun.registration_id, begun.token),
            **_phase(begun.state),
        }

    @router.post("/auth/verify-email-code")
    async def verify_code(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = unpack(body.get("registrationToken"))
        code = text(body, "code")
        state = await codes.confirm(rid, token, Channel.EMAIL, str(code))
        return {"success": True, "message": "Your email is verified.", **_phase(state)}

    @router.get("/auth/verify-email/{link_token}", response_class=HTMLResponse)
    async def show_link(link_token: str = LinkToken) -> HTMLResponse:
        if not await codes.link_valid(link_token):
            return _page("This link is no longer valid", "<p>Ask for a new code.</p>", 404)
        return _page(
            "Confirm your email address",
            "<p>Press the button to confirm this address.</p>"
            '<form method="post"><button type="submit">Confirm my email</button></form>',
        )

    @router.post("/auth/verify-email/{link_token}")
    async def consume_link(request: Request, link_token: str = LinkToken) -> Response:
        wants_json = "json" in request.headers.get("accept", "")
        try:
            await codes.confirm_link(link_token)
        except RegflowError as error:
            if wants_json:
                return error_response(error)
            return _page("This link is no longer valid", "<p>Ask for a new code.</p>", 400)
        if wants_json:
            return JSONResponse({"success": True, "message": "Your email is verified."})
        return _page("Email confirmed", "<p>Return to your registration to continue.</p>")

    @router.post("/auth/resend-verification")
    async def resend(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = unpack(body.get("registrationToken"))
        sent = await codes.resend(rid, token, Channel.EMAIL)
        return {
            "success": True,
            "message": "A new code is on its way.",
            "codeExpiresAt": iso(sent.expires_at),
            "resendAvailableAt": iso(sent.resend_available_at),
        }

    @router.get("/auth/registration")
    async def state(
        x_registration_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        rid, token = unpack(x_registration_token)
        return {"success": True, **_phase(await registrations.state(rid, token))}

    @router.get("/auth/username-availability")
    async def availability(username: Annotated[str, Query(max_length=64)]) -> dict[str, Any]:
        found = await services.usernames.availability(username)
        return {
            "success": True,
            "username": found.username,
            "available": found.available,
            "reason": found.reason.value if found.reason else None,
            "suggestions": list(found.suggestions),
        }

    @router.post("/auth/registration/identity")
    async def identity(request: Request) -> dict[str, Any]:
        """Phase 2: first name, last name, username."""
        body = await json_object(request)
        rid, token = unpack(body.get("registrationToken"))
        state = await registrations.submit(rid, token, "identity", pick(body, IDENTITY))
        return {"success": True, **_phase(state)}

    @router.post("/auth/registration/security", status_code=201)
    async def security(request: Request) -> JSONResponse:
        """Phase 3: password, confirmation, optional org code; completes the registration."""
        body = await json_object(request)
        rid, token = unpack(body.get("registrationToken"))
        await registrations.submit(rid, token, "credentials", pick(body, SECURITY))
        done = await services.completion.complete(rid, token)
        account, org, membership = done.account, done.organization, done.membership
        first = account.first_name or ""
        welcome = f"Welcome to {org.name}, {first}!" if org else f"Welcome, {first}!"
        return JSONResponse(
            {
                "success": True,
                "message": welcome,
                "welcome": {"firstName": first, "organization": org.name if org else None},
                "user": {
                    "id": account.id,
                    "email": account.email,
                    "username": account.username,
                    "firstName": account.first_name,
                    "lastName": account.last_name,
                    "emailVerified": account.email_verified,
                    "createdAt": iso(account.created_at),
                },
                "organization": {"id": org.id, "name": org.name, "slug": org.slug} if org else None,
                "membership": (
                    {"role": membership.role.value, "status": membership.status.value}
                    if membership
                    else None
                ),
                "accessToken": done.token.access_token,
                "tokenType": done.token.token_type,
                "expiresIn": done.token.expires_in,
            },
            status_code=201,
        )

    return router
