"""Browser tests: Debian's Chromium driven by Playwright against the real service.

One ``regflow serve`` per module (real SMTP and SMS sinks) and one browser per
module, shared by its tests. Chromium comes from the system (``/usr/bin/chromium``; ``make test``
installs it where missing); Playwright never downloads a browser. Without
Chromium the tests skip with that reason.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("REGFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium`",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Playwright, sync_playwright  # noqa: E402


# module scope: the sync driver keeps an event loop running in this thread while it lives,
# and the async tests that run after the browser modules need the thread to themselves
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    path = CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    chromium = playwright_driver.chromium.launch(executable_path=path, headless=True, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
