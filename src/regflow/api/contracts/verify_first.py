"""Seed 004 (``verify_first``): verify the email, then register a tenant, on the ``tenant`` flow.

Codes live 15 minutes (the seed's figure, whatever ``REGFLOW_CODE_TTL_SECONDS``
says). After registration the verification records are deleted and the
registration is complete, so the same email cannot create a second tenant:
it must verify again, and the account's email is unique.

The proof of the address is bound to the client that verified it: the seed's
``register`` carries only the email, so anyone could otherwise finish a
registration someone else verified and get its access token. ``verify-email``
answers a random token, twice: as an HttpOnly cookie (``SameSite=Strict``;
under https ``__Host-regflow_email_proof``, ``Secure``, ``Path=/``, no
``Domain``, so a sibling subdomain or a plain-http hop cannot plant or
overwrite it; on plain http ``regflow_email_proof``, ``Path=/auth/register``;
a browser running the seed's frontend example sends it back unchanged) and as
``data.verification_token`` for other clients, who send it back in the
``register`` body (``verification_token`` or ``verificationToken``). Only its
SHA-256 is stored. ``register`` without it, or with another one, answers
``EMAIL_NOT_VERIFIED`` exactly as for an unverified address.

Assumed where the seed is silent:

- The client names its verification by ``email`` (the seed's bodies): regflow
  finds the registration through a token derived from the email with the
  server secret. One registration per address at a time: a second
  ``send-verification-code`` asks for a code on the same one (the code goes to
  the address, never to the caller) and never displaces its state.
- ``verify-email`` again for a verified address needs the same code (counted
  as an attempt) and hands out a new proof; the old one stops working.
- ``send-verification-code`` answers the same for every valid email: the
  owner of an existing account gets an "already registered" mail instead of a
  code (so ``verify-email`` can never succeed for it). Called again within the
  resend cooldown, the code already sent stays valid; after it, a new code is
  sent.
- ``register`` answers 201 with ``access_token`` (plus ``token_type``,
  ``expires_in``), ``user`` ``{id, email, full_name, first_name, last_name,
  email_verified, created_at}`` and ``tenant`` ``{id, slug, company_name,
  join_code, created_at}``. ``name`` is the full name; ``first_name`` and
  ``last_name`` are optional. Passwords follow the configured policy.
- No verification at all (or already used by a registration):
  ``VERIFICATION_REQUIRED``; a code sent but not confirmed:
  ``EMAIL_NOT_VERIFIED``; validation: 400 ``VALIDATION_ERROR`` with ``field``
  in each error; too many wrong codes: 429 ``ATTEMPTS_EXCEEDED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from regflow.api import problems
from regflow.api.contracts.base import contract_router, iso, json_object, pick, renamed, text
from regflow.api.contracts.catalogue import fallback, retry_headers
from regflow.core.identifiers import normalize_email
from regflow.errors import (
    ErrorCode,
    FieldProblem,
    RegflowError,
    ValidationFailed,
)
from regflow.services.container import Services
from regflow.services.signups import WhenLive

CONTRACT = "verify_first"
FLOW = "tenant"
CODE_TTL = timedelta(minutes=15)
AGAIN = WhenLive.REQUEST  # the seed: send-code "can be called multiple times"
PROOF_COOKIE = "regflow_email_proof"
PROOF_PATH = "/auth/register"  # the only route that reads it (plain http)
# under https the cookie is host-only by the browser's rule (``__Host-``: Secure, Path=/,
# no Domain): nobody on a sibling subdomain or a plain-http hop can toss one at the victim
HOST_PROOF_COOKIE = "__Host-" + PROOF_COOKIE
PROOF_FIELD = "verification_token"
FIELDS = {  # theirs -> native
    "password": "password",
    "name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "company_name": "organization_name",
}
MESSAGES = {  # code -> (status, message, detail)
    ErrorCode.VERIFICATION_NOT_FOUND: (
        400,
        "Verification code not found",
        "Please request a verification code first",
    ),
    ErrorCode.INVALID_CODE: (
        400,
        "Invalid verification code",
        "The provided verification code is incorrect",
    ),
    ErrorCode.CODE_EXPIRED: (
        400,
        "Verification code expired",
        "The verification code has expired. Please request a new one",
    ),
    ErrorCode.EMAIL_NOT_VERIFIED: (
        400,
        "Email not verified",
        "Please verify your email using the verification code before registering",
    ),
    ErrorCode.VERIFICATION_REQUIRED: (
        400,
        "Email verification required",
        "Please verify your email before registering",
    ),
    ErrorCode.ATTEMPTS_EXCEEDED: (
        429,
        "Too many attempts",
        "Too many wrong codes; please request a new verification code",
    ),
}
# answered with the native status and the service's message, as catalogue.NATIVE_WORDS
FALLBACK = fallback(
    ErrorCode.ALREADY_COMPLETED,
    ErrorCode.INVALID_CREDENTIALS,
    ErrorCode.ORG_SLUG_EXISTS,
    ErrorCode.OVERLOADED,
    ErrorCode.RATE_LIMITED,
    ErrorCode.REGISTRATION_EXPIRED,
    ErrorCode.REGISTRATION_NOT_FOUND,
    ErrorCode.RESEND_TOO_SOON,
    ErrorCode.STEP_ORDER,
    ErrorCode.USER_EXISTS,
)


def failure(status: int, message: str, errors: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse(
        {"success": False, "message": message, "errors": errors}, status_code=status
    )


def error_response(error: RegflowError) -> Response:
    if isinstance(error, ValidationFailed | FieldProblem):
        errors = [
            {"code": ErrorCode.VALIDATION_ERROR, "field": p.field, "message": p.message}
            for p in renamed(error, {v: k for k, v in FIELDS.items()})
        ]
        return failure(400, "Validation failed", errors)
    if error.code in MESSAGES:
        status, message, detail = MESSAGES[error.code]
    else:
        status, message, detail = problems.status_for(error), error.message, error.message
    response = failure(status, message, [{"code": error.code, "message": detail}])
    response.headers.update(retry_headers(error) or {})
    return response


def _email(body: dict[str, Any]) -> str:
    raw = text(body, "email")
    try:
        return normalize_email(str(raw))
    except FieldProblem as problem:
        raise ValidationFailed([problem]) from None


@dataclass(frozen=True)
class ProofCookie:
    """The proof cookie; reading, setting and deleting agree on its name and path."""

    secure: bool  # REGFLOW_PUBLIC_URL is https

    @property
    def name(self) -> str:
        return HOST_PROOF_COOKIE if self.secure else PROOF_COOKIE

    @property
    def path(self) -> str:
        return "/" if self.secure else PROOF_PATH

    def presented(self, request: Request) -> str | None:
        return request.cookies.get(self.name)

    def hand_out(self, response: Response, value: str, max_age: int) -> None:
        response.set_cookie(
            self.name,
            value,
            max_age=max_age,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def take_back(self, response: Response) -> None:
        response.delete_cookie(
            self.name, path=self.path, secure=self.secure, httponly=True, samesite="strict"
        )


def _presented(body: dict[str, Any], request: Request, cookie: ProofCookie) -> str | None:
    """The proof of the address: the body's field (non-browser clients) or the cookie."""
    for name in (PROOF_FIELD, "verificationToken"):
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return cookie.presented(request)


def verify_first_router(services: Services) -> APIRouter:
    router = contract_router(error_response, tag=CONTRACT)
    cookie = ProofCookie(secure=services.ctx.public_url.startswith("https://"))
    lookups = services.lookups

    @router.post("/auth/send-verification-code")
    async def send_code(request: Request) -> dict[str, Any]:
        email = _email(await json_object(request))
        token = lookups.token_for(CONTRACT, email)
        await services.signups.begin(
            FLOW, "email", {"email": email}, contract=CONTRACT, token=token, when_live=AGAIN
        )
        return {
            "success": True,
            "message": "Verification code sent successfully",
            "data": {"message": "Verification code sent"},
        }

    @router.post("/auth/verify-email")
    async def verify_email(request: Request) -> JSONResponse:
        body = await json_object(request)
        email, code = _email(body), text(body, "code")
        proof = await services.proofs.prove(lookups.token_for(CONTRACT, email), str(code))
        response = JSONResponse(
            {
                "success": True,
                "message": "Email verified successfully",
                "data": {
                    "message": "Email verified successfully",
                    "verified": True,
                    PROOF_FIELD: proof.token,
                },
            }
        )
        cookie.hand_out(response, proof.token, proof.expires_at_seconds)
        return response

    @router.post("/auth/register", status_code=201)
    async def register(request: Request) -> JSONResponse:
        body = await json_object(request)
        email = _email(body)
        token = lookups.token_for(CONTRACT, email)
        proof = _presented(body, request, cookie)
        try:
            done = await services.proven.register(token, proof, "account", pick(body, FIELDS))
        except ValidationFailed as failed:
            raise ValidationFailed(renamed(failed, {}), failed.message) from None
        account, tenant, founded = done.account, done.organization, done.founded
        created = JSONResponse(
            {
                "success": True,
                "message": "Account created successfully",
                "data": {
                    "access_token": done.token.access_token,
                    "token_type": done.token.token_type,
                    "expires_in": done.token.expires_in,
                    "user": {
                        "id": account.id,
                        "email": account.email,
                        "full_name": account.full_name,
                        "first_name": account.first_name,
                        "last_name": account.last_name,
                        "email_verified": account.email_verified,
                        "created_at": iso(account.created_at),
                    },
                    "tenant": (
                        {
                            "id": tenant.id,
                            "slug": tenant.slug,
                            "company_name": tenant.name,
                            "join_code": founded.join_code if founded else None,
                            "created_at": iso(founded.created_at) if founded else None,
                        }
                        if tenant
                        else None
                    ),
                },
            },
            status_code=201,
        )
        cookie.take_back(created)
        return created

    return router
