"""What the browser tests share: the service with its sinks, pages with checks and shots.

``Ui.page()`` opens a fresh browser context (its own cookies); axe-core (vendored)
is evaluated in the page through the driver, which no page's CSP governs, so
every page is scanned with its own strict CSP on, even those that allow no
script at all (the dev mailbox, the funnel report). A CSP refusal is reported as
a console error; every console error (a CSP refusal, a script error) fails the
test at ``Ui.check``. ``Ui.check`` scans at phone and desktop size and writes a
screenshot of each (``artifacts/screenshots``, ignored by git).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from support.server import SmtpSink, running_service, text_body
from support.sms_sink import SmsSink

AXE = Path(__file__).parent / "axe" / "axe.min.js"
# a refusal by the page's CSP, as a console error (Chromium logs most, this catches all)
CSP_REPORTER = """document.addEventListener('securitypolicyviolation', e =>
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sample}`));"""
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=800)
SIZES = (("390x844", PHONE), ("1280x800", DESKTOP))
TIMEOUT = 15.0


@dataclass
class Ui:
    base_url: str
    browser: Browser
    mail: SmtpSink
    sms: SmsSink
    artifacts: Path
    db_path: Path
    console_errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def context(self, **options: Any) -> BrowserContext:
        ctx = self.browser.new_context(base_url=self.base_url, viewport=PHONE, **options)
        ctx.set_default_timeout(10_000)
        ctx.add_init_script(CSP_REPORTER)
        self.contexts.append(ctx)
        return ctx

    def page(self, ctx: BrowserContext | None = None, **options: Any) -> Page:
        page = (ctx or self.context(**options)).new_page()
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        # a 4xx page (a refused form, an expired registration) is logged as a failed load
        if message.type == "error" and "status of 4" not in message.text:
            self.console_errors.append(message.text)

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()
        self.contexts.clear()

    def check(self, page: Page, name: str, *, scan: bool = True) -> None:
        """At phone and desktop size: no sideways scrolling, a screenshot, an axe scan."""
        size = page.viewport_size or PHONE
        for label, viewport in SIZES:
            page.set_viewport_size(viewport)
            wide = page.evaluate(
                """w => [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > w + 1)
                     .map(e => e.tagName + '#' + e.id + '.' + e.className)""",
                viewport["width"],
            )
            assert not wide, f"{name} is wider than {label}: {wide}"  # no sideways scrolling
            shot = self.artifacts / f"{name}-{label}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            if scan:
                self.axe(page, f"{name} at {label}")
        page.set_viewport_size(size)
        assert not self.console_errors, self.console_errors

    def axe(self, page: Page, name: str) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text(encoding="utf-8"))
        found = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                 .map(v => ({id: v.id, impact: v.impact,
                             nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        bad = [v for v in found if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: {bad}"

    def email_code(self, address: str) -> str:
        found = CODE.search(text_body(self.mail.wait_for(address, TIMEOUT)))
        assert found
        return found.group(1)

    def email_link(self, address: str) -> str:
        text = text_body(self.mail.wait_for(address, TIMEOUT))
        found = re.search(r"https?://\S+/register/confirm/[A-Za-z0-9_-]+", text)
        assert found, text
        return found.group(0)

    def latest_email_code(self, address: str, count: int) -> str:
        """The code of the ``count``-th mail to ``address`` (waits for it)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            mails = [m for rcpt, m in self.mail.messages if address in rcpt]
            if len(mails) >= count:
                found = CODE.search(text_body(mails[count - 1]))
                assert found
                return found.group(1)
            time.sleep(0.05)
        raise TimeoutError(f"no mail number {count} for {address}")

    def sms_code(self, number: str) -> str:
        found = CODE.search(self.sms.wait_for(number, TIMEOUT))
        assert found
        return found.group(1)


@contextlib.contextmanager
def served_ui(
    tmp: Path, browser: Browser, artifacts: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[Ui]:
    """``regflow serve`` on a real port, mail to an SMTP sink and SMS to a webhook sink."""
    with SmtpSink() as mail, SmsSink() as sms:
        env = {
            "REGFLOW_SMTP_URL": mail.url,
            "REGFLOW_SMS_PROVIDER": "webhook",
            "REGFLOW_SMS_WEBHOOK_URL": sms.url,
            **(extra_env or {}),
        }
        with running_service(tmp, env) as base_url:
            ui = Ui(base_url, browser, mail, sms, artifacts, tmp / "service.db")
            try:
                yield ui
            finally:
                ui.close()
