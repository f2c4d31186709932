"""Seed 002 (``pending``): register-pending, then verify-and-create, on the ``quick`` flow.

Assumed where the seed is silent:

- Codes are real: 6 digits, sent by mail, valid 10 minutes (the seed's
  hard-coded ``000000`` does not exist here). The pending registration lives
  1 hour, as documented.
- The client names its pending registration by ``email`` only (the seed's
  ``verify-and-create`` body); regflow finds it through a token derived from
  the email with the server secret. ``pendingId`` is informative.
- The first pending registration of an address stands until it is verified or
  expires (1 hour). Asking again for the same email answers the same 200 and
  never replaces its password or code (that was an account takeover: the
  victim's code, the attacker's password). The same password again is the
  same person after a lost mail; another password contests the registration:
  its completion keeps no password and mails the address a link to choose one
  (registering a victim's address first takes nothing either). Either way the
  first code is re-sent to the address once the resend cooldown (60 s) is
  over. ``pendingId`` is derived from the email, so it tells nothing.
- 409 ``User with this email already exists`` as documented (this contract
  tells whether an email is registered); 429 after 5 sign-ups per 15 minutes
  from one client IP (the seed's "typical" limit), and on too many wrong codes.
- ``verify-and-create`` also answers ``session`` (an access token): the seed
  says it "creates authentication session".
- ``POST /api/users`` (internal import) needs ``Authorization: Bearer
  $REGFLOW_ADMIN_TOKEN`` and is mounted only when that token is set; it takes
  ``{email, password | passwordHash (bcrypt), isVerified?, firstName?,
  lastName?}`` and answers 201 with the ``user`` object.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response

from regflow.api.contracts import attempts
from regflow.api.contracts.base import contract_router, json_object
from regflow.api.contracts.catalogue import fallback, retry_headers, words
from regflow.api.v1.admin import presented_token
from regflow.core.identifiers import normalize_email
from regflow.core.model import Account
from regflow.errors import (
    Conflict,
    ErrorCode,
    FieldProblem,
    RegflowError,
    ValidationFailed,
)
from regflow.services.completed import AccountView
from regflow.services.container import Services

CONTRACT = "pending"
FLOW = "quick"
EXISTS = "User with this email already exists"
COOKIE_PATH = "/api/auth/"  # register-pending and verify-and-create
EXPIRED = "Pending registration not found or expired. Please sign up again."
MESSAGES = {
    ErrorCode.INVALID_CODE: (400, "Invalid verification code"),
    ErrorCode.CODE_EXPIRED: (400, "Verification code expired. Please request a new one."),
    ErrorCode.VERIFICATION_NOT_FOUND: (400, EXPIRED),
    ErrorCode.REGISTRATION_NOT_FOUND: (400, EXPIRED),
    ErrorCode.REGISTRATION_EXPIRED: (400, EXPIRED),
    ErrorCode.ATTEMPTS_EXCEEDED: (429, "Too many invalid codes. Please sign up again."),
    ErrorCode.USER_EXISTS: (409, EXISTS),
    ErrorCode.ALREADY_COMPLETED: (409, EXISTS),
    ErrorCode.RATE_LIMITED: (429, "Too many requests, please try again later"),
    ErrorCode.RESEND_TOO_SOON: (429, "Too many requests, please try again later"),
}
# answered with the native status and the service's message, as catalogue.NATIVE_WORDS
FALLBACK = fallback(
    ErrorCode.EMAIL_NOT_VERIFIED,
    ErrorCode.INVALID_CREDENTIALS,
    ErrorCode.ORG_SLUG_EXISTS,
    ErrorCode.OVERLOADED,
    ErrorCode.STEP_ORDER,
    ErrorCode.VERIFICATION_REQUIRED,
)


def error_response(error: RegflowError) -> Response:
    if isinstance(error, ValidationFailed | FieldProblem):
        found = error.problems if isinstance(error, ValidationFailed) else [error]
        message = found[0].message if found else error.message
        return JSONResponse({"success": False, "error": message}, status_code=400)
    status, message = words(error, MESSAGES)
    headers = retry_headers(error) or ({"Retry-After": "1"} if status == 429 else None)
    return JSONResponse({"success": False, "error": message}, status_code=status, headers=headers)


def _stamp(value: str) -> str:
    """``2024-01-01T00:00:00.000Z``: the seed's timestamps, in milliseconds."""
    return value[:19] + "." + (value[20:23] if len(value) > 20 else "000").ljust(3, "0") + "Z"


def _email(body: dict[str, Any], field: str = "email") -> str:
    raw = body.get(field)
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed.single(field, ErrorCode.REQUIRED, "Email is required")
    try:
        return normalize_email(raw)
    except FieldProblem:
        raise ValidationFailed.single(
            field, ErrorCode.INVALID_EMAIL, "Invalid email address"
        ) from None


def user_view(account: AccountView) -> dict[str, Any]:
    created = _stamp(account.created_at.isoformat().replace("+00:00", "Z"))
    return {
        "id": account.id,
        "email": account.email,
        "isVerified": account.email_verified,
        "verifiedAt": created if account.email_verified else None,
        "createdAt": created,
    }


def _imported(account: Account) -> dict[str, Any]:
    return user_view(AccountView.of(account))


def pending_router(services: Services, *, admin_token: str | None) -> APIRouter:
    router = contract_router(error_response, tag=CONTRACT)
    lookups = services.lookups
    cookie = attempts.AttemptCookie(COOKIE_PATH, services.ctx.public_url.startswith("https://"))

    @router.post("/api/auth/register-pending")
    async def register_pending(request: Request, response: Response) -> dict[str, Any]:
        body = await json_object(request)
        email = _email(body)
        password = body.get("password")
        if not isinstance(password, str) or not password:
            raise ValidationFailed.single("password", ErrorCode.REQUIRED, "Password is required")
        if await services.accounts.exists(email):
            raise Conflict(EXISTS, code=ErrorCode.USER_EXISTS)
        fields = {"email": email, "password": password}
        # the first pending registration of an address stands (another password contests it)
        token = lookups.token_for(CONTRACT, email)
        mine = cookie.attempt(request)  # this client's sign-up (see attempts)
        await services.signups.begin(
            FLOW, "account", fields, contract=CONTRACT, token=token, attempt=mine
        )
        cookie.hand_out(response, mine)
        informative = lookups.derived_id(CONTRACT, email)[:8]  # the same for every call
        return {
            "success": True,
            "pendingId": f"PENDING-{int(time.time() * 1000)}-{informative}",
            "email": email,
            "message": "Verification code sent to your email",
        }

    @router.post("/api/auth/verify-and-create", status_code=201)
    async def verify_and_create(request: Request) -> JSONResponse:
        body = await json_object(request)
        code = body.get("verificationCode")
        if not isinstance(code, str | int) or code == "" or not isinstance(body.get("email"), str):
            raise ValidationFailed.single(
                "verificationCode", ErrorCode.REQUIRED, "Email and verification code are required"
            )
        email = _email(body)
        if await services.accounts.exists(email):
            raise Conflict(EXISTS, code=ErrorCode.USER_EXISTS)
        token = lookups.token_for(CONTRACT, email)
        # the code is checked on every call, even once the address is proven (a completion
        # that failed after the code was confirmed must not be finished by anyone else)
        mine = cookie.presented(request)  # one unit of work
        done = await services.proofs.complete(token, str(code), attempt=mine)
        created = JSONResponse(
            {
                "success": True,
                "user": user_view(done.account),
                "session": {
                    "accessToken": done.token.access_token,
                    "tokenType": done.token.token_type,
                    "expiresIn": done.token.expires_in,
                },
                "message": "Account created and verified successfully",
            },
            status_code=201,
        )
        cookie.take_back(created)
        return created

    if admin_token is not None:
        expected = admin_token.encode("utf-8")

        @router.post("/api/users", status_code=201)
        async def import_user(
            request: Request, authorization: Annotated[str | None, Header()] = None
        ) -> JSONResponse:
            """Internal: create a (pre-verified) user at once, for seed scripts and imports."""
            presented = presented_token(authorization)
            if presented is None or not hmac.compare_digest(presented.encode("utf-8"), expected):
                return JSONResponse(
                    {"success": False, "error": "Unauthorized"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            body = await json_object(request)
            password, hashed = body.get("password"), body.get("passwordHash")
            account = await services.accounts.import_account(
                _email(body),
                password=password if isinstance(password, str) else None,
                password_hash=hashed if isinstance(hashed, str) else None,
                verified=body.get("isVerified", True) is not False,
                first_name=body.get("firstName")
                if isinstance(body.get("firstName"), str)
                else None,
                last_name=body.get("lastName") if isinstance(body.get("lastName"), str) else None,
            )
            return JSONResponse({"success": True, "user": _imported(account)}, status_code=201)

    return router
