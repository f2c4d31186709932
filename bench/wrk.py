"""wrk runs of ``bench/flow.lua`` and their summary (req/s of 2xx answers, latency)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA_SCRIPT = Path(__file__).resolve().parent / "flow.lua"
WRK_TIMEOUT = "30s"  # wrk leaves slower answers out of its latency histogram: keep it wide


@dataclass
class Options:
    duration: int
    connections: int
    threads: int
    max_prepared: int


def run_wrk(
    base_url: str, mode: str, lines: Path | str | None, opts: Options, *, duration: int = 0
) -> dict[str, Any]:
    """One wrk run of ``mode``; ``lines`` is the prepared file (send_code: a tag)."""
    seconds = duration or opts.duration
    command = [
        "wrk",
        "-t",
        str(opts.threads),
        "-c",
        str(opts.connections),
        "-d",
        f"{seconds}s",
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
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
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
        "prepared": data["prepared"] or None,
        "issued": data["issued"],
        "reused": data["reused"],
    }


def per_request(cpu_seconds: float, result: dict[str, Any]) -> float:
    """CPU milliseconds per answered request."""
    return round(1000 * cpu_seconds / result["requests"], 3) if result["requests"] else 0.0
