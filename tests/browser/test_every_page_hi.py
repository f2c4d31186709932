"""Every hosted page in Hindi, at 390x844 and 1280x800 (the walk of ``support.every_page``).

One file per language, each with its own service and browser, so that the test workers
walk the languages side by side; ``make screenshots`` runs the three files alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from support.browser import Ui
from support.every_page import tour_service, walk_every_page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path) -> Iterator[Ui]:
    with tour_service(tmp_path_factory.mktemp("every-page-hi"), browser, artifacts) as ui:
        yield ui


def test_every_page(ui: Ui) -> None:
    walk_every_page(ui, "hi")
