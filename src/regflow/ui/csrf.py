"""CSRF for the hosted UI: one router dependency, so no form handler can forget it.

Every page with a form carries a ``csrf`` field, an HMAC of a seed kept in a
cookie (:meth:`Cookies.csrf_token`). :func:`csrf_guard` is a dependency of each
UI router: on any unsafe method it reads the form and compares the field in
constant time, raising :class:`CsrfRefused` (answered by the UI's 403 page,
``CSRF_FAILED``) before the handler runs. Starlette keeps the parsed form on
the request, so the handler's own ``await request.form()`` reads it again for
free. A handler added to these routers later is covered without a line of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request

from regflow.ui.session import CSRF_FIELD, Cookies

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FILES, MAX_FIELDS = 1, 200  # the largest form (organization preferences and its logo)


class CsrfRefused(Exception):
    """An unsafe request without the form's valid ``csrf`` field."""


def csrf_guard(cookies: Cookies) -> Callable[[Request], Awaitable[None]]:
    """The dependency: refuse an unsafe request whose form lacks a valid ``csrf``."""

    async def guard(request: Request) -> None:
        if request.method in SAFE_METHODS:
            return
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
        if not cookies.csrf_ok(request, form.get(CSRF_FIELD)):
            raise CsrfRefused()

    return guard
