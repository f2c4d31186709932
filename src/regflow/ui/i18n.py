"""The hosted pages' languages: English, French and Hindi, with Babel's gettext catalogues.

The language of a request is, in order: ``?lang=`` (then kept in a cookie),
the ``regflow-lang`` cookie, the ``Accept-Language`` header, English. A
middleware sets it for the whole request (a context variable), so the words
the routes pick (``regflow.ui.words``) and the templates (Jinja2's i18n
extension, new-style gettext) speak the same language. Catalogues live in
``regflow/locale/<lang>/LC_MESSAGES/messages.po`` with their compiled ``.mo``
committed beside them; see CONTRIBUTING for extracting and compiling.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel import negotiate_locale
from babel.support import NullTranslations, Translations
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCALES = ("en", "fr", "hi")
DEFAULT = "en"
COOKIE = "regflow-lang"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
NAMES = {"en": "English", "fr": "Français", "hi": "हिन्दी"}


class _Asked:
    """A request's language, worked out from its cookie and header the first time it is
    asked for: most requests (the JSON API's) never ask."""

    __slots__ = ("locale", "scope")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.locale: str | None = None

    def get(self) -> str:
        if self.locale is None:
            headers = Headers(scope=self.scope)
            cookies = _cookies(headers.get("cookie", ""))
            query = QueryParams(self.scope.get("query_string", b""))
            self.locale = choose(query, headers, cookies)[0]
        return self.locale


_current: ContextVar[str | _Asked] = ContextVar("regflow_locale", default=DEFAULT)


def N_(message: str) -> str:
    """Marks ``message`` for extraction; translated where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def current() -> str:
    value = _current.get()
    return value if isinstance(value, str) else value.get()


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the current language, ``%(name)s`` filled from ``variables``."""
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` in the current language (Jinja fills ``%(num)s``)."""
    return translations(current()).ngettext(singular, plural, n)


_ = gettext


def supported(value: str | None) -> str | None:
    """``value`` if it names a supported language (``fr``, ``fr-CA`` → ``fr``), else None."""
    if not value:
        return None
    short = value.strip().replace("_", "-").split("-")[0].lower()
    return short if short in LOCALES else None


def choose(query: QueryParams, headers: Headers, cookies: dict[str, str]) -> tuple[str, bool]:
    """The request's language and whether ``?lang=`` chose it (to be kept in the cookie)."""
    asked = supported(query.get("lang"))
    if asked:
        return asked, True
    kept = supported(cookies.get(COOKIE))
    if kept:
        return kept, False
    header = headers.get("accept-language", "")
    wanted = [
        part.split(";")[0].strip().replace("-", "_")
        for part in header.split(",")[:20]
        if part.strip()
    ]
    found = negotiate_locale(wanted, list(LOCALES), sep="_") if wanted else None
    return supported(found) or DEFAULT, False


class LocaleMiddleware:
    """Sets the request's language; ``?lang=`` is remembered in a cookie for a year."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if b"lang" not in query and b"%" not in query:
            # no ?lang= (not even percent-encoded), so no cookie to set: the language is
            # worked out only if the request renders words
            token = _current.set(_Asked(scope))
            try:
                await self.app(scope, receive, send)
            finally:
                _current.reset(token)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers.get("cookie", ""))
        locale, asked = choose(QueryParams(query), headers, cookies)
        token = _current.set(locale)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and asked:
                flags = "; Secure" if self.secure else ""
                value = f"{COOKIE}={locale}; Max-Age=31536000; Path=/; SameSite=Lax{flags}"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", value.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _current.reset(token)


def _cookies(header: str) -> dict[str, str]:
    found = {}
    for part in header.split(";")[:50]:
        name, _, value = part.strip().partition("=")
        if name:
            found[name] = value
    return found
