"""The request series of ``GET /metrics``: requests and their latency per route template.

Counted by the request middleware (``regflow.api.middleware.RequestContext``) or,
where CORS answers some requests itself (its preflights), by
:class:`MetricsMiddleware` outside it. Unknown methods count as ``OTHER`` and
unmatched paths as ``unmatched``, so a client cannot grow the label space.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regflow.api.metrics import Metrics, PoolState

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestCounter:
    """Counts a request and its latency per route template, each (method, route, status)
    series looked up once and kept (bounded: templates, known methods, statuses)."""

    def __init__(self, metrics: Metrics, pool: PoolState | None = None) -> None:
        self.metrics = metrics
        self.pool = pool
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def __call__(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._labelled(*key)
        series[0].inc()
        series[1].observe(elapsed)
        if self.pool is not None:
            self.metrics.sample_pool(self.pool)

    def _labelled(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        m = self.metrics
        return m.requests.labels(method, route, str(status)), m.latency.labels(method, route)


class MetricsMiddleware:
    """Pure ASGI middleware counting requests (only with CORS, outside it: else RequestContext)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, pool: PoolState | None = None) -> None:
        self.app = app
        self.count = RequestCounter(metrics, pool)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.count(scope, status, time.perf_counter() - started)
