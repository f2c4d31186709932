"""What recording funnel events costs: the email step with and without them.

Starts ``regflow serve`` on a fresh SQLite database per round, alternating
``REGFLOW_FUNNEL_EVENTS=false`` and ``true`` so machine noise falls on both,
and measures the email step with wrk at the same concurrency as ``bench.run``.
Each recorded event rides on the registration's own write (``persistence/funnel.py``),
so recording adds no statement to the step; what this measures is the rest (building
and encoding the events, a longer ``UPDATE``). Rounds are paired, off then on, and
the cost is given both from the medians and as the median of the per-pair ratios,
which cancels most of the drift of a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.run import (
    RESULTS_DIR,
    Options,
    Preparer,
    log,
    run_wrk,
    start_service,
    stop_service,
    summarize,
    write_lines,
)


def one_round(events: bool, opts: Options, count: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="regflow-bench-events-"))
    try:
        url = f"sqlite+aiosqlite:///{tmp / 'regflow.db'}"
        service = start_service(tmp, url, {"REGFLOW_FUNNEL_EVENTS": str(events).lower()})
        try:
            prep = Preparer(service.base_url, url)
            asyncio.run(prep.through_email(16))  # warm-up
            fresh = asyncio.run(prep.starts(count))
            lines = write_lines(tmp / "email.txt", fresh, lambda r: r.email)
            result = summarize("email step", run_wrk(service.base_url, "email", lines, opts))
        finally:
            stop_service(service)
        log(
            f"  events {'on ' if events else 'off'}: {result['rps']} rps, "
            f"p50 {result['latency_ms'].get('p50')} ms, {result['non_2xx']} non-2xx"
        )
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per setting")
    parser.add_argument("--registrations", type=int, default=1200)
    args = parser.parse_args(argv)
    opts = Options(duration=args.duration, connections=32, threads=2, max_prepared=0)
    rounds: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for _ in range(args.rounds):
        for events in (False, True):
            rounds[events].append(one_round(events, opts, args.registrations))
    off = statistics.median(r["rps"] for r in rounds[False])
    on = statistics.median(r["rps"] for r in rounds[True])
    cost = (off - on) / off * 100 if off else 0.0
    pairs = [
        (a["rps"] - b["rps"]) / a["rps"] * 100
        for a, b in zip(rounds[False], rounds[True], strict=True)
        if a["rps"]
    ]
    paired = statistics.median(pairs) if pairs else 0.0
    print()
    print(
        "email step throughput, funnel events off vs on "
        f"(median of {args.rounds} alternating rounds, wrk -c32 -d{args.duration}s)"
    )
    print(f"  events off: {off:8.1f} rps   {[r['rps'] for r in rounds[False]]}")
    print(f"  events on:  {on:8.1f} rps   {[r['rps'] for r in rounds[True]]}")
    print(f"  recording costs {cost:+.1f}% of throughput (negative: within noise)")
    print(f"  per pair of rounds: {[round(p, 1) for p in pairs]}, median {paired:+.1f}%")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "events.json").write_text(
        json.dumps(
            {
                "off": rounds[False],
                "on": rounds[True],
                "cost_percent": cost,
                "paired_cost_percent": paired,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
