"""Counting against the policy, in memory (one process) or in Redis (several processes).

Moving windows (``limits.aio.strategies.MovingWindowRateLimiter``): "1/minute"
means no two hits within any 60 s, not two hits straddling a minute boundary.
``REGFLOW_REDIS_URL`` selects Redis; every process pointed at the same Redis
shares the counters (and the key prefix, ``REGFLOW_RATE_LIMIT_PREFIX``).

When the store fails (Redis down), the request is let through and the failure
is logged: an outage of the counter store should not take registration down
with it, and per-code attempt limits live in the database regardless.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from regflow.errors import TooSoon
from regflow.ratelimit.policy import Policy

log = logging.getLogger("regflow.ratelimit")


def storage_for(redis_url: str | None, prefix: str) -> Storage:
    """Redis when a URL is given (``redis://`` or ``rediss://``), else process memory."""
    if redis_url:
        uri = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
        return RedisStorage(uri, key_prefix=prefix)
    return MemoryStorage()


class RateLimiter:
    """``await limiter.hit("start", client_ip)``: count, or raise ``TooSoon`` (429)."""

    def __init__(self, policy: Policy, storage: Storage, *, enabled: bool = True) -> None:
        self.policy = policy
        self.storage = storage
        self.enabled = enabled
        self._strategy = MovingWindowRateLimiter(storage)

    def close(self) -> None:
        """Drop the store's connections (Redis); the memory store has none."""
        bridge = getattr(self.storage, "bridge", None)
        pool = getattr(getattr(bridge, "storage", None), "connection_pool", None)
        if pool is not None:
            pool.disconnect()

    async def store_status(self) -> str:
        """``memory`` (this process only), ``ok`` (Redis answers) or ``unreachable``."""
        if isinstance(self.storage, MemoryStorage):
            return "memory"
        try:
            return "ok" if await asyncio.wait_for(self.storage.check(), 2.0) else "unreachable"
        except Exception:  # any failure of the store reads as unreachable
            return "unreachable"

    async def hit(self, rule: str, key: str) -> None:
        """Count one event of ``rule`` for ``key``; raise ``TooSoon`` once a limit is spent.

        Each hit is atomic in the store (a Lua script in Redis), so concurrent
        requests, in one process or many, never pass a limit together.
        """
        if self.enabled:
            await self._apply(rule, key, count=True)

    async def check(self, rule: str, key: str) -> None:
        """Raise ``TooSoon`` if ``rule`` is spent for ``key``, without counting."""
        if self.enabled:
            await self._apply(rule, key, count=False)

    async def _apply(self, rule: str, key: str, *, count: bool) -> None:
        try:
            for item in self.policy[rule]:
                if count:
                    allowed = await self._strategy.hit(item, rule, key)
                else:
                    allowed = await self._strategy.test(item, rule, key)
                if not allowed:
                    stats = await self._strategy.get_window_stats(item, rule, key)
                    retry = max(1, math.ceil(stats.reset_time - time.time()))
                    raise TooSoon("Too many requests; try again later.", retry_after=retry)
        except TooSoon:
            raise
        except Exception as exc:  # the store failed: let the request through, loudly
            log.error("rate limit store unavailable", extra={"error": type(exc).__name__})
