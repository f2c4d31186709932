"""Rendering UI pages: one Jinja environment, strict CSP, no caching, the CSRF token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from regflow.ui.brand import Brand
from regflow.ui.session import CSRF_FIELD, Cookies

STATIC = "/static/ui"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}


def headers_for(form_origins: Sequence[str] = ()) -> dict[str, str]:
    """The page headers; ``form_origins`` (the OpenID clients' redirect origins) join
    ``form-action``, because browsers apply it to the redirects that follow a form post:
    the last step of a flow, a sign-in or a consent ends at the application."""
    if not form_origins:
        return HEADERS
    extra = " ".join(sorted(set(form_origins)))
    csp = CSP.replace("form-action 'self'", f"form-action 'self' {extra}")
    return {"Content-Security-Policy": csp, "Cache-Control": "no-store"}


class Pages:
    """Renders templates with what every page needs; sets the CSRF cookie when missing."""

    def __init__(
        self, cookies: Cookies, form_origins: Sequence[str] = (), brand: Brand | None = None
    ) -> None:
        self.cookies = cookies
        self.headers = headers_for(form_origins)
        self.brand = brand or Brand()
        self.env = Environment(
            loader=PackageLoader("regflow.ui", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        seed, new = self.cookies.csrf_seed(request)
        html = self.env.get_template(template).render(
            static=STATIC,
            brand=self.brand,
            csrf_field=CSRF_FIELD,
            csrf=self.cookies.csrf_token(seed),
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=self.headers)
        if new:
            self.cookies.set_csrf(response, seed)
        return response


def redirect(url: str) -> Response:
    """After a post: 303 so the browser GETs the next page (refresh never re-posts)."""
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
