"""``GET /metrics``: Prometheus metrics, correct with one process or several.

In-process series (request counts and latency per route template, registrations
started/completed/expired per flow and variant, verification outcomes, the
password-hashing pool) live in prometheus-client metrics. With several server
processes set ``PROMETHEUS_MULTIPROC_DIR`` (an empty, writable folder shared by
them, wiped before they start): prometheus-client then keeps the values in files
there and every scrape aggregates all processes. The outbox backlog is shared
state, so it is read from the database at scrape time and never multiplied.

Requests are counted by :mod:`regflow.api.request_metrics`; routes are labelled
by their template (``/v1/registrations/{registration_id}``),
never the raw path, and unknown methods as ``OTHER``, so a client cannot grow
the label space. The endpoint carries no personal data; restrict it to the
scraper at the proxy if the counts are sensitive for you.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from regflow.core.model import FunnelEvent, OutboxMessage
from regflow.core.ports import OutboxBacklog

log = logging.getLogger("regflow.metrics")


class PoolState(Protocol):
    """The hashing pool's load (``regflow.hashing.Argon2PasswordHasher``)."""

    @property
    def in_flight(self) -> int: ...

    @property
    def waiting(self) -> int: ...


class Metrics:
    """This app's metrics, in a registry of its own (no module-level state)."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "regflow_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "regflow_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=r,
        )
        labels = ["flow", "variant"]
        self.started = Counter(
            "regflow_registrations_started", "Registrations started.", labels, registry=r
        )
        self.completed = Counter(
            "regflow_registrations_completed", "Registrations completed.", labels, registry=r
        )
        self.expired = Counter(
            "regflow_registrations_expired", "Registrations expired.", labels, registry=r
        )
        self.verifications = Counter(
            "regflow_verifications",
            "Verification codes sent, and confirmations that succeeded or failed.",
            ["channel", "outcome"],
            registry=r,
        )
        self.verification_failures = Counter(
            "regflow_verification_failures",
            "Failed confirmations by stable error code.",
            ["channel", "code"],
            registry=r,
        )
        self.deliveries = Counter(
            "regflow_outbox_deliveries",
            "Delivery attempts by kind and outcome: sent, failed (will be retried), dead.",
            ["kind", "outcome"],
            registry=r,
        )
        self.hash_in_flight = Gauge(
            "regflow_password_hash_in_flight",
            "Password hashes running in the pool (summed over live processes).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.hash_waiting = Gauge(
            "regflow_password_hash_waiting",
            "Password hashes queued for a free pool thread (summed over live processes).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._pool_seen: tuple[int, int] | None = None
        self._events: dict[tuple[str | None, ...], tuple[Counter, ...]] = {}  # bounded labels

    def count_delivery(self, message: OutboxMessage, outcome: str) -> None:
        """Called by the delivery worker once per recorded outcome (sent, failed, dead)."""
        self.deliveries.labels(message.kind.value, outcome).inc()

    def count_event(self, event: FunnelEvent) -> None:
        """Called once per committed funnel event; its labelled series looked up once."""
        key = (event.kind, event.flow, event.variant, event.channel, event.code)
        series = self._events.get(key)
        if series is None:
            series = self._events[key] = tuple(self._event_series(event))
        for counter in series:
            counter.inc()

    def _event_series(self, event: FunnelEvent) -> Iterator[Counter]:
        labels = (event.flow, event.variant or "")
        if event.kind == "started":
            yield self.started.labels(*labels)
        elif event.kind == "completed":
            yield self.completed.labels(*labels)
        elif event.kind == "expired":
            yield self.expired.labels(*labels)
        elif event.kind.startswith("verification_") and event.channel:
            outcome = event.kind.removeprefix("verification_")
            yield self.verifications.labels(event.channel, outcome)
            if outcome == "failed":
                yield self.verification_failures.labels(event.channel, event.code or "")

    def sample_pool(self, pool: PoolState) -> None:
        seen = (pool.in_flight, pool.waiting)
        if seen != self._pool_seen:  # the gauges change only when the pool did
            self._pool_seen = seen
            self.hash_in_flight.set(seen[0])
            self.hash_waiting.set(seen[1])

    def exposition(self, backlog: OutboxBacklog | None) -> bytes:
        if self.multiprocess_dir is not None:
            merged = CollectorRegistry()
            MultiProcessCollector(merged, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
            head = generate_latest(merged)
        else:
            head = generate_latest(self.registry)
        shared = CollectorRegistry()
        shared.register(_Backlog(backlog))
        return head + generate_latest(shared)


class _Backlog:
    """The outbox gauges read from the database for this scrape."""

    def __init__(self, backlog: OutboxBacklog | None) -> None:
        self.backlog = backlog

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("regflow_database_up", "1 when this scrape could read the database.")
        up.add_metric([], 1.0 if self.backlog is not None else 0.0)
        yield up
        if self.backlog is None:
            return
        b = self.backlog
        for name, doc, value in (
            ("regflow_outbox_depth", "Messages waiting for delivery.", b.depth),
            (
                "regflow_outbox_oldest_age_seconds",
                "Age of the oldest message waiting for delivery (0 when none).",
                b.oldest_age_seconds,
            ),
            ("regflow_outbox_dead", "Messages given up after every attempt.", b.dead),
        ):
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], float(value))
            yield gauge


def metrics_router(
    metrics: Metrics,
    backlog: Callable[[], Awaitable[OutboxBacklog]],
    pool: PoolState | None = None,
) -> APIRouter:
    router = APIRouter(tags=["system"])

    @router.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        try:
            snapshot: OutboxBacklog | None = await backlog()
        except Exception:  # report the database as down instead of failing the scrape
            log.warning("metrics could not read the outbox backlog")
            snapshot = None
        if pool is not None:
            metrics.sample_pool(pool)
        return Response(metrics.exposition(snapshot), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return router
