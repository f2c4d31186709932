"""Rendering UI pages: one Jinja environment, strict CSP, no caching, the CSRF token, and the
request's language (``regflow.ui.i18n``: Jinja2's i18n extension over Babel's catalogues)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from regflow.ui import i18n
from regflow.ui.brand import Brand
from regflow.ui.i18n import N_
from regflow.ui.session import CSRF_FIELD, Cookies

STATIC = "/static/ui"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
# what the scripts say, keyed by their English text (see static/words.js)
JS_WORDS = (
    N_("Send a new code in %(num)s s"),
    N_("%(num)s second"),
    N_("%(num)s seconds"),
    N_("Send a new code"),
    N_("a moment"),
    N_("✓ You will join %(name)s"),
    N_("Too many lookups; wait a minute."),
    N_("No organization has this code."),
    N_("too weak"),
    N_("weak"),
    N_("fair"),
    N_("good"),
    N_("strong"),
    N_("✓ The passwords match"),
    N_("The passwords are not the same yet"),
    N_("Show"),
    N_("Hide"),
    N_("Show password"),
    N_("Show confirmation"),
    N_("Use 3 to 30 letters, digits, dots, hyphens or underscores."),
    N_("This username is reserved."),
    N_("This username is taken."),
    N_("✓ %(name)s is available"),
    N_("This username cannot be used."),
    N_("Try:"),
    N_("Copied"),
    N_("Select the code and copy it"),
    N_("%(zone)s (this device)"),
    N_("For example %(example)s."),
)


def day(value: datetime) -> str:
    """A date as the request's language writes it (``7 déc. 2026``)."""
    return format_date(value, format="medium", locale=i18n.current())


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
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        self.env.filters["day"] = day

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        seed, new = self.cookies.csrf_seed(request)
        html = self.env.get_template(template).render(
            static=STATIC,
            brand=self.brand,
            lang=i18n.current(),
            languages=list(i18n.NAMES.items()),
            js_words={text: i18n.gettext(text) for text in JS_WORDS}
            if i18n.current() != "en"
            else {},
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
