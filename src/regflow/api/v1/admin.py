"""``/v1/admin/funnel``: the conversion funnel for the operator, as JSON and as a page.

Mounted only when ``REGFLOW_ADMIN_TOKEN`` is set. The token is accepted as
``Authorization: Bearer <token>`` and, so that a browser can open the page, as
the password of HTTP Basic authentication (any user name); the page answers 401
with a Basic challenge. Query: ``since`` (``7d``, ``24h``, ``30m`` or ISO 8601;
default ``7d``), ``until`` (ISO 8601; default now), ``flow`` (default all).
The page is server-rendered with SVG charts: no script, no CDN, no inline style (its
stylesheet is ``/static/ui/funnel.css``); it speaks the hosted pages' languages.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from regflow.api.pages import ENGLISH, Language, environment
from regflow.api.problems import problem
from regflow.api.v1 import serialize
from regflow.core.funnel import parse_moment
from regflow.errors import ErrorCode, ValidationFailed
from regflow.services.funnel import OperatorReports

NO_STORE = {"Cache-Control": "no-store"}
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}
Since = Annotated[str, Query(max_length=40)]
Until = Annotated[str | None, Query(max_length=40)]
Flow = Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_]*$")]  # "" = all
Authorization = Annotated[str | None, Header()]


def presented_token(authorization: str | None) -> str | None:
    """The admin token from ``Bearer <token>`` or from Basic's password."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def duration(seconds: float | None) -> str:
    """``42s``, ``6m 05s``, ``2h 10m``, ``3d 4h``; a dash for none."""
    if seconds is None:
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def bar(value: float | None, whole: float | None, width: float) -> float:
    """The length of a bar for ``value`` out of ``whole`` on ``width`` pixels."""
    if not value or not whole:
        return 0.0
    return round(max(0.0, min(1.0, value / whole)) * width, 1)


def admin_router(
    reports: OperatorReports, admin_token: str, language: Language = ENGLISH
) -> APIRouter:
    router = APIRouter(prefix="/v1/admin", tags=["admin"])
    expected = admin_token.encode("utf-8")
    env = environment(language)
    env.globals.update(percent=percent, duration=duration, bar=bar)
    page = env.get_template("funnel.html")
    refused = env.get_template("funnel_refused.html")

    def allowed(authorization: str | None) -> bool:
        token = presented_token(authorization)
        return token is not None and hmac.compare_digest(token.encode("utf-8"), expected)

    async def build(since: str, until: str | None, flow: str | None) -> dict[str, Any]:
        now = reports.ctx.clock()
        try:
            start = parse_moment(since or "7d", now)
            end = parse_moment(until, now) if until else None
        except ValueError:
            raise ValidationFailed.single(
                "since" if not until else "since/until",
                ErrorCode.INVALID_VALUE,
                "Use a duration such as 7d, 24h, 30m, or an ISO 8601 time.",
            ) from None
        return serialize.funnel_report(await reports.funnel(start, end, flow or None))

    @router.get("/funnel")
    async def funnel_json(
        authorization: Authorization = None,
        since: Since = "7d",
        until: Until = None,
        flow: Flow = None,
    ) -> Response:
        """Conversion per step, timings, drop-off, error codes, verification, experiments."""
        if not allowed(authorization):
            return problem(
                401,
                ErrorCode.INVALID_TOKEN,
                "An operator token is required.",
                headers={"WWW-Authenticate": 'Bearer realm="regflow admin"'},
            )
        return JSONResponse(await build(since, until, flow), headers=NO_STORE)

    @router.get("/funnel.html", response_class=HTMLResponse, include_in_schema=False)
    async def funnel_page(
        authorization: Authorization = None,
        since: Since = "7d",
        until: Until = None,
        flow: Flow = None,
    ) -> Response:
        if not allowed(authorization):
            return HTMLResponse(
                refused.render(lang=language.current()),
                status_code=401,
                headers={**PAGE_HEADERS, "WWW-Authenticate": 'Basic realm="regflow admin"'},
            )
        report = await build(since, until, flow)
        html = page.render(report=report, since=since, flow=flow or "", lang=language.current())
        return HTMLResponse(html, headers=PAGE_HEADERS)

    return router
