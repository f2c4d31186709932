"""Throughput and latency of regflow against its ceilings, all measured in one run (wrk).

``python -m bench.run`` (``make bench``) measures, on this machine and in this order:

1. the argon2id hash rate in-process (one thread, and a pool of ``os.cpu_count()``
   threads: the ceiling of every call that hashes);
2. the ceiling: ``bench.hello``, a raw ASGI hello-world on uvicorn with httptools and
   uvloop (the fastest stack here), with 1 and with 2 processes; and, for reference, on
   asyncio's loop, which ``regflow serve`` runs with one process (see
   ``regflow.cli.main.event_loop``): shares are of the uvloop figure, the higher one;
3. for SQLite (a fresh file) and PostgreSQL (a private database on the server of
   ``--database-url``, default ``REGFLOW_TEST_DATABASE_URL``), with 1 and with 2 API
   processes, in the production shape (``regflow serve --no-worker`` plus one
   ``regflow worker`` draining the outbox during the load): ``start``, the cheap calls
   (the native email step and seed 004's ``send-verification-code``), ``confirm``,
   ``complete`` (1 process only: each prepared registration costs a hash), seed 004's
   ``register`` (one argon2id hash each) and ``login`` (one verification each);
4. for reference, the cheap calls with the embedded worker of ``make run``;
5. the hello-world and argon2id ceilings again: how far they moved says how noisy
   the machine was during the run.

Every request of a run that writes uses its own registration or email, prepared
beforehand over HTTP (codes read from the outbox table). It prints each figure as
req/s (2xx answers only), p50 and p99, and its share of the ceiling, and writes
``bench/results/latest.json`` (git-ignored) with copies of the server logs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.argon2 import measure_argon2
from bench.matrix import Config, bench_config
from bench.prepare import Preparer, Reg, how_many, write_lines
from bench.procs import (
    cpu_seconds,
    hello_world,
    log,
    private_pg_database,
    start_service,
    stop_service,
)
from bench.report import machine, print_report
from bench.wrk import Options, per_request, run_wrk, summarize

RESULTS_DIR = Path(__file__).resolve().parent / "results"

__all__ = [  # what bench.events and bench.enumeration reuse
    "RESULTS_DIR",
    "Options",
    "Preparer",
    "Reg",
    "how_many",
    "log",
    "run_wrk",
    "start_service",
    "stop_service",
    "summarize",
    "write_lines",
]


def ceiling(tmp: Path, processes: int, opts: Options, loop: str = "auto") -> dict[str, Any]:
    with hello_world(tmp, processes, loop) as (url, process):
        run_wrk(url, "hello", None, opts, duration=1)  # warm-up
        before = cpu_seconds(process)
        result = summarize("hello-world", run_wrk(url, "hello", None, opts))
        result["cpu_ms"] = per_request(cpu_seconds(process) - before, result)
    log(
        f"ceiling, {processes} process(es), {loop} loop: {result['rps']} req/s, "
        f"{result['cpu_ms']} ms CPU"
    )
    return {**result, "processes": processes, "loop": loop}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("REGFLOW_TEST_DATABASE_URL"),
        help="a PostgreSQL URL whose server gets a private database for the run "
        "(default: REGFLOW_TEST_DATABASE_URL; none: SQLite only)",
    )
    parser.add_argument(
        "--processes", default="1,2", help="API process counts to measure (default 1,2)"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="which databases")
    parser.add_argument("--no-reference", action="store_true", help="skip the embedded worker")
    parser.add_argument(
        "--max-prepared", type=int, default=12000, help="cap on registrations per run"
    )
    parser.add_argument("--argon2-seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    return parser.parse_args(argv)


def configs(args: argparse.Namespace) -> list[Config]:
    wanted = {name.strip().lower() for name in args.databases.split(",")}
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    found: list[Config] = []
    for database in ("sqlite", "postgresql"):
        if database not in wanted:
            continue
        if database == "postgresql" and not args.database_url:
            log("no --database-url nor REGFLOW_TEST_DATABASE_URL: PostgreSQL is skipped")
            continue
        found.extend(Config(database, n, worker="separate") for n in counts)
    if not args.no_reference and "sqlite" in wanted:
        found.append(Config("sqlite", 1, worker="embedded"))
    return found


def run_config(
    config: Config, args: argparse.Namespace, opts: Options, tmp: Path, hash_rate: float
) -> dict[str, Any]:
    name = f"{config.database}-{config.processes}p-{config.worker}"
    workdir = tmp / name
    workdir.mkdir()
    with contextlib.ExitStack() as stack:
        if config.database == "postgresql":
            url = stack.enter_context(private_pg_database(args.database_url))
        else:
            url = f"sqlite+aiosqlite:///{workdir / 'regflow.db'}"
        serve_args = ["--workers", str(config.processes)]
        separate = config.worker == "separate"
        if separate:
            serve_args.append("--no-worker")
        log(f"{name}: starting regflow serve {' '.join(serve_args)}")
        try:
            service = start_service(workdir, url, serve_args=serve_args, worker=separate)
        except RuntimeError as error:  # reported; the other configurations still run
            log(f"{name}: {error}")
            return {**asdict(config), "operations": [], "logs": [], "error": str(error)[:300]}
        try:
            operations = bench_config(service, config, workdir, opts, hash_rate)
        finally:
            stop_service(service)
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            for path in service.logs:
                shutil.copyfile(path, RESULTS_DIR / f"latest-{name}-{path.name}")
    return {
        "database": config.database,
        "processes": config.processes,
        "worker": config.worker,
        "operations": operations,
        "logs": [str(RESULTS_DIR / f"latest-{name}-{path.name}") for path in service.logs],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    opts = Options(args.duration, args.connections, args.threads, args.max_prepared)
    began = time.monotonic()
    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="regflow-bench-"))
    try:
        log(f"argon2id hash rate ({args.argon2_seconds:.0f}s single-threaded, then pooled)")
        argon2 = [measure_argon2(args.argon2_seconds)]
        counts = sorted({int(n) for n in args.processes.split(",") if n.strip()} | {1})
        ceilings = [ceiling(tmp, n, opts) for n in counts]
        # regflow serve runs one process on asyncio's loop (regflow.cli.main.event_loop):
        # its hello-world, for reference; the shares stay of uvloop's, the higher one
        reference = ceiling(tmp, 1, opts, loop="asyncio")
        hash_rate = argon2[0]["pool_per_s"]
        results = [run_config(c, args, opts, tmp, hash_rate) for c in configs(args)]
        log("the ceilings again, to see how much the machine moved")
        ceilings.append(ceiling(tmp, 1, opts))
        argon2.append(measure_argon2(args.argon2_seconds))
        info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        hello = [c["rps"] for c in ceilings if c["processes"] == 1]
        report: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": {
                "duration_s": opts.duration,
                "connections": opts.connections,
                "threads": opts.threads,
            },
            "ceilings": ceilings,
            "reference_ceiling": reference,
            "hello_1p": statistics.mean(hello),
            "hello_cpu_ms": statistics.mean(
                c["cpu_ms"] for c in ceilings if c["processes"] == 1 and c["cpu_ms"]
            ),
            "argon2": argon2,
            "hash_ceiling": statistics.mean(a["pool_per_s"] for a in argon2),
            "results": results,
            "machine": info,
            "elapsed_s": round(time.monotonic() - began, 1),
            "json_path": str(RESULTS_DIR / "latest.json"),
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        Path(report["json_path"]).write_text(json.dumps(report, indent=2) + "\n")
        print_report(report)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
