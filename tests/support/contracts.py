"""Helpers for the seed contract tests: funnel events and logins of contract registrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.harness import Harness


async def funnel_kinds(h: Harness, contract: str) -> list[str]:
    """Kinds of the funnel events recorded for registrations made through ``contract``."""
    now = datetime.now(UTC)
    await h.drain_events()  # as the sweep or a report would
    async with h.runtime.uow(read_only=True) as uow:
        events = await uow.reports.cohort_events(
            now - timedelta(hours=1), now + timedelta(seconds=5)
        )
    return [e.kind for e in events if e.contract == contract]


async def native_login(h: Harness, email: str, password: str) -> int:
    r = await h.client.post("/v1/sessions", json={"email": email, "password": password})
    return r.status_code
