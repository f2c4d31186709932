"""RFC 9457 problem details: the one table from error codes to HTTP statuses.

``STATUS`` names every member of ``regflow.errors.ErrorCode``; the catalogue test
fails when one is missing.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from regflow.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCode,
    FieldProblem,
    Forbidden,
    Gone,
    IdempotencyMismatch,
    NotFound,
    PayloadTooLarge,
    RegflowError,
    TooSoon,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
    VerificationFailed,
)

PROBLEM_JSON = "application/problem+json"

# the status of a code whose table entry is BY_CLASS: that of the class carrying it
STATUS_BY_CLASS: tuple[tuple[type[RegflowError], int], ...] = (
    (ValidationFailed, 422),
    (FieldProblem, 422),
    (NotFound, 404),
    (Gone, 410),
    (Conflict, 409),
    (VerificationFailed, 400),
    (TooSoon, 429),
    (IdempotencyMismatch, 422),
    (AuthenticationFailed, 401),
    (Forbidden, 403),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (Unavailable, 503),
)
BY_CLASS = None
FIELD = 422  # a field's code: answered inside a 422 VALIDATION_ERROR's ``errors``

# codes that name one field: answered inside a 422 VALIDATION_ERROR's ``errors``
FIELD_CODES: frozenset[ErrorCode] = frozenset(
    (
        ErrorCode.REQUIRED,
        ErrorCode.UNKNOWN_FIELD,
        ErrorCode.TOO_LONG,
        ErrorCode.TOO_SHORT,
        ErrorCode.INVALID_TYPE,
        ErrorCode.INVALID_VALUE,
        ErrorCode.INVALID_CHOICE,
        ErrorCode.INVALID_CHARACTERS,
        ErrorCode.TOO_DEEP,
        ErrorCode.MALFORMED_JSON,
        ErrorCode.MALFORMED_MULTIPART,
        ErrorCode.MULTIPART_REQUIRED,
        ErrorCode.TOO_MANY_PARTS,
        ErrorCode.INVALID_EMAIL,
        ErrorCode.NAME_INVALID,
        ErrorCode.USERNAME_INVALID,
        ErrorCode.USERNAME_RESERVED,
        ErrorCode.PHONE_INVALID,
        ErrorCode.PASSWORD_TOO_SHORT,
        ErrorCode.PASSWORD_TOO_LONG,
        ErrorCode.PASSWORD_COMMON,
        ErrorCode.PASSWORD_CONTEXT,
        ErrorCode.PASSWORD_WEAK,
        ErrorCode.PASSWORD_INVALID,
        ErrorCode.PASSWORD_MISMATCH,
        ErrorCode.ORG_NAME_INVALID,
        ErrorCode.RESERVED_SLUG,
        ErrorCode.COUNTRY_INVALID,
        ErrorCode.STATE_INVALID,
        ErrorCode.CITY_INVALID,
        ErrorCode.CURRENT_INSTITUTION_INVALID,
        ErrorCode.ACADEMIC_LEVEL_INVALID,
        ErrorCode.BATCH_INVALID,
        ErrorCode.POSTAL_CODE_INVALID,
        ErrorCode.TIMEZONE_INVALID,
        ErrorCode.DEPARTMENT_INVALID,
        ErrorCode.DATE_OF_BIRTH_INVALID,
        ErrorCode.IMAGE_INVALID,
        ErrorCode.IMAGE_TYPE_UNSUPPORTED,
        ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE,
    )
)

# The one table from the catalogue to HTTP: every ErrorCode, with its status.
E = ErrorCode
STATUS: dict[ErrorCode, int | None] = {
    E.ERROR: 400,
    E.VALIDATION_ERROR: 422,
    E.INVALID_FIELD: 422,
    E.NOT_FOUND: 404,
    E.METHOD_NOT_ALLOWED: 405,
    E.UNSUPPORTED_MEDIA_TYPE: 415,
    E.HTTP_ERROR: BY_CLASS,  # Starlette's own HTTP errors keep their status
    E.CLIENT_DISCONNECTED: 400,
    E.CSRF_FAILED: 403,  # the hosted UI's pages only
    E.PAYLOAD_TOO_LARGE: 413,
    E.RATE_LIMITED: 429,
    E.OVERLOADED: 503,
    E.DATABASE_UNAVAILABLE: 503,
    E.CONFLICT: 409,
    E.FORBIDDEN: 403,
    E.REGISTRATION_NOT_FOUND: 404,
    E.REGISTRATION_EXPIRED: 410,
    E.STEP_NOT_FOUND: 404,
    E.STEP_ORDER: 409,
    E.FLOW_UNKNOWN: 409,
    E.ALREADY_COMPLETED: 409,
    E.USER_EXISTS: 409,
    E.IDEMPOTENCY_IN_PROGRESS: 409,
    E.IDEMPOTENCY_MISMATCH: 422,
    E.VERIFICATION_NOT_FOUND: 404,
    E.VERIFICATION_REQUIRED: 409,
    E.INVALID_CODE: 400,
    E.CODE_EXPIRED: 400,
    E.ATTEMPTS_EXCEEDED: 400,
    E.RESEND_TOO_SOON: 429,
    E.INVALID_CREDENTIALS: 401,
    E.EMAIL_NOT_VERIFIED: 403,
    E.INVALID_TOKEN: 401,
    E.NOT_A_MEMBER: 403,
    E.ORG_NOT_FOUND: 404,
    # 404 from the public lookup by code, 409 when the organization went away before completion
    E.ORG_CODE_INVALID: BY_CLASS,
    E.ORG_CODE_EXHAUSTED: 409,
    E.ORG_INVITE_ONLY: 409,
    E.ORG_SLUG_EXISTS: 409,
    E.MEMBER_NOT_FOUND: 404,
    E.MEMBERSHIP_NOT_PENDING: 409,
    E.ALREADY_MEMBER: 409,
    E.INVITATION_NOT_FOUND: 404,
    E.INVITATION_USED: 409,
    E.INVITATION_EXPIRED: 410,
    E.INVITATION_INVALID: 409,
    E.INVITATION_EMAIL_MISMATCH: 403,
    E.UPLOAD_NOT_FOUND: 404,
    E.MESSAGE_NOT_FOUND: 404,
    E.INVITATION_NOT_REVOCABLE: 409,
    E.LOGO_INVALID: 409,  # a field's code too, when the step is submitted
    E.USERNAME_TAKEN: 409,  # a field's code too, when the step is submitted
    **dict.fromkeys(FIELD_CODES, FIELD),
}

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


_TEXT = {"type": "string"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, as every error of the native API is answered.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": _TEXT,
        "title": _TEXT,
        "status": {"type": "integer"},
        "detail": _TEXT,
        "code": _TEXT,
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {"field": _TEXT, "code": _TEXT, "message": _TEXT},
            },
        },
    },
}


# declared on every route, so the OpenAPI document tells clients (and fuzzers) the truth
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": TITLES[status],
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    for status in (400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 503)
}


def status_for(error: RegflowError) -> int:
    """The status of ``error``: its code's in ``STATUS``, else (BY_CLASS) its class's."""
    if isinstance(error, ValidationFailed | FieldProblem):
        return 422
    by_code = STATUS.get(error.code)
    if by_code is not None:
        return by_code
    for cls, status in STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 400


def problem(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://regflow.dev/problems/{code.lower().replace('_', '-')}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(problems: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"field": p.field, "code": p.code, "message": p.message} for p in problems]


def from_error(error: RegflowError) -> JSONResponse:
    status = status_for(error)
    headers = None
    if isinstance(error, TooSoon | Unavailable):
        headers = {"Retry-After": str(error.retry_after)}
    if isinstance(error, ValidationFailed):
        return problem(status, error.code, error.message, field_errors(error.problems), headers)
    if isinstance(error, FieldProblem):
        return problem(
            status, ErrorCode.VALIDATION_ERROR, error.message, field_errors([error]), headers
        )
    return problem(status, error.code, error.message, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers; contracts with their own shapes wrap their routes themselves."""

    async def on_regflow_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RegflowError)  # noqa: S101 - registered for this class
        return from_error(exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        problems = [
            FieldProblem(
                ".".join(str(p) for p in e["loc"][1:]) or "body",
                _code(e["type"]),
                "This value is not valid." if e["type"] != "missing" else "This field is required.",
            )
            for e in exc.errors()
        ]
        return problem(
            422,
            ErrorCode.VALIDATION_ERROR,
            "The request has invalid fields.",
            field_errors(problems),
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        code = {
            404: ErrorCode.NOT_FOUND,
            405: ErrorCode.METHOD_NOT_ALLOWED,
            415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            413: ErrorCode.PAYLOAD_TOO_LARGE,
        }.get(exc.status_code, ErrorCode.HTTP_ERROR)
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code, str(exc.detail), headers=headers)

    async def on_disconnect(request: Request, exc: Exception) -> JSONResponse:
        # the client hung up while sending its body: nobody reads this answer
        return problem(400, ErrorCode.CLIENT_DISCONNECTED, "The client closed the connection.")

    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(RegflowError, on_regflow_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def _code(kind: str) -> ErrorCode:
    return {
        "missing": ErrorCode.REQUIRED,
        "extra_forbidden": ErrorCode.UNKNOWN_FIELD,
        "json_invalid": ErrorCode.MALFORMED_JSON,
    }.get(kind, ErrorCode.INVALID_TYPE if kind.endswith("_type") else ErrorCode.INVALID_VALUE)
