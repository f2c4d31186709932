"""Throughput and latency of the member flow, measured with wrk against a real server.

``python -m bench.run`` (``make bench``):

1. makes a temp dir with a fresh SQLite database (``regflow db upgrade``), or with
   ``--database-url`` a private database on that PostgreSQL server, and starts
   ``regflow serve`` on a free 127.0.0.1 port with the dev mailbox on, rate limits off
   and the production argon2id parameters; the server log goes to the temp dir;
2. runs wrk (``bench/flow.lua``) at 32 connections and 2 threads for each operation:
   ``start``, ``email step``, ``confirm`` and ``complete``. Every request of the last
   three uses its own registration, prepared beforehand over HTTP with httpx: the
   registrations a run used are carried into the next one (email -> confirm ->
   identity and credentials -> complete), topped up when too few, and the codes are
   read from the outbox table. How many to prepare is estimated from the rates
   measured so far; a run that outlasts its list starts over on it, and says so;
3. measures the argon2id hash rate in-process, on one thread and on a pool of
   ``os.cpu_count()`` threads;
4. prints a table and writes ``bench/results/latest.json`` (git-ignored), with a copy
   of the server log next to it;
5. stops the server (SIGTERM, then kill) and deletes the temp dir.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from regflow.persistence.tables import outbox_messages, registrations

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "flow.lua"
RESULTS_DIR = BENCH_DIR / "results"
PASSWORD = "correct horse battery staple"  # noqa: S105 - the benchmark accounts' password
ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM = 19456, 2, 1  # production defaults
WRK_TIMEOUT = "30s"  # wrk leaves slower answers out of its latency histogram: keep it wide
# How many registrations to prepare for a run: a rate times the duration times a margin.
# The email and confirm runs get the rate of start (the fastest so far; preparing for them
# is cheap). The complete run, which has run as fast as start and up to 1.6x faster than
# confirm, gets the larger of start's count and twice the faster of email and confirm,
# and no more, since each of its registrations costs an argon2id hash in the server.
MARGIN = 1.3
COMPLETE_MARGIN = 2.0
SLACK = 64


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- service


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    base_url: str
    database_url: str
    log_path: Path


def regflow_command() -> list[str]:
    script = Path(sys.executable).with_name("regflow")
    if script.exists():
        return [str(script)]
    found = shutil.which("regflow")
    if found:
        return [found]
    return [sys.executable, "-c", "from regflow.cli.main import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(tmp: Path, database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGFLOW_")}
    env.update(
        REGFLOW_DATABASE_URL=database_url,
        REGFLOW_DATA_DIR=str(tmp / "data"),
        REGFLOW_SECRET_KEY=secrets.token_urlsafe(48),
        REGFLOW_PUBLIC_URL=f"http://127.0.0.1:{port}",
        REGFLOW_DEV_MAILBOX="true",
        REGFLOW_RATE_LIMITS_ENABLED="false",
        REGFLOW_ARGON2_MEMORY_KIB=str(ARGON2_MEMORY_KIB),
        REGFLOW_ARGON2_TIME_COST=str(ARGON2_TIME_COST),
        REGFLOW_ARGON2_PARALLELISM=str(ARGON2_PARALLELISM),
        REGFLOW_LOG_LEVEL="INFO",
        REGFLOW_LOG_JSON="true",
    )
    return env


def start_service(tmp: Path, database_url: str, extra_env: dict[str, str] | None = None) -> Service:
    port = free_port()
    env = {**service_env(tmp, database_url, port), **(extra_env or {})}
    upgrade = subprocess.run(
        [*regflow_command(), "db", "upgrade"],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    if upgrade.returncode != 0:
        raise RuntimeError(f"regflow db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
    log_path = tmp / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*regflow_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    service = Service(process, f"http://127.0.0.1:{port}", database_url, log_path)
    try:
        wait_healthy(service, timeout=60.0)
    except BaseException:
        stop_service(service)
        raise
    return service


def wait_healthy(service: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            tail = service.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"regflow serve exited ({service.process.returncode}):\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{service.base_url}/healthz", timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"regflow serve did not answer /healthz within {timeout:.0f}s")


def stop_service(service: Service) -> None:
    process = service.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        log("the server ignored SIGTERM for 15s; killing it")
        process.kill()
        process.wait(timeout=15)


@contextlib.contextmanager
def private_pg_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server of ``server_url``, dropped afterwards."""
    url = make_url(server_url)
    name = f"regflow_bench_{secrets.token_hex(5)}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- preparing


@dataclass
class Reg:
    """A registration prepared over HTTP; ``n`` makes its email and username unique."""

    n: int
    id: str
    token: str
    email: str
    code: str = "-"


@dataclass
class Preparer:
    """Walks registrations through the member flow with bounded concurrency."""

    base_url: str
    database_url: str
    concurrency: int = 16
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    failures: Counter[str] = field(default_factory=Counter)
    credentials_rate: dict[str, Any] = field(default_factory=dict)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        return httpx.AsyncClient(base_url=self.base_url, timeout=120.0, limits=limits)

    async def _post(
        self, client: httpx.AsyncClient, label: str, path: str, token: str | None, body: Any
    ) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            self.failures[f"{label}: {type(exc).__name__}"] += 1
            return None
        if response.is_success:
            answer: dict[str, Any] = response.json()
            return answer
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            code = str(response.json().get("code", ""))
        self.failures[f"{label}: {response.status_code} {code}".rstrip()] += 1
        return None

    async def _each(
        self,
        regs: Sequence[Reg],
        step: Callable[[httpx.AsyncClient, Reg], Awaitable[bool]],
    ) -> list[Reg]:
        gate = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:

            async def one(reg: Reg) -> bool:
                async with gate:
                    return await step(client, reg)

            oks = await asyncio.gather(*(one(reg) for reg in regs))
        return [reg for reg, ok in zip(regs, oks, strict=True) if ok]

    async def starts(self, count: int) -> list[Reg]:
        gate = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:

            async def one() -> Reg | None:
                async with gate:
                    body = await self._post(
                        client, "start", "/v1/registrations", None, {"flow": "member"}
                    )
                if body is None:
                    return None
                n = next(self._numbers)
                email = f"bench-{self.tag}-{n}@example.com"
                return Reg(n, str(body["id"]), str(body["token"]), email)

            made = await asyncio.gather(*(one() for _ in range(count)))
        return [reg for reg in made if reg is not None]

    async def emails(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/steps/email"
            return (
                await self._post(client, "email", path, reg.token, {"email": reg.email}) is not None
            )

        return await self._each(regs, step)

    async def with_codes(self, regs: Sequence[Reg]) -> list[Reg]:
        """Those of ``regs`` whose code is in the outbox, with it (read from the table)."""
        wanted = {reg.email for reg in regs}
        codes: dict[str, str] = {}
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                t = outbox_messages
                rows = await conn.execute(
                    select(t.c.recipient, t.c.context)
                    .where(t.c.template == "verification_code")
                    .order_by(t.c.created_at)
                )
                for recipient, context in rows:
                    if recipient in wanted and "code" in context:
                        codes[recipient] = str(context["code"])  # the newest wins
        finally:
            await engine.dispose()
        kept = []
        for reg in regs:
            if reg.email in codes:
                reg.code = codes[reg.email]
                kept.append(reg)
        return kept

    async def email_verified(self, regs: Sequence[Reg]) -> list[Reg]:
        """Those of ``regs`` whose email is verified (read from the table)."""
        ids = [reg.id for reg in regs]
        verified: set[str] = set()
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                t = registrations
                for offset in range(0, len(ids), 500):
                    chunk = ids[offset : offset + 500]
                    rows = await conn.execute(select(t.c.id, t.c.verified).where(t.c.id.in_(chunk)))
                    verified.update(rid for rid, marks in rows if marks and marks.get("email"))
        finally:
            await engine.dispose()
        return [reg for reg in regs if reg.id in verified]

    async def confirms(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/verifications/email/confirm"
            return (
                await self._post(client, "confirm", path, reg.token, {"code": reg.code}) is not None
            )

        return await self._each(regs, step)

    async def identities(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/steps/identity"
            body = {"first_name": "Ada", "last_name": "Lovelace", "username": self.username(reg)}
            return await self._post(client, "identity", path, reg.token, body) is not None

        return await self._each(regs, step)

    async def credentials(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/steps/credentials"
            body = {"password": PASSWORD, "password_confirmation": PASSWORD}
            return await self._post(client, "credentials", path, reg.token, body) is not None

        return await self._each(regs, step)

    def username(self, reg: Reg) -> str:
        return f"b{self.tag}{reg.n}"

    async def through_email(self, count: int) -> list[Reg]:
        """``count`` new registrations with the email step submitted and their codes."""
        return await self.with_codes(await self.emails(await self.starts(count)))


def write_lines(path: Path, regs: Sequence[Reg], arg: Callable[[Reg], str]) -> Path:
    path.write_text("".join(f"{reg.id} {reg.token} {arg(reg)}\n" for reg in regs))
    return path


def how_many(rate: float, duration: int, margin: float, cap: int) -> int:
    return min(cap, math.ceil(rate * duration * margin) + SLACK)


# --------------------------------------------------------------------------- wrk


@dataclass
class Options:
    duration: int
    connections: int
    threads: int
    max_prepared: int


def run_wrk(base_url: str, mode: str, lines: Path | None, opts: Options) -> dict[str, Any]:
    command = [
        "wrk",
        "-t",
        str(opts.threads),
        "-c",
        str(opts.connections),
        "-d",
        f"{opts.duration}s",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(LUA_SCRIPT),
        base_url,
        "--",
        mode,
        str(lines) if lines else "-",
        str(opts.threads),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=opts.duration + 120
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            return data
    raise RuntimeError(
        f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    )


def summarize(operation: str, data: dict[str, Any]) -> dict[str, Any]:
    statuses = {int(code): count for code, count in data["statuses"].items()}
    ok = sum(count for code, count in statuses.items() if 200 <= code < 300)
    seconds = data["duration_us"] / 1e6
    latency = data["latency_us"]
    errors = data["errors"]
    return {
        "operation": operation,
        "requests": data["requests"],
        "ok": ok,
        "non_2xx": data["requests"] - ok,
        "duration_s": round(seconds, 3),
        "rps": round(ok / seconds, 1) if seconds else 0.0,
        "rps_all": round(data["requests"] / seconds, 1) if seconds else 0.0,
        "latency_ms": {k: round(v / 1000, 2) for k, v in latency.items()},
        "statuses": {str(code): statuses[code] for code in sorted(statuses)},
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "prepared": data["prepared"] if operation != "start" else None,
        "issued": data["issued"],
        "reused": data["reused"],
    }


# --------------------------------------------------------------------------- argon2


def measure_argon2(seconds: float) -> dict[str, Any]:
    """argon2id hashes per second with the production parameters, as the service hashes."""
    hasher = Argon2Hasher(
        memory_cost=ARGON2_MEMORY_KIB, time_cost=ARGON2_TIME_COST, parallelism=ARGON2_PARALLELISM
    )
    hasher.hash(PASSWORD)  # warm-up

    def hash_until(deadline: float) -> int:
        done = 0
        while time.perf_counter() < deadline:
            hasher.hash(PASSWORD)
            done += 1
        return done

    started = time.perf_counter()
    single = hash_until(started + seconds) / (time.perf_counter() - started)
    workers = os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        started = time.perf_counter()
        counts = list(pool.map(hash_until, [started + seconds] * workers))
        pooled = sum(counts) / (time.perf_counter() - started)
    return {
        "parameters": {
            "memory_kib": ARGON2_MEMORY_KIB,
            "time_cost": ARGON2_TIME_COST,
            "parallelism": ARGON2_PARALLELISM,
        },
        "single_thread_per_s": round(single, 1),
        "pool_workers": workers,
        "pool_per_s": round(pooled, 1),
        "ms_per_hash": round(1000 / single, 1),
    }


# --------------------------------------------------------------------------- server log


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


def scan_server_log(path: Path, operations: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Levels, answers by route and status, warnings and errors; and for each wrk run the
    server's own view (its access log) of the requests that arrived during the run,
    including those still running when wrk stopped, which wrk never counts."""
    levels: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    notable: list[str] = []
    problems: Counter[str] = Counter()
    windows = [
        (
            op,
            datetime.fromisoformat(op["window"]["from"]),
            datetime.fromisoformat(op["window"]["to"]),
        )
        for op in operations
    ]
    seen: dict[str, list[tuple[float, int, bool]]] = {op["operation"]: [] for op in operations}
    other = 0
    for raw in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            other += 1
            if len(notable) < 20:
                notable.append(raw)
            continue
        level = str(entry.get("level", "?"))
        levels[level] += 1
        if entry.get("msg") != "request":
            if level not in {"info", "debug"}:
                exc = str(entry.get("exc", "")).strip().splitlines()
                problems[f"{level}: {entry.get('msg', '')!s:.80} {exc[-1] if exc else ''}"] += 1
                if len(notable) < 20:
                    notable.append(raw)
            continue
        route, status = str(entry.get("route")), int(entry.get("status", 0))
        answers[f"{entry.get('method')} {route} {status}"] += 1
        ms = float(entry.get("ms", 0.0))
        with contextlib.suppress(KeyError, ValueError):
            ended = datetime.fromisoformat(str(entry["ts"]))
            began = ended - timedelta(milliseconds=ms)
            for op, lo, hi in windows:
                if op["window"]["route"] == route and lo <= began <= hi:
                    seen[op["operation"]].append((ms, status, ended > hi))
    for op in operations:
        rows = seen[op["operation"]]
        times = [ms for ms, _, _ in rows]
        op["server"] = {
            "requests": len(rows),
            "after_wrk_stopped": sum(late for _, _, late in rows),
            "responses_5xx": sum(status >= 500 for _, status, _ in rows),
            "p50_ms": percentile(times, 50),
            "p99_ms": percentile(times, 99),
            "max_ms": max(times, default=0.0),
        }
    server_errors = sum(n for key, n in answers.items() if key.rsplit(" ", 1)[1].startswith("5"))
    return {
        "levels": dict(levels),
        "answers": dict(sorted(answers.items())),
        "responses_5xx": server_errors,
        "non_json_lines": other,
        "problems": dict(problems.most_common()),
        "notable": notable,
    }


# --------------------------------------------------------------------------- the run


ROUTES = {
    "start": "/v1/registrations",
    "email": "/v1/registrations/{registration_id}/steps/{step}",
    "confirm": "/v1/registrations/{registration_id}/verifications/{channel}/confirm",
    "complete": "/v1/registrations/{registration_id}/complete",
}


def bench(service: Service, tmp: Path, opts: Options) -> tuple[list[dict[str, Any]], Preparer]:
    prep = Preparer(service.base_url, service.database_url)
    url, d, cap = service.base_url, opts.duration, opts.max_prepared
    results: list[dict[str, Any]] = []

    def measure(operation: str, mode: str, lines: Path | None) -> dict[str, Any]:
        log(f"wrk: {operation} for {d}s at {opts.connections} connections")
        began = datetime.now(UTC)
        result = summarize(operation, run_wrk(url, mode, lines, opts))
        result["window"] = {
            "route": ROUTES[mode],
            "from": began.isoformat(),
            "to": datetime.now(UTC).isoformat(),
        }
        results.append(result)
        log(f"  {result['requests']} requests, {result['rps']} rps, {result['non_2xx']} non-2xx")
        return result

    def run(coroutine: Coroutine[Any, Any, list[Reg]]) -> list[Reg]:
        return asyncio.run(coroutine)

    log("warm-up: 32 registrations through the email step")
    run(prep.through_email(32))

    start = measure("start", "start", None)

    # email: new registrations; start is the cheapest write, so its rate bounds this one's.
    count = how_many(start["rps"], d, MARGIN, cap)
    log(f"preparing {count} registrations for the email step")
    fresh = run(prep.starts(count))
    email = measure("email step", "email", write_lines(tmp / "email.txt", fresh, lambda r: r.email))

    # confirm: those the email run submitted have their code in the outbox; the ones it
    # did not reach get their email step now, and new ones if that is still too few.
    count = how_many(start["rps"], d, MARGIN, cap)
    pool = run(prep.with_codes(fresh))
    used = {reg.id for reg in pool}
    unused = [reg for reg in fresh if reg.id not in used]
    if len(pool) < count:
        log(f"preparing {count - len(pool)} more registrations through the email step")
        pool += run(prep.with_codes(run(prep.emails(unused[: count - len(pool)]))))
    if len(pool) < count:
        pool += run(prep.through_email(count - len(pool)))
    confirm = measure(
        "confirm", "confirm", write_lines(tmp / "confirm.txt", pool, lambda r: r.code)
    )

    # complete: those the confirm run verified, then the rest confirmed now, then new
    # ones; identity and credentials for all (each credentials step hashes with argon2id).
    # A complete run that outlasts its list gets 409 ALREADY_COMPLETED, counted as non-2xx.
    count = max(
        how_many(start["rps"], d, MARGIN, cap),
        how_many(max(confirm["rps"], email["rps"]), d, COMPLETE_MARGIN, cap),
    )
    verified = run(prep.email_verified(pool))
    done = {reg.id for reg in verified}
    pending = [reg for reg in pool if reg.id not in done]
    pool = verified[:count]
    if len(pool) < count:
        log(f"confirming {min(count - len(pool), len(pending))} more registrations")
        pool += run(prep.confirms(pending[: count - len(pool)]))
    if len(pool) < count:
        log(f"preparing {count - len(pool)} more registrations through confirmation")
        pool += run(prep.confirms(run(prep.through_email(count - len(pool)))))
    log(f"identity and credentials for {len(pool)} registrations (argon2id in the server)")
    pool = run(prep.identities(pool))
    began = time.monotonic()
    pool = run(prep.credentials(pool))
    seconds = time.monotonic() - began
    prep.credentials_rate = {
        "steps": len(pool),
        "seconds": round(seconds, 1),
        "per_s": round(len(pool) / seconds, 1) if seconds else 0.0,
        "concurrency": prep.concurrency,
    }
    log(f"  credentials: {len(pool)} in {seconds:.1f}s")
    measure("complete", "complete", write_lines(tmp / "complete.txt", pool, lambda r: "-"))
    return results, prep


def machine() -> dict[str, Any]:
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (wrk_version.stdout or wrk_version.stderr).strip().splitlines()
    return {
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": first[0] if first else "?",
    }


def print_report(report: dict[str, Any]) -> None:
    header = ("operation", "requests", "rps", "p50 ms", "p99 ms", "non-2xx")
    rows = [
        (
            r["operation"],
            str(r["requests"]),
            f"{r['rps']:.1f}",
            f"{r['latency_ms']['p50']:.1f}",
            f"{r['latency_ms']['p99']:.1f}",
            str(r["non_2xx"]),
        )
        for r in report["operations"]
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return " | ".join(cells)

    cfg, m, a = report["config"], report["machine"], report["argon2"]
    print()
    print(
        f"regflow member flow, {cfg['database']}, wrk -t{cfg['threads']} -c{cfg['connections']} "
        f"-d{cfg['duration_s']}s (rps counts 2xx answers only)"
    )
    print(fmt(header))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
    print()
    for r in report["operations"]:
        notes = []
        if r["prepared"] is not None:
            used = min(r["issued"], r["prepared"])
            notes.append(f"{r['prepared']} registrations prepared, {used} used")
            if r["reused"]:
                notes.append(f"list ran out: {r['reused']} requests reused a registration")
            else:
                notes.append("each used once")
        if r["non_2xx"]:
            notes.append(f"statuses {r['statuses']}")
        sock = {k: v for k, v in r["socket_errors"].items() if v}
        if sock:
            notes.append(f"socket errors {sock}")
        notes.append(f"p90 {r['latency_ms']['p90']:.0f} ms, max {r['latency_ms']['max']:.0f} ms")
        server = r.get("server")
        if server:
            notes.append(
                f"server log: {server['requests']} arrived, {server['after_wrk_stopped']} "
                f"finished after wrk stopped, p99 {server['p99_ms']:.0f} ms, "
                f"max {server['max_ms']:.0f} ms, {server['responses_5xx']} 5xx"
            )
        print(f"  {r['operation']}: " + "; ".join(notes))
    print()
    print(
        f"argon2id m={a['parameters']['memory_kib']},t={a['parameters']['time_cost']},"
        f"p={a['parameters']['parallelism']}: {a['single_thread_per_s']:.1f} hashes/s on one "
        f"thread ({a['ms_per_hash']:.0f} ms each), {a['pool_per_s']:.1f} hashes/s on "
        f"{a['pool_workers']} threads"
    )
    print(
        f"machine: {m['cpu_count']} CPUs, load average {m['load_average']} before the run, "
        f"{m['platform']}, Python {m['python']}, {m['wrk']}"
    )
    print("server and wrk share these CPUs, and so does anything else running here.")
    s = report["server_log"]
    print(f"server log: levels {s['levels']}, 5xx answers {s['responses_5xx']}")
    for problem, count in s["problems"].items():
        print(f"  {count} x {' '.join(problem.split())}")
    if s["non_json_lines"]:
        plain = next((line for line in s["notable"] if not line.startswith('{"')), "")
        print(f"  {s['non_json_lines']} lines that are not JSON, for example: {plain[:200]}")
    c = report["prep_credentials"]
    if c:
        print(
            f"credentials step while preparing (argon2id in the server, httpx, "
            f"{c['concurrency']} at a time): {c['steps']} in {c['seconds']}s = {c['per_s']}/s"
        )
    if report["prep_failures"]:
        print(f"preparation failures: {report['prep_failures']}")
    print(f"total {report['elapsed_s']:.0f}s; JSON in {report['json_path']}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--duration",
        default="10s",
        help="seconds per wrk run, like 10 or 10s (default 10s)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL whose server gets a private database for the run "
        "(default: a fresh SQLite file)",
    )
    parser.add_argument(
        "--max-prepared", type=int, default=20000, help="cap on registrations per run"
    )
    parser.add_argument("--argon2-seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        duration = int(str(args.duration).removesuffix("s"))
    except ValueError:
        duration = 0
    if duration < 1:
        print(f"--duration: whole seconds like 10 or 10s, not {args.duration!r}", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    opts = Options(duration, args.connections, args.threads, args.max_prepared)
    began = time.monotonic()
    info = machine()
    log(f"argon2id hash rate ({args.argon2_seconds:.0f}s single-threaded, then pooled)")
    argon2 = measure_argon2(args.argon2_seconds)
    tmp = Path(tempfile.mkdtemp(prefix="regflow-bench-"))
    try:
        with contextlib.ExitStack() as stack:
            if args.database_url:
                database_url = stack.enter_context(private_pg_database(args.database_url))
                database = "PostgreSQL"
            else:
                database_url = f"sqlite+aiosqlite:///{tmp / 'regflow.db'}"
                database = "SQLite"
            log(f"starting regflow serve on {database} in {tmp}")
            service = start_service(tmp, database_url)
            try:
                operations, prep = bench(service, tmp, opts)
            finally:
                stop_service(service)
                RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(service.log_path, RESULTS_DIR / "latest-server.log")
        json_path = RESULTS_DIR / "latest.json"
        report: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": {
                "database": database,
                "duration_s": duration,
                "connections": opts.connections,
                "threads": opts.threads,
                "wrk_timeout": WRK_TIMEOUT,
            },
            "operations": operations,
            "argon2": argon2,
            "machine": info,
            "server_log": scan_server_log(RESULTS_DIR / "latest-server.log", operations),
            "prep_failures": dict(prep.failures),
            "prep_credentials": prep.credentials_rate,
            "elapsed_s": round(time.monotonic() - began, 1),
            "json_path": str(json_path),
        }
        json_path.write_text(json.dumps(report, indent=2) + "\n")
        print_report(report)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
