"""The link in the verification mail: GET shows a confirm button, POST consumes.

Mail scanners prefetch links, so a GET never changes anything.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from regflow.errors import RegflowError
from regflow.services.container import Services

LinkToken = Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;
margin:4rem auto;padding:0 1rem;color:#1a1a1a}}button{{font-size:1rem;padding:.75rem 1.5rem;
background:#1d4ed8;color:#fff;border:0;border-radius:.5rem;cursor:pointer}}</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


_HTML: dict[int | str, dict[str, Any]] = {
    400: {"description": "The link was used or expired", "content": {"text/html": {}}},
    404: {"description": "No such link", "content": {"text/html": {}}},
}


def verify_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1/verify", tags=["verification"])

    @router.get("/{link_token}", response_class=HTMLResponse, responses=_HTML)
    async def show(link_token: str = LinkToken) -> HTMLResponse:
        if not await services.codes.link_valid(link_token):
            return _page(
                "This link is no longer valid",
                "<p>Ask for a new code from your registration.</p>",
                404,
            )
        return _page(
            "Confirm your email address",
            "<p>Press the button to confirm this address for your registration.</p>"
            '<form method="post"><button type="submit">Confirm my email</button></form>',
        )

    @router.post("/{link_token}", response_class=HTMLResponse, responses=_HTML)
    async def consume(link_token: str = LinkToken) -> HTMLResponse:
        try:
            await services.codes.confirm_link(link_token)
        except RegflowError:
            return _page(
                "This link is no longer valid",
                "<p>Ask for a new code from your registration.</p>",
                400,
            )
        return _page(
            "Email confirmed", "<p>Thank you. You can return to your registration and continue.</p>"
        )

    return router
