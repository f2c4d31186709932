"""``regflow funnel``: the conversion funnel in the terminal, as aligned tables or JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import typer

from regflow.api.v1 import serialize
from regflow.api.v1.admin import duration, percent
from regflow.app import build_runtime
from regflow.core.funnel import parse_moment
from regflow.services.context import utc_now
from regflow.settings import Settings


def funnel(
    since: str = typer.Option(
        "7d", metavar="WHEN", help="Start of the window: 7d, 24h, 30m or ISO 8601."
    ),
    until: str | None = typer.Option(
        None, metavar="ISO", help="End of the window (ISO 8601); default now."
    ),
    flow: str | None = typer.Option(None, metavar="FLOW", help="Only this flow."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Conversion per step, timings, drop-off, errors and experiments of a time window."""
    now = utc_now()
    try:
        start = parse_moment(since, now)
        end = parse_moment(until, now) if until else None
    except ValueError:
        raise typer.BadParameter("use 7d, 24h, 30m or an ISO 8601 time") from None
    settings = Settings()

    async def run() -> dict[str, Any]:
        runtime = build_runtime(settings)
        try:
            found = await runtime.services.reports.funnel(start, end, flow)
            return serialize.funnel_report(found)
        finally:
            runtime.hasher.close()
            await runtime.engine.dispose()

    report = asyncio.run(run())
    typer.echo(json.dumps(report, indent=2) if as_json else render(report))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> list[str]:
    """Columns padded to their widest cell: the first left-aligned, the others right."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append(indent + "  ".join(parts).rstrip())
    return lines


def render(report: dict[str, Any]) -> str:
    out = [f"Registrations started {report['since']} .. {report['until']}"]
    if not report["flows"]:
        out.append("  none")
    for f in report["flows"]:
        for v in f["variants"]:
            out += ["", *_variant(f["flow"], v)]
        for c in f["comparisons"]:
            p = "–" if c["p_value"] is None else f"{c['p_value']:.3f}"
            out += [
                "",
                f"{f['flow']} · {c['variant']} vs {c['control']}: "
                f"{c['difference'] * 100:+.1f} points "
                f"({c['confidence'] * 100:.0f}% CI {c['ci_low'] * 100:+.1f} to "
                f"{c['ci_high'] * 100:+.1f}), p = {p}"
                + (" · significant" if c["significant"] else ""),
            ]
    return "\n".join(out)


def _variant(flow: str, v: dict[str, Any]) -> list[str]:
    name = "no variant" if v["variant"] is None else f"variant {v['variant']}"
    out = [
        f"{flow} · {name} · started {v['started']} · completed {v['completed']} "
        f"({percent(v['conversion'])}) · expired {v['expired']} · active {v['active']}",
        f"  to complete: median {duration(v['median_seconds_to_complete'])}, "
        f"p90 {duration(v['p90_seconds_to_complete'])}",
    ]
    out += table(
        ["step", "phase", "reached", "completed", "conversion", "dropped", "median", "p90"],
        [
            [
                s["step"],
                "" if s["phase"] is None else s["phase"],
                s["reached"],
                s["completed"],
                percent(s["conversion"]),
                s["dropped"],
                duration(s["median_seconds"]),
                duration(s["p90_seconds"]),
            ]
            for s in v["steps"]
        ],
    )
    if v["phases"]:
        out += table(
            ["phase", "reached", "completed", "conversion", "median", "p90"],
            [
                [
                    f"{p['phase']} ({', '.join(p['steps'])})",
                    p["reached"],
                    p["completed"],
                    percent(p["conversion"]),
                    duration(p["median_seconds"]),
                    duration(p["p90_seconds"]),
                ]
                for p in v["phases"]
            ],
        )
    if v["drop_off"]:
        out += table(
            ["stopped at", "abandoned", "expired", "share"],
            [[d["step"], d["abandoned"], d["expired"], percent(d["share"])] for d in v["drop_off"]],
        )
    if v["errors"]:
        out += table(
            ["error code", "events", "registrations", "rate"],
            [[e["code"], e["events"], e["registrations"], percent(e["rate"])] for e in v["errors"]],
        )
    out += table(
        ["verification", "sent", "confirmed", "failed tries", "success"],
        [
            [ch, c["sent"], c["succeeded"], c["failed_attempts"], percent(c["rate"])]
            for ch, c in v["verification"].items()
        ],
    )
    org = v["org_code"]
    out.append(f"  org code used: {org['used']} of {org['completed']} ({percent(org['rate'])})")
    return out
