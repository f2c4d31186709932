"""Seed 001 (``evalon``): what its organization, teacher and student endpoints share.

Its error bodies (``success: false``, ``message``, ``errors: [{field,
message}]``), the one-time-password endpoints (usable by any evalon
registration: organizations, teachers and students), field renaming, and the
409s the seed documents for known emails.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from regflow.api.contracts.base import contract_router, iso, json_object, pick, renamed, unpack
from regflow.api.contracts.catalogue import fallback, retry_headers, words
from regflow.core.identifiers import normalize_email
from regflow.core.model import Channel
from regflow.errors import (
    Conflict,
    ErrorCode,
    FieldProblem,
    RegflowError,
    ValidationFailed,
)
from regflow.services.container import Services
from regflow.services.views import RegistrationView

CONTRACT = "evalon"
SESSION_EXPIRED = "Registration session not found or expired"
MESSAGES = {
    ErrorCode.REGISTRATION_NOT_FOUND: (400, SESSION_EXPIRED),
    ErrorCode.REGISTRATION_EXPIRED: (400, SESSION_EXPIRED),
    ErrorCode.INVALID_CODE: (400, "Invalid OTP"),
    ErrorCode.CODE_EXPIRED: (400, "OTP has expired"),
    ErrorCode.ATTEMPTS_EXCEEDED: (400, "Too many invalid OTP attempts; please start again"),
    ErrorCode.VERIFICATION_NOT_FOUND: (400, "No OTP was sent; request a new OTP"),
    ErrorCode.VERIFICATION_REQUIRED: (400, "Please verify your email and phone first"),
    ErrorCode.STEP_ORDER: (400, "Please complete the previous steps first"),
    ErrorCode.ALREADY_COMPLETED: (409, "This registration is already complete"),
    ErrorCode.RESEND_TOO_SOON: (429, "Please wait before requesting another OTP"),
    ErrorCode.RATE_LIMITED: (429, "Too many requests; please try again later"),
}
# answered with the native status and the service's message, as catalogue.NATIVE_WORDS
FALLBACK = fallback(
    ErrorCode.EMAIL_NOT_VERIFIED,
    ErrorCode.INVALID_CREDENTIALS,
    ErrorCode.ORG_SLUG_EXISTS,
    ErrorCode.OVERLOADED,
    ErrorCode.USER_EXISTS,
)


def error_response(error: RegflowError) -> Response:
    headers = retry_headers(error)
    if isinstance(error, ValidationFailed | FieldProblem):
        errors = [{"field": p.field, "message": p.message} for p in renamed(error, {})]
        body = {"success": False, "message": "Validation failed", "errors": errors}
        return JSONResponse(body, status_code=400, headers=headers)
    status, message = words(error, MESSAGES)
    return JSONResponse({"success": False, "message": message}, status_code=status, headers=headers)


def evalon_router() -> APIRouter:
    return contract_router(error_response, tag=CONTRACT)


def handle(body: Mapping[str, Any]) -> tuple[str, str]:
    return unpack(body.get("registrationToken"))


async def begin(
    services: Services,
    flow: str,
    step: str,
    body: Mapping[str, Any],
    names: Mapping[str, str],
    then: Sequence[tuple[str, Mapping[str, str]]] = (),
) -> tuple[str, str, RegistrationView]:
    """Start ``flow`` with its first ``step`` (and the steps ``then`` names, from the same
    body) in one unit of work (a refused step writes nothing): ``(registration id, token,
    state)``; errors name evalon fields."""
    more = [(name, pick(body, fields)) for name, fields in then]
    try:
        begun = await services.signups.begin(
            flow, step, pick(body, names), contract=CONTRACT, then=more
        )
    except ValidationFailed as failure:
        back = {native: theirs for _, m in [(step, names), *then] for theirs, native in m.items()}
        raise ValidationFailed(renamed(failure, back), failure.message) from None
    return begun.registration_id, begun.token, begun.state


async def submit(
    services: Services,
    rid: str,
    token: str,
    step: str,
    body: Mapping[str, Any],
    names: Mapping[str, str],
) -> RegistrationView:
    """Submit ``step`` with the evalon fields ``names`` maps; errors name evalon fields."""
    try:
        return await services.registrations.submit(rid, token, step, pick(body, names))
    except ValidationFailed as failure:
        back = {native: theirs for theirs, native in names.items()}
        raise ValidationFailed(renamed(failure, back), failure.message) from None


async def submit_all(
    services: Services,
    rid: str,
    token: str,
    body: Mapping[str, Any],
    steps: Sequence[tuple[str, Mapping[str, str]]],
    *,
    when_reached: Collection[str] = (),
) -> RegistrationView:
    """Submit ``steps`` (each with the evalon fields it maps) from one body in one unit of
    work (a refused step writes nothing); errors name evalon fields."""
    picked = [(step, pick(body, names)) for step, names in steps]
    try:
        return await services.registrations.submit_steps(
            rid, token, picked, when_reached=when_reached
        )
    except ValidationFailed as failure:
        back = {native: theirs for _, m in steps for theirs, native in m.items()}
        raise ValidationFailed(renamed(failure, back), failure.message) from None


async def refuse_known_email(services: Services, raw: object, message: str) -> None:
    """The seed's documented 409 for an email that already has an account."""
    try:
        email = normalize_email(raw) if isinstance(raw, str) else None
    except FieldProblem:
        return  # the step's own validation reports it
    if email and await services.accounts.exists(email):
        raise Conflict(message, code=ErrorCode.USER_EXISTS)


async def confirm_otps(services: Services, rid: str, token: str, body: Mapping[str, Any]) -> None:
    """Confirm ``emailOtp`` and ``phoneOtp`` when given and not confirmed already."""
    for channel, name in ((Channel.EMAIL, "emailOtp"), (Channel.PHONE, "phoneOtp")):
        code = body.get(name)
        if code is None or code == "":
            continue
        if not isinstance(code, str | int):
            raise ValidationFailed.single(name, ErrorCode.INVALID_TYPE, f"{name} must be a string")
        await services.codes.confirm(rid, token, channel, str(code))


def verification_view(state: RegistrationView) -> dict[str, bool]:
    return {
        "email": not state.is_verified(Channel.EMAIL),
        "phone": not state.is_verified(Channel.PHONE),
    }


def otp_routes(router: APIRouter, services: Services) -> None:
    """``send-email-otp``, ``send-phone-otp``, ``verify-email-otp``, ``verify-phone-otp``."""

    async def send(request: Request, channel: Channel) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = handle(body)
        sent = await services.codes.request(rid, token, channel)
        name = channel.value
        return {
            "success": True,
            "message": f"OTP sent to your {name}" if not sent.verified else "Already verified",
            "data": {
                name: sent.target,
                "expiresAt": iso(sent.expires_at),
                "resendAvailableAt": iso(sent.resend_available_at),
            },
        }

    async def verify(request: Request, channel: Channel) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = handle(body)
        code = body.get("otp", body.get("code"))
        if not isinstance(code, str | int) or code == "":
            raise ValidationFailed.single("otp", ErrorCode.REQUIRED, "OTP is required")
        state = await services.codes.confirm(rid, token, channel, str(code))
        return {
            "success": True,
            "message": f"{channel.value.capitalize()} verified successfully",
            "data": {
                "emailVerified": state.is_verified(Channel.EMAIL),
                "phoneVerified": state.is_verified(Channel.PHONE),
                "registrationToken": body["registrationToken"],
            },
        }

    @router.post("/api/organizations/auth/send-email-otp")
    async def send_email_otp(request: Request) -> dict[str, Any]:
        return await send(request, Channel.EMAIL)

    @router.post("/api/organizations/auth/send-phone-otp")
    async def send_phone_otp(request: Request) -> dict[str, Any]:
        return await send(request, Channel.PHONE)

    @router.post("/api/organizations/register/verify-email-otp")
    async def verify_email_otp(request: Request) -> dict[str, Any]:
        return await verify(request, Channel.EMAIL)

    @router.post("/api/organizations/register/verify-phone-otp")
    async def verify_phone_otp(request: Request) -> dict[str, Any]:
        return await verify(request, Channel.PHONE)


def created(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"success": True, "data": data}, status_code=201)
