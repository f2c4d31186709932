"""Pure ASGI middleware: request ids and access logs, body size cap, security headers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regflow.api.problems import problem
from regflow.core.cryptokit import new_uuid
from regflow.errors import ErrorCode

log = logging.getLogger("regflow.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")


class BodyTooLarge(Exception):
    pass


Counter = Callable[[Scope, int, float], None]  # (scope, status, seconds): the request metrics


class RequestContext:
    """Adds a request id, security headers and one redacted access-log line per request.

    The log names the route template (``/v1/verify/{link_token}``), never the raw
    path, so secrets carried in paths are not written. ``path_limits`` gives the
    few routes that take files (the logo upload) their own, larger, body cap.
    ``count``, when no other layer sits between them (CORS), is the request metrics'
    counter (``regflow.api.request_metrics.RequestCounter``): one layer fewer per request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        path_limits: Mapping[str, int] | None = None,
        count: Counter | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        limit = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            status = 413
            try:
                await _too_large(scope, receive, send)
            finally:
                if self.count is not None:
                    self.count(scope, status, time.perf_counter() - started)
            return
        request_id = new_uuid()
        received = 0
        overflow = answered = False
        https = scope.get("scheme") == "https"

        async def limited_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal answered, status
            if overflow:
                # the app turned the overflow into its own answer (FastAPI: 400 "error
                # parsing the body"): answer 413 instead and drop the app's messages
                if not answered:
                    answered = True
                    status = 413
                    await _too_large(scope, receive, send_with_headers_raw)
                return
            await send_with_headers_raw(message)

        async def send_with_headers_raw(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                headers.append((b"x-request-id", request_id.encode()))
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not answered:
                answered = True
                await _too_large(scope, receive, send_with_headers_raw)
            status = 413
        finally:
            _access(scope, request_id, status, started)
            if self.count is not None:
                self.count(scope, status, time.perf_counter() - started)


def _access(scope: Scope, request_id: str, status: int, started: float) -> None:
    """The access-log line (``log.info`` without its look for the caller: a frame walk)."""
    if not log.isEnabledFor(logging.INFO):
        return
    route = scope.get("route")
    extra = {
        "request_id": request_id,
        "method": scope["method"],
        "route": getattr(route, "path", "unmatched"),
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }
    log.handle(
        log.makeRecord(
            log.name, logging.INFO, __file__, _LINE, "request", (), None, "_access", extra
        )
    )


_LINE = _access.__code__.co_firstlineno  # the record's line: no frame walk to find it


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(413, ErrorCode.PAYLOAD_TOO_LARGE, "The request body is too large.")
    await response(scope, receive, send)
