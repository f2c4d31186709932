"""``/dev/mailbox``: the outbox as a page and as JSON, for development only.

Mounted by the composition root only when ``REGFLOW_DEV_MAILBOX`` is on: it
shows verification codes in clear. Responses are never cached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from regflow.api.pages import ENGLISH, Language, environment
from regflow.api.v1 import serialize
from regflow.services.mailbox import DevMailbox

_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}

Limit = Annotated[int, Query(ge=1, le=500)]


def dev_mailbox_router(mailbox: DevMailbox, language: Language = ENGLISH) -> APIRouter:
    """``GET /dev/mailbox`` (HTML, in the request's language) and ``GET /dev/mailbox.json``,
    newest first."""
    router = APIRouter(tags=["development"], include_in_schema=False)
    page = environment(language).get_template("dev_mailbox.html")

    @router.get("/dev/mailbox", response_class=HTMLResponse)
    async def mailbox_page(limit: Limit = 50) -> HTMLResponse:
        messages = [serialize.mailbox_entry(m) for m in await mailbox.recent(limit)]
        return HTMLResponse(
            page.render(messages=messages, lang=language.current()), headers=_HEADERS
        )

    @router.get("/dev/mailbox.json")
    async def mailbox_json(limit: Limit = 50) -> JSONResponse:
        messages = [serialize.mailbox_entry(m) for m in await mailbox.recent(limit)]
        return JSONResponse(messages, headers=_HEADERS)

    return router
