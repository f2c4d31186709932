"""The operator's pages (the dev mailbox, the funnel report) in the hosted pages' language.

The two front ends are independent layers, so the composition root hands the
hosted UI's gettext (``regflow.ui.i18n``: the request's language from ``?lang=``,
the cookie, then ``Accept-Language``) to these routers as a ``Language``; without
one the pages speak English. The templates mark their words like the hosted
pages do (``{{ _("…") }}``) and share their catalogues (``make messages``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_datetime
from jinja2 import Environment, PackageLoader, select_autoescape


def _gettext(message: str, **variables: Any) -> str:
    return message % variables if variables else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class Language:
    """The request's language: its code and its gettext (``%(name)s`` filled from keywords)."""

    gettext: Callable[..., str] = _gettext
    ngettext: Callable[[str, str, int], str] = _ngettext
    current: Callable[[], str] = lambda: "en"


ENGLISH = Language()


def environment(language: Language) -> Environment:
    """Jinja over ``regflow/api/templates`` with the i18n extension and a ``moment`` filter."""
    env = Environment(
        loader=PackageLoader("regflow.api", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        language.gettext, language.ngettext, newstyle=True
    )
    env.filters["moment"] = lambda value: moment(value, language.current())
    return env


def moment(value: Any, locale: str = "en") -> str:
    """An ISO 8601 time as people read it in ``locale``: ``7 Dec 2026, 11:23 UTC``."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return f"{format_datetime(parsed, 'd MMM y, HH:mm', locale=locale)} UTC"
