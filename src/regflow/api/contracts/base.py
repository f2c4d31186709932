"""What every seed contract adapter shares: its error route, JSON bodies, handles, names.

Each adapter builds its router with :func:`contract_router` and its own small
error mapper (``RegflowError -> JSONResponse`` in its documented shape), so a
refusal anywhere below (engine, services) reaches the client in that
contract's words. A body that is not a JSON object is a validation error of
the contract, never a native problem document.

Every ``POST`` route of a contract declares its request body in
``/openapi.json`` (:mod:`regflow.api.contracts.bodies`, unless its decorator
gives its own ``openapi_extra``) and reads a JSON body (``json_body``) unless
that declares another media type (the logo upload's multipart): the app-wide
input guard (:mod:`regflow.api.inputs`) then holds for it as for the native
routes, and its refusals reach the client through the contract's mapper.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from regflow.api.contracts.bodies import request_body
from regflow.api.contracts.names import HANDLE_HEADER, canonical
from regflow.api.inputs import MALFORMED, parse
from regflow.errors import ErrorCode, FieldProblem, NotFound, RegflowError, ValidationFailed

Mapper = Callable[[RegflowError], Response]
HANDLE_SEPARATOR = "."


def contract_router(mapper: Mapper, *, tag: str) -> APIRouter:
    """A router whose routes answer every ``RegflowError`` through ``mapper``."""

    class ContractRoute(APIRoute):
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            if kwargs.get("openapi_extra") is None and "POST" in (kwargs.get("methods") or ()):
                kwargs["openapi_extra"] = request_body(path)  # the body, for /openapi.json
            super().__init__(path, endpoint, **kwargs)
            declared = (self.openapi_extra or {}).get("requestBody", {}).get("content", {})
            self.json_body = "POST" in (self.methods or set()) and (
                not declared or "application/json" in declared
            )

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    return await original(request)
                except RegflowError as error:
                    return mapper(error)
                except RequestValidationError as error:
                    problems = [
                        FieldProblem(
                            ".".join(str(p) for p in e["loc"][1:]) or "body",
                            ErrorCode.INVALID_VALUE,
                            "This value is not valid.",
                        )
                        for e in error.errors()
                    ]
                    return mapper(ValidationFailed(problems))

            return handler

    return APIRouter(route_class=ContractRoute, tags=[f"contract: {tag}"])


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or VALIDATION_ERROR on ``body``; each value also
    under the names the route's adapter reads (:func:`regflow.api.contracts.names.canonical`)."""
    raw = await request.body()
    value = parse(raw) if raw else None
    if value is MALFORMED:
        raise ValidationFailed.single(
            "body", ErrorCode.MALFORMED_JSON, "The body is not valid JSON."
        )
    if not isinstance(value, dict):
        raise ValidationFailed.single(
            "body", ErrorCode.INVALID_TYPE, "The body must be a JSON object."
        )
    route = getattr(request.scope.get("route"), "path", "")
    return canonical(value, route, request.headers.get(HANDLE_HEADER))


def text(body: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string field of ``body`` (None when absent and optional)."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ValidationFailed.single(name, ErrorCode.REQUIRED, f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ValidationFailed.single(name, ErrorCode.INVALID_TYPE, f"{name} must be a string")
    return value


def pick(body: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Native fields from the contract's: ``names`` maps contract name -> native name."""
    return {native: body[theirs] for theirs, native in names.items() if theirs in body}


def renamed(error: RegflowError, names: Mapping[str, str]) -> list[FieldProblem]:
    """The error's field problems with native field names replaced by the contract's."""
    problems = error.problems if isinstance(error, ValidationFailed) else []
    if isinstance(error, FieldProblem):
        problems = [error]
    return [FieldProblem(names.get(p.field, p.field), p.code, p.message) for p in problems]


def pack(registration_id: str, token: str) -> str:
    """One opaque handle for clients that carry a single ``registrationToken``."""
    return f"{token}{HANDLE_SEPARATOR}{registration_id}"


def unpack(handle: object) -> tuple[str, str]:
    """``(registration id, token)``; a malformed handle is an unknown registration."""
    if isinstance(handle, str) and 0 < len(handle) <= 256:
        token, sep, registration_id = handle.rpartition(HANDLE_SEPARATOR)
        if sep and token and registration_id:
            return registration_id, token
    raise NotFound("No registration with this id and token.", code=ErrorCode.REGISTRATION_NOT_FOUND)


def iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat().replace("+00:00", "Z")
