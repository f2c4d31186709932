"""A started service's long-lived objects are out of the cyclic collector's way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from regflow.app import create_app
from support.harness import make_settings, started_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_start_up_freezes_what_it_built(
    sqlite_url: str, tmp_path: Path, unfrozen: None
) -> None:
    assert gc.get_freeze_count() == 0
    app = create_app(make_settings(sqlite_url, tmp_path), run_worker=False, settle_heap=True)
    async with LifespanManager(app):
        frozen = gc.get_freeze_count()
        # the app, its routes and its tables among them: far more than a handful
        assert frozen > 10_000
        gc.collect()  # what requests make is collected as before: the frozen set stays
        assert gc.get_freeze_count() <= frozen


async def test_an_app_among_others_freezes_nothing(
    sqlite_url: str, tmp_path: Path, unfrozen: None
) -> None:
    async with started_app(make_settings(sqlite_url, tmp_path)) as h:
        assert (await h.client.get("/healthz")).status_code == 200
        assert gc.get_freeze_count() == 0
