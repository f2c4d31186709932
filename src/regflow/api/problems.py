"""RFC 9457 problem details: the one table from error codes to HTTP statuses."""

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

# by class; a few codes override their class's status
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
STATUS_BY_CODE = {"EMAIL_NOT_VERIFIED": 403}

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
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
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
        return problem(status, "VALIDATION_ERROR", error.message, field_errors([error]), headers)
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
            422, "VALIDATION_ERROR", "The request has invalid fields.", field_errors(problems)
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        code = {
            404: "NOT_FOUND",
            405: "METHOD_NOT_ALLOWED",
            415: "UNSUPPORTED_MEDIA_TYPE",
            413: "PAYLOAD_TOO_LARGE",
        }.get(exc.status_code, "HTTP_ERROR")
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code, str(exc.detail), headers=headers)

    async def on_disconnect(request: Request, exc: Exception) -> JSONResponse:
        # the client hung up while sending its body: nobody reads this answer
        return problem(400, "CLIENT_DISCONNECTED", "The client closed the connection.")

    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(RegflowError, on_regflow_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def _code(kind: str) -> str:
    return {
        "missing": "REQUIRED",
        "extra_forbidden": "UNKNOWN_FIELD",
        "json_invalid": "MALFORMED_JSON",
    }.get(kind, "INVALID_TYPE" if kind.endswith("_type") else "INVALID_VALUE")
