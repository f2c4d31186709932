"""The table ``bench.run`` prints: each figure, its share of its ceiling, the acceptance."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HASHING = {"register (seed 004)", "login"}
CHEAP = ("email step", "send-code (seed 004)")


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


def scan_logs(paths: Sequence[str]) -> dict[str, Any]:
    """Levels, 5xx answers, 'database is locked' and the other problems the servers and
    the worker logged."""
    levels: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    errors_5xx = locked = 0
    for path in paths:
        for raw in Path(path).read_text(errors="replace").splitlines():
            if "database is locked" in raw:
                locked += 1
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            level = str(entry.get("level", "?"))
            levels[level] += 1
            if entry.get("msg") == "request":
                errors_5xx += int(entry.get("status", 0)) >= 500
            elif level not in {"info", "debug"}:
                exc = str(entry.get("exc", "")).strip().splitlines()
                problems[f"{level}: {entry.get('msg', '')!s:.80} {exc[-1] if exc else ''}"] += 1
    return {
        "levels": dict(levels),
        "responses_5xx": errors_5xx,
        "database_is_locked": locked,
        "problems": dict(problems.most_common(8)),
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _share(op: dict[str, Any], ceiling: float) -> str:
    return f"{100 * op['rps'] / ceiling:.2f} %" if ceiling else "-"


def _cpu_share(op: dict[str, Any], hello_cpu: float) -> str:
    if op["operation"] in HASHING or not op.get("cpu_ms"):
        return "-"
    return f"{100 * hello_cpu / op['cpu_ms']:.2f} %"


def _find(report: dict[str, Any], database: str, processes: int, worker: str, op: str) -> Any:
    for result in report["results"]:
        if (result["database"], result["processes"], result["worker"]) == (
            database,
            processes,
            worker,
        ):
            for o in result["operations"]:
                if o["operation"] == op:
                    return o
    return None


def print_report(report: dict[str, Any]) -> None:
    hello = {c["processes"]: c["rps"] for c in report["ceilings"]}
    hello[1] = report["hello_1p"]
    hashes = report["hash_ceiling"]
    hello_cpu = report["hello_cpu_ms"]
    header = (
        *("database", "API", "worker", "operation"),
        *("req/s", "p50 ms", "p99 ms", "non-2xx", "of ceiling", "CPU ms/req", "CPU ratio"),
        *("worker ms", "db ms", "cores busy"),
    )
    rows: list[tuple[str, ...]] = []
    for c in report["ceilings"]:
        lat = c["latency_ms"]
        rows.append(
            (
                *("-", f"{c['processes']}p", "-", "hello-world (ceiling)", f"{c['rps']:.0f}"),
                *(f"{lat['p50']:.1f}", f"{lat['p99']:.1f}", str(c["non_2xx"]), "100 %"),
                *(f"{c.get('cpu_ms', 0):.3f}", "100 %", "-", "-", "-"),
            )
        )
    ref = report.get("reference_ceiling")
    if ref:
        lat = ref["latency_ms"]
        rows.append(
            (
                *("-", "1p", "-", "hello-world, asyncio loop", f"{ref['rps']:.0f}"),
                *(f"{lat['p50']:.1f}", f"{lat['p99']:.1f}", str(ref["non_2xx"])),
                *(_share(ref, hello[1]), f"{ref.get('cpu_ms', 0):.3f}"),
                *(_cpu_share(ref, hello_cpu), "-", "-", "-"),
            )
        )
    for result in report["results"]:
        result["scan"] = scan_logs(result["logs"])
        for op in result["operations"]:
            lat = op["latency_ms"]
            hashing = op["operation"] in HASHING
            share = _share(op, hashes) + " argon2id" if hashing else _share(op, hello[1])
            rows.append(
                (
                    *(result["database"], f"{result['processes']}p", result["worker"]),
                    *(op["operation"], f"{op['rps']:.1f}", f"{lat['p50']:.1f}"),
                    *(f"{lat['p99']:.1f}", str(op["non_2xx"]), share),
                    *(f"{op['cpu_ms']:.3f}", _cpu_share(op, hello_cpu)),
                    *(_ms(op.get("worker_cpu_ms")), _ms(op.get("db_cpu_ms"))),
                    f"{op['cores_busy']:.2f}" if "cores_busy" in op else "-",
                )
            )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        return " | ".join(
            c.ljust(w) if i < 4 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    cfg, m = report["config"], report["machine"]
    print()
    print(
        f"regflow against its ceilings, wrk -t{cfg['threads']} -c{cfg['connections']} "
        f"-d{cfg['duration_s']}s; req/s counts 2xx answers; 'of ceiling': of the 1-process "
        f"hello-world ({hello[1]:.0f} req/s, mean of its runs), or of the argon2id pool "
        f"({hashes:.1f} hashes/s) for the calls that hash. 'CPU ms/req': CPU the API "
        f"processes spent per request (from /proc, robust to a busy machine); 'CPU ratio': "
        f"the hello-world's CPU per request over this one's ({hello_cpu:.3f} ms); "
        f"'worker ms': the delivery worker's CPU per request; 'db ms': PostgreSQL's "
        f"backends' CPU per request; 'cores busy': the whole machine's busy cores on average "
        f"during the run (wrk, the servers, the worker, the database and anything else), of "
        f"{report['machine']['cpu_count']}"
    )
    print(fmt(header))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
    print()
    for result in report["results"]:
        if result.get("error"):
            print(f"{result['database']} {result['processes']}p: not measured: {result['error']}")
            continue
        scan = result["scan"]
        print(
            f"{result['database']} {result['processes']}p {result['worker']}: "
            f"5xx {scan['responses_5xx']}, 'database is locked' {scan['database_is_locked']}, "
            f"levels {scan['levels']}"
        )
        for problem, count in scan["problems"].items():
            print(f"    {count} x {' '.join(problem.split())}")
        for op in result["operations"]:
            notes = []
            if op["non_2xx"]:
                notes.append(f"statuses {op['statuses']}")
            if op["reused"] and op["operation"] != "login":
                notes.append(f"list ran out: {op['reused']} requests reused a registration")
            if notes:
                print(f"    {op['operation']}: " + "; ".join(notes))
    print()
    print_scale_out(report)
    print_noise(report, hello)
    print_acceptance(report, hello[1], hashes, report["hello_cpu_ms"])
    print(f"total {report['elapsed_s']:.0f}s; JSON in {report['json_path']}")
    del m


def print_scale_out(report: dict[str, Any]) -> None:
    for database in ("sqlite", "postgresql"):
        parts = []
        for op in (*CHEAP, "confirm", "register (seed 004)", "login"):
            one = _find(report, database, 1, "separate", op)
            two = _find(report, database, 2, "separate", op)
            if one and two and one["rps"]:
                busy = ""
                if "cores_busy" in one and "cores_busy" in two:
                    busy = f" ({one['cores_busy']:.2f} then {two['cores_busy']:.2f} cores busy)"
                parts.append(f"{op} {two['rps'] / one['rps']:.2f}x{busy}")
        if parts:
            print(f"2 API processes / 1 on {database}: " + ", ".join(parts))


def print_noise(report: dict[str, Any], hello: dict[int, float]) -> None:
    m = report["machine"]
    ones = [c["rps"] for c in report["ceilings"] if c["processes"] == 1]
    a = report["argon2"]
    print(
        f"noise: hello-world 1p {' then '.join(f'{x:.0f}' for x in ones)} req/s "
        f"(first and last of the run); argon2id pool "
        f"{' then '.join(str(x['pool_per_s']) for x in a)} hashes/s "
        f"({a[0]['ms_per_hash']:.0f} ms a hash on one thread); load average "
        f"{m['load_average']} before, {m.get('load_average_after', '?')} after, on "
        f"{m['cpu_count']} CPUs shared with wrk and anything else running here"
    )
    print(f"machine: {m['platform']}, Python {m['python']}, {m['wrk']}")


def print_acceptance(report: dict[str, Any], hello: float, hashes: float, hello_cpu: float) -> None:
    lines = []
    for database, target in (("sqlite", 5.0), ("postgresql", 5.0)):
        for op in CHEAP:
            o = _find(report, database, 1, "separate", op)
            if o is None:
                continue
            share = 100 * o["rps"] / hello if hello else 0.0
            p99 = o["latency_ms"]["p99"]
            ok = share >= target and (database != "sqlite" or p99 <= 50)
            lines.append(
                f"{database} 1p {op}: {share:.2f} % of the ceiling (>= {target:.0f} %; "
                f"{_cpu_share(o, hello_cpu)} by CPU per request)"
                + (f", p99 {p99:.0f} ms (<= 50)" if database == "sqlite" else "")
                + (" met" if ok else " NOT met")
            )
        one = _find(report, database, 1, "separate", CHEAP[0])
        two = _find(report, database, 2, "separate", CHEAP[0])
        if database == "postgresql" and one and two and one["rps"]:
            ratio = two["rps"] / one["rps"]
            lines.append(
                f"postgresql email step 2p / 1p: {ratio:.2f}x (>= 1.6) "
                + ("met" if ratio >= 1.6 else "NOT met")
            )
    for result in report["results"]:
        if result["worker"] != "separate":
            continue
        locked = result["scan"]["database_is_locked"]
        for op, target in (("register (seed 004)", 85.0), ("login", 90.0)):
            o = next((o for o in result["operations"] if o["operation"] == op), None)
            if o is None:
                continue
            share = 100 * o["rps"] / hashes if hashes else 0.0
            ok = share >= target and o["non_2xx"] == 0 and locked == 0
            lines.append(
                f"{result['database']} {result['processes']}p {op}: {share:.0f} % of argon2id "
                f"(>= {target:.0f} %), non-2xx {o['non_2xx']}, 'database is locked' {locked} "
                + ("met" if ok else "NOT met")
            )
    print("acceptance (issue 15):")
    for line in lines:
        print(f"  {line}")
