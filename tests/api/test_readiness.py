"""``/readyz`` says where rate limits count: process memory, a Redis that answers, or not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.harness import make_settings, started_app

REDIS_URL = os.environ.get("REGFLOW_TEST_REDIS_URL")


async def test_without_redis_the_limits_are_in_memory(sqlite_url: str, tmp_path: Path) -> None:
    async with started_app(make_settings(sqlite_url, tmp_path)) as h:
        r = await h.client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "redis": "memory"}


@pytest.mark.redis
async def test_a_reachable_redis_is_reported(sqlite_url: str, tmp_path: Path) -> None:
    if not REDIS_URL:
        pytest.skip("Redis not configured: set REGFLOW_TEST_REDIS_URL to run this test")
    async with started_app(make_settings(sqlite_url, tmp_path, redis_url=REDIS_URL)) as h:
        r = await h.client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_redis_down_is_degraded_yet_ready(sqlite_url: str, tmp_path: Path) -> None:
    # requests are let through when the counter store fails, so the process keeps serving
    settings = make_settings(
        sqlite_url, tmp_path, redis_url="redis://127.0.0.1:1/0", rate_limits_enabled=True
    )
    async with started_app(settings) as h:
        r = await h.client.get("/readyz")
        start = await h.client.post("/v1/registrations", json={"flow": "member"})
    assert r.status_code == 200
    assert r.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}
    assert start.status_code == 201
