"""``GET /metrics``: parsed with prometheus-client's own parser, on each backend."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from regflow.api.metrics import Metrics
from regflow.core.model import FunnelEvent, OutboxStatus
from regflow.services.context import utc_now
from support.harness import PASSWORD, Harness, make_settings, started_app

EXPERIMENTS = {"cta": {"variants": {"a": 50, "b": 50}, "flows": ["member"]}}
Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    matching = [v for got, v in samples.get(name, []) if labels.items() <= got.items()]
    assert matching, f"no {name} with {labels}"
    return sum(matching)


@pytest.fixture
async def app(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with started_app(make_settings(db_url, tmp_path, experiments=EXPERIMENTS)) as h:
        yield h


async def scrape(h: Harness) -> tuple[Samples, str]:
    r = await h.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(r.text), r.text


async def test_metrics_carry_every_series(app: Harness, unique_email: str) -> None:
    c = app.client
    start = await c.post("/v1/registrations", json={"flow": "member", "variant": "b"})
    rid, auth = start.json()["id"], {"Authorization": f"Bearer {start.json()['token']}"}
    base = f"/v1/registrations/{rid}"
    await c.post(f"{base}/steps/email", json={"email": unique_email}, headers=auth)
    code = await app.last_code(unique_email)
    wrong = "000000" if code != "000000" else "111111"
    await c.post(f"{base}/verifications/email/confirm", json={"code": wrong}, headers=auth)
    await c.post(f"{base}/verifications/email/confirm", json={"code": code}, headers=auth)
    identity = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "u" + uuid.uuid4().hex[:10],
    }
    await c.post(f"{base}/steps/identity", json=identity, headers=auth)
    creds = {"password": PASSWORD, "password_confirmation": PASSWORD}
    await c.post(f"{base}/steps/credentials", json=creds, headers=auth)
    assert (await c.post(f"{base}/complete", headers=auth)).status_code == 201
    await c.get(f"/v1/registrations/{uuid.uuid4()}", headers=auth)  # 404 on a known route
    await c.get(f"/no/such/{uuid.uuid4()}")

    samples, text = await scrape(app)
    assert rid not in text and unique_email not in text  # route templates, no personal data
    route = "/v1/registrations/{registration_id}/steps/{step}"
    assert (
        value(samples, "regflow_http_requests_total", route=route, method="POST", status="200") == 3
    )
    assert (
        value(
            samples,
            "regflow_http_requests_total",
            route="/v1/registrations/{registration_id}",
            status="404",
        )
        == 1
    )
    assert value(samples, "regflow_http_requests_total", route="unmatched", status="404") == 1
    buckets = [lb for lb, _ in samples["regflow_http_request_duration_seconds_bucket"]]
    assert {"method": "POST", "route": route, "le": "+Inf"} in buckets
    count = value(samples, "regflow_http_request_duration_seconds_count", route=route)
    assert count == 3

    assert value(samples, "regflow_registrations_started_total", flow="member", variant="b") == 1
    assert value(samples, "regflow_registrations_completed_total", flow="member", variant="b") == 1
    for outcome in ("sent", "failed", "succeeded"):
        assert value(samples, "regflow_verifications_total", channel="email", outcome=outcome) == 1
    assert value(samples, "regflow_verification_failures_total", code="INVALID_CODE") == 1

    waiting = [
        m for m in await app.outbox() if m.status in (OutboxStatus.PENDING, OutboxStatus.RETRYING)
    ]
    assert value(samples, "regflow_outbox_depth") == len(waiting) >= 1
    assert value(samples, "regflow_outbox_oldest_age_seconds") >= 0
    assert value(samples, "regflow_outbox_dead") == 0
    assert value(samples, "regflow_database_up") == 1
    assert value(samples, "regflow_password_hash_in_flight") == 0
    assert value(samples, "regflow_password_hash_waiting") == 0


async def test_events_of_a_rolled_back_transaction_are_not_counted(app: Harness) -> None:
    event = FunnelEvent(str(uuid.uuid4()), "member", "started", utc_now(), variant="a")
    async with app.runtime.uow() as uow:
        await uow.funnel.add(event)  # and leave without commit: rolled back
    samples, _ = await scrape(app)
    assert not [
        v
        for lb, v in samples.get("regflow_registrations_started_total", [])
        if lb.get("variant") == "a"
    ]
    async with app.runtime.uow() as uow:
        await uow.funnel.add(event)
        await uow.commit()
    samples, _ = await scrape(app)
    assert value(samples, "regflow_registrations_started_total", variant="a") == 1


SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    import httpx
    from asgi_lifespan import LifespanManager
    from regflow.app import create_app
    from regflow.settings import Settings

    async def main(url: str, data: str, hits: int, scrape: bool) -> None:
        settings = Settings(database_url=url, data_dir=data, secret_key="k" * 32)
        app = create_app(settings, run_worker=False)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for _ in range(hits):
                    await client.get("/healthz")
                await client.post("/v1/registrations", json={"flow": "member"})
                if scrape:
                    sys.stdout.write((await client.get("/metrics")).text)

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "scrape"))
    """
)


def test_several_processes_add_up_in_multiprocess_mode(sqlite_url: str, tmp_path: Path) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "PATH": "/usr/bin:/bin"}

    def args(hits: int, mode: str) -> list[str]:
        return [sys.executable, "-c", SCRIPT, sqlite_url, str(tmp_path / "data"), str(hits), mode]

    # two processes at once, each counting in its own file under the shared folder
    with (
        subprocess.Popen(args(3, "-"), env=env, stdout=subprocess.DEVNULL) as one,
        subprocess.Popen(args(4, "-"), env=env, stdout=subprocess.DEVNULL) as two,
    ):
        assert one.wait(timeout=120) == 0 and two.wait(timeout=120) == 0
    scraper = subprocess.run(
        args(0, "scrape"), env=env, capture_output=True, text=True, timeout=120, check=True
    )
    out = scraper.stdout
    samples = parse(out)
    assert value(samples, "regflow_http_requests_total", route="/healthz") == 7
    assert value(samples, "regflow_registrations_started_total", flow="member") == 3
    assert value(samples, "regflow_outbox_depth") == 0  # read once from the database
    assert len(samples["regflow_outbox_depth"]) == 1
    assert "regflow_password_hash_in_flight" in samples


@pytest.mark.parametrize("cors", [False, True])
async def test_each_request_is_counted_once_with_or_without_cors(
    sqlite_url: str, tmp_path: Path, cors: bool
) -> None:
    """Without CORS the request layer counts; with it, a layer outside CORS (which answers
    preflights itself) does: once either way, refused bodies and preflights included."""
    origins = "https://app.example" if cors else ""
    settings = make_settings(sqlite_url, tmp_path, cors_origins=origins, max_body_bytes=1024)
    async with started_app(settings) as h:
        ok = await h.client.get("/healthz")
        big = await h.client.post(
            "/v1/registrations", content=b"{}", headers={"content-length": "4096"}
        )
        preflight = await h.client.options(
            "/v1/registrations",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        )
        samples, _ = await scrape(h)
    assert ok.status_code == 200 and "x-request-id" in ok.headers
    assert big.status_code == 413 and "x-request-id" not in big.headers
    name = "regflow_http_requests_total"
    assert value(samples, name, method="GET", route="/healthz", status="200") == 1
    assert value(samples, name, method="POST", route="unmatched", status="413") == 1
    options = [v for labels, v in samples[name] if labels["method"] == "OPTIONS"]
    assert options == [1.0] and preflight.status_code in (200, 405)


def test_funnel_events_count_in_their_own_series_every_time() -> None:
    metrics = Metrics()
    now = utc_now()
    events = [
        FunnelEvent("r1", "member", "started", now),
        FunnelEvent("r2", "member", "started", now, variant="b"),
        FunnelEvent("r3", "tenant", "started", now),
        FunnelEvent("r1", "member", "verification_sent", now, channel="email"),
        FunnelEvent(
            "r1", "member", "verification_failed", now, channel="email", code="INVALID_CODE"
        ),
        FunnelEvent("r1", "member", "verification_failed", now, channel="sms", code="CODE_EXPIRED"),
        FunnelEvent("r1", "member", "step_submitted", now, step="email"),
    ]
    for event in events * 3:
        metrics.count_event(event)
    samples = parse(generate_latest(metrics.registry).decode())
    started = "regflow_registrations_started_total"
    assert value(samples, started, flow="member", variant="") == 3
    assert value(samples, started, flow="member", variant="b") == 3
    assert value(samples, started, flow="tenant", variant="") == 3
    outcomes = "regflow_verifications_total"
    assert value(samples, outcomes, channel="email", outcome="sent") == 3
    assert value(samples, outcomes, channel="email", outcome="failed") == 3
    assert value(samples, outcomes, channel="sms", outcome="failed") == 3
    failures = "regflow_verification_failures_total"
    assert value(samples, failures, channel="email", code="INVALID_CODE") == 3
    assert value(samples, failures, channel="sms", code="CODE_EXPIRED") == 3
