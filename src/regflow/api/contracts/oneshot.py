"""Seed 003 (``oneshot``): one request registers an organization and its owner.

``POST /api/v1/auth/register`` runs the ``owner`` flow's single step: the
email gets a 6-digit code valid 10 minutes. The answer is the same 201 for a
new and a known email: the ids are derived from the email with the server
secret (HMAC, formatted as UUIDs), so the same email always gets the same
ids; the owner of a known email gets the "already registered" mail instead of
a code; both paths do the same work (the password is hashed either way, the
same rows are written), so timing does not tell them apart.

The first pending registration of an address stands until it is verified or
expires: registering the same email again answers the same 201 and never
replaces it, so a code only ever creates what the first caller asked for. The
same request again is the same person after a lost mail; another password,
names or organization contest it: confirming its code then creates the
account without a password and mails the address a link to choose one
(``regflow.services.contested``), so registering a victim's address first
takes nothing either. The first code is re-sent to the address once its
cooldown is over (as ``resend-verification`` does). Over a limit (codes per
address) the mail is throttled silently: the same 201, and nothing but the
contest is written.

Assumed where the seed is silent:

- The account, organization (unique slug) and owner membership are created
  when the code is confirmed, not before: regflow creates nothing for an
  address nobody has proven. They get the ids the 201 announced. "User must
  verify email before login" holds either way.
- Verification: ``POST /api/v1/auth/verify-email`` ``{email, code}`` -> 200
  ``{success, message, data: {userId, organizationId, email}}``; a wrong,
  unknown or used code: 400 ``INVALID_CODE``; expired: 400 ``CODE_EXPIRED``;
  too many wrong codes: 429 ``ATTEMPTS_EXCEEDED``; no unique slug left: 409
  ``ORG_SLUG_EXISTS``.
- ``POST /api/v1/auth/resend-verification`` ``{email}``: always 200 (after the
  cooldown a new code is sent; nothing tells whether the email is known).
- Login: ``POST /api/v1/auth/login`` ``{email, password}`` -> 200 ``{success,
  data: {accessToken, tokenType, expiresIn}}`` or 401 ``INVALID_CREDENTIALS``
  (403 ``EMAIL_NOT_VERIFIED`` for an imported, unverified account).
- Password reset ("Cannot be retrieved, only reset", and the "already registered"
  mail's reset link): ``POST /api/v1/auth/forgot-password`` ``{email}`` -> always
  200 ``{success, message}`` (a 6-digit code and a link, 15 minutes, to the
  account's address; the same answer and work for an unknown one), and ``POST
  /api/v1/auth/reset-password`` ``{email, code, password}`` or ``{token,
  password}`` (the link's token) -> 200 ``{success, message}``; the new password
  follows the seed's rules; errors as for verification (400 ``INVALID_CODE`` /
  ``CODE_EXPIRED``, 429 ``ATTEMPTS_EXCEEDED``). Every earlier token stops working.
- Two-factor sign-in (an enrolled account, or an organization that requires it):
  ``login`` answers 401 ``MFA_REQUIRED`` (or 403 ``MFA_ENROLMENT_REQUIRED``: enrol with
  ``POST /v1/account/totp`` and the token) with ``data: {mfaToken, expiresIn}``;
  ``POST /api/v1/auth/login/mfa`` ``{mfaToken, code | recoveryCode}`` -> the login's
  200 answer.
- Errors keep the seed's shape ``{success: false, message, error, details?}``;
  an unexpected failure is 500 ``REGISTRATION_FAILED``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from regflow.api.contracts import attempts, oneshot_rules
from regflow.api.contracts.base import contract_router, json_object, text
from regflow.api.contracts.catalogue import fallback, retry_headers, words
from regflow.core.model import Channel, Reserved
from regflow.core.passwords import SeedPolicy
from regflow.errors import (
    ErrorCode,
    NotFound,
    RegflowError,
    SecondFactorRequired,
    TooSoon,
    ValidationFailed,
    VerificationFailed,
)
from regflow.services.container import Services

log = logging.getLogger("regflow.contracts")

CONTRACT = "oneshot"
FLOW = "owner"
COOKIE_PATH = "/api/v1/auth/"  # register and verify-email
REGISTERED = "Registration successful. Please check your email for verification code."
RESET_REQUESTED = "If an account exists for this email, a password reset code has been sent."
SEED_POLICY = SeedPolicy()  # the seed's password rules hold for a new password too
PATHS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "organization_name": "organizationName",
}
MESSAGES = {
    ErrorCode.RESERVED_SLUG: (400, "This organization name is reserved"),
    ErrorCode.ORG_SLUG_EXISTS: (409, "Unable to create a unique organization identifier"),
    ErrorCode.INVALID_CODE: (400, "Invalid or expired verification code"),
    ErrorCode.VERIFICATION_NOT_FOUND: (400, "Invalid or expired verification code"),
    ErrorCode.CODE_EXPIRED: (400, "Verification code has expired. Please request a new one"),
    ErrorCode.ATTEMPTS_EXCEEDED: (429, "Too many invalid attempts. Please register again"),
    ErrorCode.INVALID_CREDENTIALS: (401, "Invalid email or password"),
    ErrorCode.EMAIL_NOT_VERIFIED: (403, "Please verify your email before logging in"),
    ErrorCode.RATE_LIMITED: (429, "Too many requests. Please try again later"),
    ErrorCode.MFA_REQUIRED: (401, "Enter the code from your authenticator app"),
    ErrorCode.MFA_ENROLMENT_REQUIRED: (403, "Your organization requires two-factor sign-in"),
    ErrorCode.MFA_TOKEN_INVALID: (401, "Please log in again"),
    ErrorCode.MFA_TOKEN_EXPIRED: (401, "Please log in again"),
    ErrorCode.OVERLOADED: (503, "The service is busy. Please try again"),
}
# answered with the native status and the service's message, as catalogue.NATIVE_WORDS
FALLBACK = fallback(
    ErrorCode.ALREADY_COMPLETED,
    ErrorCode.REGISTRATION_EXPIRED,
    ErrorCode.REGISTRATION_NOT_FOUND,
    ErrorCode.RESEND_TOO_SOON,
    ErrorCode.STEP_ORDER,
    ErrorCode.USER_EXISTS,
    ErrorCode.VERIFICATION_REQUIRED,
)


def failure(
    status: int, message: str, code: str, details: list[dict[str, str]] | None = None
) -> Response:
    body: dict[str, Any] = {"success": False, "message": message, "error": code}
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def error_response(error: RegflowError) -> Response:
    if isinstance(error, ValidationFailed):
        if any(p.code == ErrorCode.RESERVED_SLUG for p in error.problems):
            return failure(400, MESSAGES[ErrorCode.RESERVED_SLUG][1], ErrorCode.RESERVED_SLUG)
        details = [
            {"path": PATHS.get(p.field, p.field), "message": p.message} for p in error.problems
        ]
        return failure(400, "Validation failed", ErrorCode.VALIDATION_ERROR, details)
    status, message = words(error, MESSAGES)
    if isinstance(error, SecondFactorRequired):  # the login continues at /login/mfa
        body = {"success": False, "message": message, "error": error.code}
        body["data"] = {"mfaToken": error.mfa_token, "expiresIn": error.expires_in}
        return JSONResponse(body, status_code=status)
    response = failure(status, message, error.code)
    response.headers.update(retry_headers(error) or {})
    return response


def oneshot_router(services: Services) -> APIRouter:
    router = contract_router(error_response, tag=CONTRACT)
    lookups = services.lookups
    cookie = attempts.AttemptCookie(COOKIE_PATH, services.ctx.public_url.startswith("https://"))

    def ids(email: str) -> Reserved:
        return Reserved(
            account_id=lookups.derived_id("oneshot-user", email),
            organization_id=lookups.derived_id("oneshot-organization", email),
        )

    @router.post("/api/v1/auth/register", status_code=201)
    async def register(request: Request) -> Response:
        body = await json_object(request)
        clean, details = oneshot_rules.check(body)
        if details:
            return failure(400, "Validation failed", ErrorCode.VALIDATION_ERROR, details)
        email = clean["email"]
        reserved = ids(email)
        token = lookups.token_for(CONTRACT, email)
        mine = cookie.attempt(request)  # this client's sign-up (see attempts)
        try:  # one path for new and known emails: the same work, the same answer
            await services.signups.begin(
                FLOW,
                "signup",
                clean,
                contract=CONTRACT,
                token=token,
                reserve=reserved,
                attempt=mine,
            )
        except (TooSoon, VerificationFailed):
            pass  # over a limit: the mail is throttled silently, nothing was written
        except RegflowError:
            raise
        except Exception:
            log.exception("registration failed", extra={"contract": CONTRACT})
            return failure(500, "Registration failed. Please try again", "REGISTRATION_FAILED")
        data = {"userId": reserved.account_id, "organizationId": reserved.organization_id}
        registered = JSONResponse(
            {"success": True, "message": REGISTERED, "data": {**data, "email": email}},
            status_code=201,
        )
        cookie.hand_out(registered, mine)
        return registered

    @router.post("/api/v1/auth/verify-email")
    async def verify(request: Request, response: Response) -> dict[str, Any]:
        body = await json_object(request)
        clean, _ = oneshot_rules.check({**body, "password": "", "firstName": "", "lastName": ""})
        code = text(body, "code")
        token = lookups.token_for(CONTRACT, clean["email"])
        try:  # the code is checked on every call; confirming and creating are one write
            mine = cookie.presented(request)
            done = await services.proofs.complete(token, str(code), attempt=mine)
        except NotFound:
            raise VerificationFailed(code=ErrorCode.INVALID_CODE) from None
        cookie.take_back(response)
        return {
            "success": True,
            "message": "Email verified successfully. You can now log in.",
            "data": {
                "userId": done.account.id,
                "organizationId": done.organization.id if done.organization else None,
                "email": done.account.email,
            },
        }

    @router.post("/api/v1/auth/resend-verification")
    async def resend(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        email = text(body, "email")
        clean, _ = oneshot_rules.check({"email": email})
        found = await lookups.find(CONTRACT, clean["email"])
        if found is not None:
            try:
                await services.codes.resend(found[0], found[1], Channel.EMAIL)
            except (TooSoon, VerificationFailed):
                pass  # the answer must not tell whether a registration is waiting
        return {
            "success": True,
            "message": "If a registration is waiting for this email, a new code has been sent.",
        }

    @router.post("/api/v1/auth/login")
    async def login(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        email, password = text(body, "email"), text(body, "password")
        session = (await services.sessions.login(str(email), str(password))).grant
        return {
            "success": True,
            "data": {
                "accessToken": session.access_token,
                "tokenType": session.token_type,
                "expiresIn": session.expires_in,
            },
        }

    @router.post("/api/v1/auth/login/mfa")
    async def login_mfa(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        token = str(text(body, "mfaToken"))
        code, recovery = (
            text(body, "code", required=False),
            text(body, "recoveryCode", required=False),
        )
        session = await services.second_factors.verify(token, code, recovery)
        return {
            "success": True,
            "data": {
                "accessToken": session.access_token,
                "tokenType": session.token_type,
                "expiresIn": session.expires_in,
            },
        }

    @router.post("/api/v1/auth/forgot-password")
    async def forgot(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        email = text(body, "email")
        await services.resets.request(str(email))
        return {"success": True, "message": RESET_REQUESTED}

    @router.post("/api/v1/auth/reset-password")
    async def reset(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        password = str(text(body, "password"))
        token = text(body, "token", required=False)
        if token is not None:
            await services.resets.confirm_link(token, password, policy=SEED_POLICY)
        else:
            email, code = text(body, "email"), text(body, "code")
            await services.resets.confirm_code(str(email), str(code), password, policy=SEED_POLICY)
        return {"success": True, "message": "Password reset successfully. You can now log in."}

    return router
