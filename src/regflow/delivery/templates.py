"""Per-locale mail and SMS templates rendered with Jinja2.

Templates live in this package under ``templates/email/<locale>/<name>.{subject.txt,
txt,html}`` and ``templates/sms/<locale>/<name>.txt``. Each file is looked up
for the requested locale (``fr-CA``, then ``fr``), then for ``en``, so a
partial translation falls back file by file. Only ``.html`` files are
autoescaped; subjects are folded to one line.

Templates are compiled once: the files ship with the package and do not change
while it runs (no modification check per render), and which file serves a
(template, part, locale) is looked up once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateError,
    select_autoescape,
)

DEFAULT_LOCALE = "en"
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_RESOLVED_MAX = 1024  # (template, part, locale) lookups remembered; locales come from requests


class RenderError(Exception):
    """The template does not exist or its context lacks a variable; retrying cannot help."""


@dataclass(frozen=True)
class RenderedEmail:
    """A mail ready to send: one-line subject, plain text and HTML bodies."""

    subject: str
    text: str
    html: str


class Renderer:
    """Renders the mail and SMS templates shipped with regflow."""

    def __init__(self, default_locale: str = DEFAULT_LOCALE) -> None:
        self.default_locale = default_locale
        self._env = Environment(
            loader=PackageLoader("regflow.delivery", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,  # a missing variable fails loudly, never renders blank
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # package files: never re-read, no stat per render
        )
        self._resolved: dict[tuple[str, str, str, str], Template] = {}

    def render_email(self, template: str, context: Mapping[str, Any], locale: str) -> RenderedEmail:
        """Subject, text and HTML of mail ``template``; raises ``RenderError``."""
        subject = self._render("email", template, "subject.txt", context, locale)
        return RenderedEmail(
            subject=" ".join(subject.split()),
            text=self._render("email", template, "txt", context, locale).strip() + "\n",
            html=self._render("email", template, "html", context, locale),
        )

    def render_sms(self, template: str, context: Mapping[str, Any], locale: str) -> str:
        """The body of SMS ``template``, whitespace trimmed; raises ``RenderError``."""
        return self._render("sms", template, "txt", context, locale).strip()

    def locales(self, locale: str) -> list[str]:
        """The locales tried for ``locale``, most specific first, the default last."""
        tried: list[str] = []
        if _LOCALE.fullmatch(locale or ""):
            full = locale.replace("_", "-").lower()
            tried += [full, full.split("-")[0]]
        tried.append(self.default_locale)
        return list(dict.fromkeys(tried))

    def _render(
        self, channel: str, name: str, part: str, context: Mapping[str, Any], locale: str
    ) -> str:
        key = (channel, name, part, locale)
        try:
            template = self._resolved.get(key)
            if template is None:
                template = self._select(channel, name, part, locale)
                if len(self._resolved) >= _RESOLVED_MAX:
                    self._resolved.clear()
                self._resolved[key] = template
            return template.render(context)
        except TemplateError as exc:
            raise RenderError(f"{channel} template {name!r} ({part}): {exc.message}") from exc

    def _select(self, channel: str, name: str, part: str, locale: str) -> Template:
        if not _NAME.fullmatch(name):
            raise RenderError(f"invalid template name {name!r}")
        names = [f"{channel}/{loc}/{name}.{part}" for loc in self.locales(locale)]
        return self._env.select_template(names)
