"""The operations measured on one running service (one database, one process count)."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.prepare import Preparer, Reg, how_many, write_lines
from bench.procs import Service, cpu_seconds, log, machine_busy, named_cpu_seconds
from bench.wrk import Options, per_request, run_wrk, summarize

MARGIN = 1.3  # prepared registrations: the rate expected, times the duration, times this
HASH_MARGIN = 1.6  # register: the argon2id ceiling is the rate expected; never run out


@dataclass(frozen=True)
class Config:
    database: str  # sqlite | postgresql
    processes: int  # API processes (uvicorn workers)
    worker: str  # separate (--no-worker + regflow worker) | embedded


def bench_config(
    service: Service, config: Config, tmp: Path, opts: Options, hash_rate: float
) -> list[dict[str, Any]]:
    prep = Preparer(service.base_url, service.database_url)
    url, d, cap = service.base_url, opts.duration, opts.max_prepared
    results: list[dict[str, Any]] = []
    label = f"{config.database} {config.processes}p {config.worker} worker"

    def measure(
        operation: str, mode: str, lines: Path | str | None, seconds: int = 0
    ) -> dict[str, Any]:
        seconds = seconds or d
        log(f"{label}: wrk {operation} for {seconds}s at {opts.connections} connections")
        api, worker = cpu_seconds(service.process), cpu_seconds(service.worker)
        server, (busy, elapsed) = named_cpu_seconds("postgres"), machine_busy()
        result = summarize(operation, run_wrk(url, mode, lines, opts, duration=seconds))
        result["cpu_ms"] = per_request(cpu_seconds(service.process) - api, result)
        result["worker_cpu_ms"] = per_request(cpu_seconds(service.worker) - worker, result)
        if config.database == "postgresql":
            result["db_cpu_ms"] = per_request(named_cpu_seconds("postgres") - server, result)
        busy_after, elapsed_after = machine_busy()
        # cores busy on average during the run (the machine's cores, all processes)
        cores = os.cpu_count() or 1
        result["cores_busy"] = round(cores * (busy_after - busy) / (elapsed_after - elapsed), 2)
        results.append(result)
        log(
            f"  {result['rps']} req/s, p99 {result['latency_ms']['p99']} ms, "
            f"{result['cpu_ms']} ms CPU a request, {result['cores_busy']} cores busy, "
            f"{result['statuses']}"
        )
        return result

    def run(coroutine: Coroutine[Any, Any, list[Reg]]) -> list[Reg]:
        return asyncio.run(coroutine)

    log("warm-up: 32 registrations through the email step, 8 seed 004 send-code calls")
    run(prep.through_email(32))
    run(prep.seed004_verified(8))

    start = measure("start", "start", None)
    # start is the cheapest write: its rate bounds the email step's
    count = how_many(start["rps"], d, MARGIN, cap)
    log(f"preparing {count} registrations for the email step")
    fresh = run(prep.starts(count))
    email = measure("email step", "email", write_lines(tmp / "email.txt", fresh, lambda r: r.email))
    measure("send-code (seed 004)", "send_code", f"{secrets.token_hex(3)}")

    # confirm: those the email run reached have their code in the outbox; the others of
    # the list get their email step now
    pool = run(prep.with_codes(fresh))
    used = {reg.id for reg in pool}
    unused = [reg for reg in fresh if reg.id not in used]
    if len(pool) < count and unused:
        log(f"the email step for {min(len(unused), count - len(pool))} more registrations")
        pool += run(prep.with_codes(run(prep.emails(unused[: count - len(pool)]))))
    confirm = measure(
        "confirm", "confirm", write_lines(tmp / "confirm.txt", pool, lambda r: r.code)
    )
    del email

    if config.processes == 1 and config.worker == "separate":
        complete_run(prep, pool, confirm, measure, tmp, opts, hash_rate)

    if config.worker == "separate":
        count = how_many(hash_rate, d, HASH_MARGIN, cap)
        log(f"preparing {count} verified emails for seed 004's register")
        verified = run(prep.seed004_verified(count))
        measure("register (seed 004)", "register", write_lines(tmp / "reg.txt", verified, _email))
        accounts = run(prep.with_accounts(verified))
        if accounts:
            measure("login", "login", write_lines(tmp / "login.txt", accounts, _email))
        else:
            log("no account was registered: login is skipped")
    return results


def complete_run(
    prep: Preparer,
    pool: list[Reg],
    confirm: dict[str, Any],
    measure: Callable[..., dict[str, Any]],
    tmp: Path,
    opts: Options,
    hash_rate: float,
) -> None:
    """complete: registrations verified by the confirm run, through identity and
    credentials (one argon2id hash each, in the server) beforehand. How many: what
    the hash rate prepares in about 2.5 run lengths, since the list must not run out."""
    d = opts.duration
    verified = asyncio.run(prep.email_verified(pool))
    count = min(len(verified), how_many(max(hash_rate, 1.0), d * 5 // 2, 1.0, opts.max_prepared))
    chosen = verified[:count]
    log(f"identity and credentials for {len(chosen)} registrations (argon2id in the server)")
    chosen = asyncio.run(prep.identities(chosen))
    began = time.monotonic()
    chosen = asyncio.run(prep.credentials(chosen))
    log(f"  credentials: {len(chosen)} in {time.monotonic() - began:.1f}s")
    if not chosen:
        return
    # as long as the list lasts at the confirm rate (complete has run faster than confirm)
    seconds = max(1, min(d, int(len(chosen) / max(confirm["rps"], 1.0))))
    lines = write_lines(tmp / "complete.txt", chosen, lambda r: "-")
    measure("complete", "complete", lines, seconds)


def _email(reg: Reg) -> str:
    return reg.email
