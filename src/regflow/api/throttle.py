"""A small per-client-IP limiter, in memory, for the endpoints that must be throttled hard.

Stop-gap until the project's rate-limit module (memory or Redis, trusted proxy
hops) exists: the key is the peer address of the connection (``X-Forwarded-For``
is not believed), IPv6 addresses count per /64 (one subscriber usually holds a
whole /64), and the counters live in this process only. The window is fixed:
``limit`` hits per ``window`` seconds, then ``RATE_LIMITED`` (429 with
``Retry-After``) until the window ends.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable

from starlette.requests import Request

from regflow.errors import TooSoon

MAX_KEYS = 100_000  # past this, finished windows are dropped; memory stays bounded


def client_key(request: Request) -> str:
    """The client's IP, or its /64 network for IPv6."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class IpThrottle:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.enabled = enabled
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, hits)

    def hit(self, request: Request) -> None:
        """Count one request of this client; raise ``TooSoon`` past the limit."""
        if not self.enabled:
            return
        now = self._clock()
        key = client_key(request)
        start, hits = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, hits = now, 0
        if hits >= self.limit:
            retry_after = math.ceil(start + self.window - now)
            raise TooSoon("Too many lookups; try again later.", retry_after=retry_after)
        self._windows[key] = (start, hits + 1)
        if len(self._windows) > MAX_KEYS:
            self._prune(now)

    def _prune(self, now: float) -> None:
        self._windows = {
            key: value for key, value in self._windows.items() if now - value[0] < self.window
        }
