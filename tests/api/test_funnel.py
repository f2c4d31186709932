"""The funnel report against a known, seeded pattern; events end to end; the sweep; the CLI.

``simulate`` plays a few hundred registrations with a seeded random abandonment
pattern (two variants of the member flow, plus a flow with email and phone
codes) and keeps the truth of what each one did; the events go into the
database through the repository with controlled timestamps, and every figure
of ``GET /v1/admin/funnel`` is checked against figures computed from the truth.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import random
import statistics
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from statsmodels.stats import proportion
from typer.testing import CliRunner

from regflow.app import build_runtime
from regflow.cli.main import cli
from regflow.core.experiments import pick
from regflow.core.model import FunnelEvent
from regflow.core.ports import UnitOfWorkFactory
from regflow.persistence.tables import funnel_events
from regflow.services.sweep import Sweep
from support import orgs
from support.harness import PASSWORD, Harness, make_settings, started_app

TOKEN = "operator-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
WEIGHTS = {"a": 50, "b": 50}
EXPERIMENTS = {"cta": {"variants": WEIGHTS, "flows": ["member"]}}
BASE = datetime(2020, 2, 3, 8, tzinfo=UTC)  # far from every other test's events
WINDOW = {"since": "2020-02-03T08:00:00Z", "until": "2020-02-10T08:00:00Z"}

MEMBER = [("email", ("email",)), ("identity", ()), ("credentials", ())]
SURVEY = [("contact", ("email", "phone")), ("details", ())]
LEAVE = {  # chance to leave at each step without passing it, per variant
    "a": {"email": 0.15, "identity": 0.30, "credentials": 0.10, "complete": 0.10},
    "b": {"email": 0.15, "identity": 0.10, "credentials": 0.10, "complete": 0.05},
    None: {"contact": 0.20, "details": 0.10, "complete": 0.10},
}
FAIL = {
    "email": "INVALID_EMAIL",
    "identity": "USERNAME_TAKEN",
    "credentials": "PASSWORD_COMMON",
    "contact": "INVALID_PHONE",
    "details": "REQUIRED",
}


@dataclass
class Truth:
    """What one simulated registration did."""

    rid: str
    flow: str
    variant: str | None
    reached: list[str] = field(default_factory=list)
    passed: dict[str, float] = field(default_factory=dict)
    stopped: str | None = None
    completed_after: float | None = None
    expired: bool = False
    org: bool = False
    errors: Counter[str] = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    verified: set[str] = field(default_factory=set)
    failed: Counter[str] = field(default_factory=Counter)


def simulate(
    rng: random.Random, flow: str, steps: Sequence[tuple[str, tuple[str, ...]]], variant: str | None
) -> tuple[Truth, list[tuple[float, str, dict[str, Any]]]]:
    """One registration: its truth and its events as (seconds after start, kind, fields)."""
    truth = Truth(str(uuid.uuid4()), flow, variant)
    out: list[tuple[float, str, dict[str, Any]]] = [(0, "started", {})]
    out.append((0, "step_viewed", {"step": steps[0][0]}))
    t = 0.0
    for i, (step, channels) in enumerate(steps):
        truth.reached.append(step)
        if rng.random() < 0.25:
            out.append((t + 1, "step_failed", {"step": step, "code": FAIL[step]}))
            truth.errors[FAIL[step]] += 1
        if rng.random() < LEAVE[variant][step]:
            truth.stopped = step
            break
        took = float(rng.randint(5, 900))
        for channel in channels:
            out.append((t + 2, "verification_sent", {"channel": channel}))
            truth.sent.add(channel)
            for _ in range(rng.choice((0, 0, 0, 1, 2))):
                out.append(
                    (t + 3, "verification_failed", {"channel": channel, "code": "INVALID_CODE"})
                )
                truth.failed[channel] += 1
                truth.errors["INVALID_CODE"] += 1
            if rng.random() < 0.08:
                truth.stopped = step  # never typed the code
                break
            out.append((t + took, "verification_succeeded", {"channel": channel, "step": step}))
            truth.verified.add(channel)
        if truth.stopped:
            break
        t += took
        out.append((t, "step_completed", {"step": step}))
        truth.passed[step] = took
        if i + 1 < len(steps):
            out.append((t, "step_viewed", {"step": steps[i + 1][0]}))
    else:
        if rng.random() < LEAVE[variant]["complete"]:
            truth.stopped = "complete"
        else:
            t += rng.randint(1, 30)
            truth.org = rng.random() < 0.3
            org = {"organization_id": str(uuid.uuid4())} if truth.org else {}
            out.append((t, "completed", org))
            truth.completed_after = t
    if truth.stopped and rng.random() < 0.6:
        where = None if truth.stopped == "complete" else truth.stopped
        out.append((t + 3600, "expired", {"step": where}))
        truth.expired = True
    return truth, out


Rows = list[tuple[datetime, Truth, list[tuple[float, str, dict[str, Any]]]]]


async def record(uow_factory: UnitOfWorkFactory, batch: Rows) -> None:
    """Through the repository, in one transaction, with the simulated timestamps."""
    async with uow_factory() as uow:
        for start, truth, rows in batch:
            for seconds, kind, extra in rows:
                at = start + timedelta(seconds=seconds)
                event = FunnelEvent(truth.rid, truth.flow, kind, at, variant=truth.variant, **extra)
                await uow.funnel.add(event)
        await uow.commit()


async def populate(
    uow_factory: UnitOfWorkFactory, seed: int = 2024, members: int = 300
) -> list[Truth]:
    """Member registrations (a/b alternating) and a fifth as many survey ones, in the window."""
    rng = random.Random(seed)
    truths = []
    plan: list[tuple[str, list[tuple[str, tuple[str, ...]]], str | None]]
    plan = [("member", MEMBER, "a" if i % 2 == 0 else "b") for i in range(members)]
    plan += [("survey", SURVEY, None) for _ in range(members // 5)]
    batch: Rows = []
    for i, (flow, steps, variant) in enumerate(plan):
        truth, rows = simulate(rng, flow, steps, variant)
        batch.append((BASE + timedelta(minutes=i), truth, rows))
        truths.append(truth)
    # started outside the window: not in the cohort, even with events inside it
    for start in (BASE - timedelta(hours=1), BASE + timedelta(days=8)):
        outside, rows = simulate(random.Random(1), "member", MEMBER, "a")
        batch.append((start, outside, rows))
    await record(uow_factory, batch)
    return truths


def timing(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[8]


def same(got: Any, want: Any, path: str = "") -> None:
    """Deep equality, floats to 1e-9 relative."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), (path, got, want)
        for key in want:
            same(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (path, got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert got == pytest.approx(want, rel=1e-9), (path, got, want)
    else:
        assert got == want, (path, got, want)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def expected(truths: list[Truth], steps: list[str], phased: bool) -> dict[str, Any]:
    """Every figure of one variant's report, computed from the truth alone."""
    n = len(truths)
    done = [t for t in truths if t.completed_after is not None]
    expired = sum(t.expired for t in truths)
    step_rows = []
    for number, step in enumerate(steps, start=1):
        reached = sum(step in t.reached for t in truths)
        passed = [t.passed[step] for t in truths if step in t.passed]
        median, p90 = timing(passed)
        step_rows.append(
            {
                "step": step,
                "phase": number if phased else None,
                "reached": reached,
                "completed": len(passed),
                "dropped": reached - len(passed),
                "conversion": share(len(passed), reached),
                "median_seconds": median,
                "p90_seconds": p90,
            }
        )
    phases = [
        {
            "phase": row["phase"],
            "steps": [row["step"]],
            "reached": row["reached"],
            "completed": row["completed"],
            "conversion": row["conversion"],
            "median_seconds": row["median_seconds"],
            "p90_seconds": row["p90_seconds"],
        }
        for row in step_rows
        if phased
    ]
    stopped = Counter(t.stopped for t in truths if t.stopped)
    ended = Counter(t.stopped for t in truths if t.stopped and t.expired)
    errors: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for t in truths:
        errors.update(t.errors)
        hit.update(t.errors.keys())
    median, p90 = timing([t.completed_after for t in done if t.completed_after is not None])
    used = sum(t.org for t in done)
    return {
        "variant": truths[0].variant,
        "started": n,
        "completed": len(done),
        "expired": expired,
        "active": n - len(done) - expired,
        "conversion": len(done) / n,
        "median_seconds_to_complete": median,
        "p90_seconds_to_complete": p90,
        "steps": step_rows,
        "phases": phases,
        "drop_off": [
            {"step": s, "abandoned": stopped[s], "expired": ended[s], "share": stopped[s] / n}
            for s in [*steps, "complete"]
            if stopped[s]
        ],
        "errors": [
            {"code": c, "events": errors[c], "registrations": hit[c], "rate": hit[c] / n}
            for c in sorted(errors, key=lambda c: (-errors[c], c))
        ],
        "verification": {
            ch: {
                "sent": sum(ch in t.sent for t in truths),
                "succeeded": sum(ch in t.verified for t in truths),
                "failed_attempts": sum(t.failed[ch] for t in truths),
                "rate": share(
                    sum(ch in t.verified for t in truths), sum(ch in t.sent for t in truths)
                ),
            }
            for ch in ("email", "phone")
        },
        "org_code": {"used": used, "completed": len(done), "rate": share(used, len(done))},
    }


@pytest.fixture
async def admin(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(db_url, tmp_path, admin_token=TOKEN, experiments=EXPERIMENTS)
    async with started_app(settings) as h:
        yield h


async def test_every_figure_matches_the_simulated_pattern(admin: Harness) -> None:
    truths = await populate(admin.runtime.uow)
    r = await admin.client.get("/v1/admin/funnel", params=WINDOW, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert (body["since"], body["until"]) == (WINDOW["since"], WINDOW["until"])
    flows = {f["flow"]: f for f in body["flows"]}
    assert list(flows) == ["member", "survey"]
    assert flows["member"]["experiment"] == "cta" and flows["survey"]["experiment"] is None

    member = {v["variant"]: v for v in flows["member"]["variants"]}
    assert list(member) == ["a", "b"]
    for variant in ("a", "b"):
        mine = [t for t in truths if t.flow == "member" and t.variant == variant]
        assert len(mine) == 150
        want = expected(mine, ["email", "identity", "credentials"], phased=True)
        same(member[variant], want, variant)
    (survey,) = flows["survey"]["variants"]
    want = expected([t for t in truths if t.flow == "survey"], ["contact", "details"], False)
    same(survey, want, "survey")
    assert survey["verification"]["phone"]["sent"] > 0  # the pattern exercises both channels

    # the seeded pattern gives b the better identity step, hence the better conversion
    (cmp,) = flows["member"]["comparisons"]
    a, b = member["a"], member["b"]
    assert b["conversion"] > a["conversion"]
    counts = (b["completed"], b["started"], a["completed"], a["started"])
    low, high = proportion.confint_proportions_2indep(*counts, method="newcombe", compare="diff")
    test = proportion.test_proportions_2indep(*counts, method="score", compare="diff")
    same(
        cmp,
        {
            "control": "a",
            "variant": "b",
            "control_conversion": a["conversion"],
            "variant_conversion": b["conversion"],
            "difference": b["conversion"] - a["conversion"],
            "confidence": 0.95,
            "ci_low": float(low),
            "ci_high": float(high),
            "p_value": float(test.pvalue),
            "significant": bool(low > 0),
            "method": cmp["method"],
        },
    )
    assert cmp["ci_low"] < cmp["difference"] < cmp["ci_high"]
    assert flows["survey"]["comparisons"] == []

    only = await admin.client.get(
        "/v1/admin/funnel", params={**WINDOW, "flow": "survey"}, headers=ADMIN
    )
    assert [f["flow"] for f in only.json()["flows"]] == ["survey"]


async def test_the_page_draws_svg_charts_without_script(admin: Harness) -> None:
    await populate(admin.runtime.uow, seed=7, members=60)
    basic = base64.b64encode(f"operator:{TOKEN}".encode()).decode()
    r = await admin.client.get(
        "/v1/admin/funnel.html", params=WINDOW, headers={"Authorization": f"Basic {basic}"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.count("<svg") >= 7 and "<rect" in page and "Variant b vs a" in page
    assert "<script" not in page and "https://" not in page and "http://" not in page
    assert "default-src 'none'" in r.headers["content-security-policy"]
    bearer = await admin.client.get("/v1/admin/funnel.html", params=WINDOW, headers=ADMIN)
    assert bearer.status_code == 200
    form = await admin.client.get("/v1/admin/funnel.html?since=&flow=", headers=ADMIN)
    assert form.status_code == 200  # the page's own form, submitted empty
    anonymous = await admin.client.get("/v1/admin/funnel.html")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("lang", "title", "words"),
    [
        ("fr", "Entonnoir de conversion", ("Conversion par étape", "Variante b contre a")),
        ("hi", "रूपांतरण फ़नल", ("हर चरण का रूपांतरण", "वैरिएंट b बनाम a")),
    ],
)
async def test_the_page_speaks_the_operators_language(
    admin: Harness, lang: str, title: str, words: tuple[str, ...]
) -> None:
    await populate(admin.runtime.uow, seed=7, members=60)
    asked = await admin.client.get(
        "/v1/admin/funnel.html", params={**WINDOW, "lang": lang}, headers=ADMIN
    )
    header = await admin.client.get(  # or Accept-Language, as the hosted pages
        "/v1/admin/funnel.html", params=WINDOW, headers={**ADMIN, "Accept-Language": lang}
    )
    for r in (asked, header):
        assert r.status_code == 200
        assert f'<html lang="{lang}">' in r.text and f"<h1>{title}</h1>" in r.text
        assert all(word in r.text for word in words), r.text
        assert "Conversion per step" not in r.text and "Where people stopped" not in r.text
    refused = await admin.client.get("/v1/admin/funnel.html", params={"lang": lang})
    assert refused.status_code == 401 and title in refused.text


async def test_operator_token_is_required(admin: Harness) -> None:
    c = admin.client
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Token {TOKEN}"}):
        r = await c.get("/v1/admin/funnel", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
    bad = await c.get("/v1/admin/funnel", params={"since": "yesterday"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["code"] == "VALIDATION_ERROR"
    backwards = await c.get(
        "/v1/admin/funnel",
        params={"since": WINDOW["until"], "until": WINDOW["since"]},
        headers=ADMIN,
    )
    assert backwards.status_code == 422


async def test_admin_endpoints_are_off_without_a_token(harness: Harness) -> None:
    for path in ("/v1/admin/funnel", "/v1/admin/funnel.html"):
        r = await harness.client.get(path, headers=ADMIN)
        assert r.status_code == 404


def test_cli_prints_an_aligned_table_and_json(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sqlite_url, tmp_path, experiments=EXPERIMENTS)

    async def fill() -> None:
        runtime = build_runtime(settings)
        try:
            await populate(runtime.uow)
        finally:
            runtime.hasher.close()
            await runtime.engine.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("REGFLOW_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REGFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGFLOW_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.setenv("REGFLOW_EXPERIMENTS", json.dumps(EXPERIMENTS))
    window = ["--since", WINDOW["since"], "--until", WINDOW["until"], "--flow", "member"]
    runner = CliRunner()
    as_json = runner.invoke(cli, ["funnel", *window, "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    a, b = report["flows"][0]["variants"]
    text = runner.invoke(cli, ["funnel", *window])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert f"member · variant a · started 150 · completed {a['completed']}" in text.output
    assert f"member · variant b · started 150 · completed {b['completed']}" in text.output
    assert "member · b vs a: +" in text.output
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["step", "phase"])
    rows = lines[header : header + 4]
    assert [r.split()[0] for r in rows[1:]] == ["email", "identity", "credentials"]
    # right-aligned columns: every row ends each column at the header's column end
    for column in ("reached", "completed", "conversion"):
        end = rows[0].index(column) + len(column)
        assert all(r[end - 1] != " " and (len(r) == end or r[end] == " ") for r in rows)
    assert f"{a['steps'][0]['reached']}" in rows[1]
    bad = runner.invoke(cli, ["funnel", "--since", "yesterday"])
    assert bad.exit_code != 0


def _no_personal_data(events: list[FunnelEvent], secrets: list[str]) -> None:
    for event in events:
        for value in dataclasses.asdict(event).values():
            if isinstance(value, str):
                assert "@" not in value and not any(s in value for s in secrets), event


@pytest.fixture
async def lone_admin(own_db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """``admin`` on a database of its own: the end-to-end test counts every event of the
    last second and every registration of the last hour, so nothing else may write there."""
    settings = make_settings(own_db_url, tmp_path, admin_token=TOKEN, experiments=EXPERIMENTS)
    async with started_app(settings) as h:
        yield h


async def test_events_are_recorded_end_to_end_through_the_api(lone_admin: Harness) -> None:
    admin = lone_admin
    c = admin.client
    since = datetime.now(UTC) - timedelta(seconds=1)
    rids: dict[str, str] = {}
    tokens: dict[str, dict[str, str]] = {}
    for name, asked in (("full", "b"), ("left", "a"), ("plain", None), ("foreign", "zzz")):
        body = {"flow": "member"} if asked is None else {"flow": "member", "variant": asked}
        r = await c.post("/v1/registrations", json=body)
        assert r.status_code == 201, r.text
        rids[name] = r.json()["id"]
        tokens[name] = {"Authorization": f"Bearer {r.json()['token']}"}
    variants = {
        "full": "b",
        "left": "a",
        "plain": pick("cta", rids["plain"], WEIGHTS),
        "foreign": pick("cta", rids["foreign"], WEIGHTS),
    }
    for name, rid in rids.items():
        state = (await c.get(f"/v1/registrations/{rid}", headers=tokens[name])).json()
        assert state["variant"] == variants[name]

    base = f"/v1/registrations/{rids['full']}"
    email, auth = f"ada-{uuid.uuid4().hex[:8]}@example.com", tokens["full"]
    bad = await c.post(f"{base}/steps/email", json={"email": "not-an-email"}, headers=auth)
    assert bad.status_code == 422
    assert (await c.post(f"{base}/steps/email", json={"email": email}, headers=auth)).is_success
    code = await admin.last_code(email)
    wrong = "000000" if code != "000000" else "111111"
    r = await c.post(f"{base}/verifications/email/confirm", json={"code": wrong}, headers=auth)
    assert r.status_code == 400
    r = await c.post(f"{base}/verifications/email/confirm", json={"code": code}, headers=auth)
    assert r.is_success
    username = "ada" + uuid.uuid4().hex[:8]
    identity = {"first_name": "Ada", "last_name": "Lovelace", "username": username}
    assert (await c.post(f"{base}/steps/identity", json=identity, headers=auth)).is_success
    secret = "correct horse battery staple"
    creds = {"password": secret, "password_confirmation": secret}
    assert (await c.post(f"{base}/steps/credentials", json=creds, headers=auth)).is_success
    assert (await c.post(f"{base}/complete", headers=auth)).status_code == 201
    left = f"/v1/registrations/{rids['left']}"
    other = f"bob-{uuid.uuid4().hex[:8]}@example.com"
    await c.post(f"{left}/steps/email", json={"email": other}, headers=tokens["left"])
    confirm = {"code": await admin.last_code(other)}
    await c.post(f"{left}/verifications/email/confirm", json=confirm, headers=tokens["left"])

    assert await admin.drain_events() >= len(rids)  # what the sweep or a report does
    async with admin.runtime.uow(read_only=True) as uow:
        events = await uow.reports.cohort_events(since, datetime.now(UTC) + timedelta(seconds=1))
    mine = [e for e in events if e.registration_id == rids["full"]]
    assert [(e.kind, e.step, e.code, e.channel) for e in mine] == [
        ("started", None, None, None),
        ("step_viewed", "email", None, None),
        ("step_failed", "email", "INVALID_EMAIL", None),
        ("verification_sent", None, None, "email"),
        ("verification_failed", None, "INVALID_CODE", "email"),
        ("verification_succeeded", "email", None, "email"),
        ("step_completed", "email", None, None),
        ("step_viewed", "identity", None, None),
        ("step_completed", "identity", None, None),
        ("step_viewed", "credentials", None, None),
        ("step_completed", "credentials", None, None),
        ("completed", None, None, None),
    ]
    assert {(e.flow, e.variant, e.contract) for e in mine} == {("member", "b", "native")}
    assert {e.registration_id for e in events} == set(rids.values())
    _no_personal_data(events, [username, secret, "Ada", "Lovelace", code])

    r = await c.get("/v1/admin/funnel", params={"since": "1h"}, headers=ADMIN)
    (member,) = [f for f in r.json()["flows"] if f["flow"] == "member"]
    got = {v["variant"]: v for v in member["variants"]}
    assert {k: v["started"] for k, v in got.items()} == Counter(variants.values())
    assert got["b"]["completed"] == 1 and got["a"]["completed"] == 0
    assert got["b"]["errors"] == [
        {"code": "INVALID_CODE", "events": 1, "registrations": 1, "rate": 1 / got["b"]["started"]},
        {"code": "INVALID_EMAIL", "events": 1, "registrations": 1, "rate": 1 / got["b"]["started"]},
    ]
    assert got["a"]["steps"][1]["reached"] >= 1  # "left" stopped at identity


async def test_the_sweep_expires_once_and_prunes_old_events(admin: Harness) -> None:
    ids = [(await admin.start())[0] for _ in range(2)]
    ctx = admin.runtime.services.ctx
    later = dataclasses.replace(ctx, clock=lambda: datetime.now(UTC) + timedelta(hours=2))
    racing = await asyncio.gather(
        *(Sweep(later, retention=timedelta(days=180)).run_once() for _ in range(2))
    )
    assert sum(r.expired for r in racing) >= 2
    await Sweep(later, retention=timedelta(days=180)).run_once()  # nothing left to expire
    window = (datetime.now(UTC) - timedelta(minutes=5), datetime.now(UTC) + timedelta(hours=3))
    async with admin.runtime.uow(read_only=True) as uow:
        events = await uow.reports.cohort_events(*window)
        for rid in ids:
            registration = await uow.registrations.get(rid)
            assert registration is not None and registration.status.value == "expired"
            expired = [e for e in events if e.registration_id == rid and e.kind == "expired"]
            assert [(e.step, e.variant) for e in expired] == [
                ("email", ctx.experiments.assign("member", rid))
            ]

    now = datetime.now(UTC)
    old, recent = str(uuid.uuid4()), str(uuid.uuid4())
    async with admin.runtime.uow() as uow:
        await uow.funnel.add(FunnelEvent(old, "member", "started", now - timedelta(days=400)))
        await uow.funnel.add(FunnelEvent(recent, "member", "started", now - timedelta(days=10)))
        await uow.commit()
    result = await Sweep(ctx, retention=timedelta(days=180), batch=1).run_once()
    assert result.pruned >= 1
    async with admin.runtime.uow(read_only=True) as uow:
        kept = await uow.reports.cohort_events(now - timedelta(days=500), now)
    assert recent in {e.registration_id for e in kept}
    assert old not in {e.registration_id for e in kept}


async def test_the_app_sweeps_in_the_background(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path, sweep_interval_seconds=0.05)
    async with started_app(settings, run_worker=True) as h:
        rid, _ = await h.start()
        async with h.runtime.uow() as uow:
            registration = await uow.registrations.get(rid)
            assert registration is not None
            registration.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            await uow.registrations.update(registration)
            await uow.commit()
        for _ in range(100):
            async with h.runtime.uow(read_only=True) as uow:
                registration = await uow.registrations.get(rid)
            if registration is not None and registration.status.value == "expired":
                break
            await asyncio.sleep(0.05)
        assert registration is not None and registration.status.value == "expired"


async def _completed_org(h: Harness, registration_id: str) -> str | None:
    await h.drain_events()
    async with h.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                select(funnel_events.c.organization_id).where(
                    funnel_events.c.registration_id == registration_id,
                    funnel_events.c.kind == "completed",
                )
            )
        ).one()
    return row[0]  # type: ignore[no-any-return]


async def test_completion_names_the_joined_organization_not_a_created_one(
    harness: Harness,
) -> None:
    """Org-code usage counts members who joined by code; a new organization is not a join."""
    owner_rid, owner_auth = await orgs.organization_until_complete(
        harness, orgs.unique_email("owner")
    )
    owner = await orgs.complete(harness, owner_rid, owner_auth)
    rid, auth = await harness.member_until_complete(orgs.unique_email("member"))
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/credentials",
        json={
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "org_code": owner["organization"]["join_code"],
        },
        headers=auth,
    )
    assert r.status_code == 200, r.text
    done = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert done.status_code == 201, done.text
    assert await _completed_org(harness, rid) == owner["organization"]["id"]
    assert await _completed_org(harness, owner_rid) is None


async def _statements_per_request(h: Harness, email: str) -> list[int]:
    """Statements sent to the database by each request of the member flow up to completion."""
    seen: list[str] = []

    def _count(conn: Any, cursor: Any, sql: str, *rest: Any) -> None:
        seen.append(sql)

    sync_engine = h.runtime.engine.sync_engine
    sa_event.listen(sync_engine, "before_cursor_execute", _count)
    counts: list[int] = []
    original = h.client.send

    async def counted(request: Any, **kwargs: Any) -> Any:
        before = len(seen)
        response = await original(request, **kwargs)
        if request.url.path.startswith("/v1/registrations"):
            counts.append(len(seen) - before)
        return response

    h.client.send = counted  # type: ignore[method-assign]
    try:
        rid, auth = await h.member_until_complete(email)
        assert (await h.client.post(f"/v1/registrations/{rid}/complete", headers=auth)).is_success
    finally:
        h.client.send = original  # type: ignore[method-assign]
        sa_event.remove(sync_engine, "before_cursor_execute", _count)
    return counts


async def test_recording_events_adds_no_statement_to_the_steps(db_url: str, tmp_path: Path) -> None:
    """Start, the email step, the code, the next steps and completion carry their events
    in the registration's own write: what keeps recording off the steps' throughput."""
    per_setting = {}
    for recording in (False, True):
        settings = make_settings(db_url, tmp_path / str(recording), funnel_events=recording)
        async with started_app(settings) as h:
            email = f"count-{uuid.uuid4().hex[:8]}@example.com"
            per_setting[recording] = await _statements_per_request(h, email)
            moved = await h.drain_events()
        assert (moved >= 1) is recording  # events were recorded only when on
    assert len(per_setting[True]) == 6  # start, email, confirm, identity, credentials, complete
    assert per_setting[True] == per_setting[False]
