"""The processes a benchmark runs: regflow API servers, a delivery worker, the hello-world.

Every server gets a free 127.0.0.1 port and a log file in the run's temp dir; a
PostgreSQL run gets a private database on the server of ``--database-url``,
dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url

ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM = 19456, 2, 1  # production defaults


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Service:
    """A regflow API server (one or more processes), and the worker started beside it."""

    process: subprocess.Popen[bytes]
    base_url: str
    database_url: str
    log_path: Path
    worker: subprocess.Popen[bytes] | None = None
    worker_log: Path | None = None
    logs: list[Path] = field(default_factory=list)


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
        # serve --workers 2 wants a shared rate-limit store (the limits are off here)
        REGFLOW_REDIS_URL=os.environ.get("REGFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    return env


def start_service(
    tmp: Path,
    database_url: str,
    extra_env: dict[str, str] | None = None,
    serve_args: Sequence[str] = (),
    *,
    worker: bool = False,
    name: str = "server",
) -> Service:
    """Migrate, then ``regflow serve`` (with ``serve_args``) and, if ``worker``, a
    ``regflow worker`` beside it on the same database and secret."""
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
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*regflow_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
            env=env,
            cwd=tmp,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    service = Service(process, f"http://127.0.0.1:{port}", database_url, log_path)
    service.logs.append(log_path)
    try:
        if worker:
            service.worker_log = tmp / f"{name}-worker.log"
            service.logs.append(service.worker_log)
            with service.worker_log.open("wb") as log_file:
                service.worker = subprocess.Popen(
                    [*regflow_command(), "worker"],
                    env=env,
                    cwd=tmp,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
        wait_healthy(service, timeout=300.0)  # a busy 2-core machine starts slowly
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


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of ``pid`` from /proc, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks


def cpu_seconds(*roots: subprocess.Popen[bytes] | None) -> float:
    """CPU seconds used so far by ``roots`` and all their descendants (uvicorn's worker
    processes): with the requests served, what a request costs, however busy the
    machine is."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)], used[int(entry.name)] = stat
    wanted = {p.pid for p in roots if p is not None}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in wanted} - wanted
        grew = bool(more)
        wanted |= more
    return sum(used.get(pid, 0.0) for pid in wanted)


def machine_busy() -> tuple[float, float]:
    """(busy, elapsed) CPU seconds of the whole machine so far, summed over its cores, from
    /proc/stat: what every process here used, wrk and the database server included."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    ticks = os.sysconf("SC_CLK_TCK")
    return busy / ticks, (busy + idle + iowait) / ticks


def named_cpu_seconds(name: str) -> float:
    """CPU seconds used so far by the live processes whose command is ``name``
    (``postgres``: the database server's backends, which serve this run's pooled
    connections; a backend that exits between two readings takes its seconds along, so
    the figure is meant for a machine where nothing else uses the server)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        head, _, rest = raw.rpartition(")")
        if head.split("(", 1)[-1] != name:
            continue
        fields = rest.split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        log("a benchmark process ignored SIGTERM for 15s; killing it")
        process.kill()
        process.wait(timeout=15)


def stop_service(service: Service) -> None:
    stop(service.process)
    stop(service.worker)


@contextlib.contextmanager
def hello_world(
    tmp: Path, processes: int, loop: str = "auto"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``bench.hello`` under uvicorn with ``processes`` workers on ``loop`` (auto: uvloop);
    yields its base URL and process."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.hello:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(processes),
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        "warning",
        "--loop",
        loop,
    ]
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp / f"hello-{processes}-{loop}.log"
    root = Path(__file__).resolve().parent.parent
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=root, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"hello-world exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base_url, timeout=2.0).status_code == 200:
                    break
            time.sleep(0.2)
        yield base_url, process
    finally:
        stop(process)


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
