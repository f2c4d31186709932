"""``regflow users import FILE``: people from CSV or JSON lines, in batches, with progress.

CSV needs a header row (line 1); ``.jsonl``/``.ndjson`` files hold one JSON object
per line. Each batch is one transaction, so an interrupted import leaves whole rows
only, and ``--resume`` skips the rows whose email already has an account. Refused
rows are listed with their line number and reason (``--report`` writes them as
CSV); the exit status is 1 when any row was refused.
"""

from __future__ import annotations

import asyncio
import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from regflow.app import build_runtime
from regflow.core.passwords import PasswordPolicy
from regflow.core.user_import import (
    COLUMNS,
    HeaderError,
    ImportRow,
    Refusal,
    RowRefused,
    check_columns,
    parse_row,
)
from regflow.services.user_import import BatchOutcome
from regflow.settings import Settings

users = typer.Typer(help="Accounts: import people.", no_args_is_help=True, rich_markup_mode=None)
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}

Raw = tuple[int, dict[str, Any] | Refusal]  # (line, the row's cells) or why it is unreadable


def read_rows(path: Path) -> Iterator[Raw]:
    """Every row of ``path`` with its line number (CSV: the header is line 1)."""
    if path.suffix.lower() in JSON_SUFFIXES:
        yield from _json_lines(path)
    else:
        yield from _csv_rows(path)


def _json_lines(path: Path) -> Iterator[Raw]:
    with path.open(encoding="utf-8-sig") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError:
                yield number, Refusal(number, "", "INVALID_JSON", "This line is not JSON.")
                continue
            if not isinstance(value, dict):
                yield number, Refusal(number, "", "INVALID_JSON", "Expected a JSON object.")
                continue
            unknown = sorted(k for k in value if k not in COLUMNS)
            if unknown:
                message = f"Unknown columns {unknown}; known: {', '.join(COLUMNS)}."
                yield number, Refusal(number, "", "UNKNOWN_COLUMN", message)
                continue
            yield number, value


def _csv_rows(path: Path) -> Iterator[Raw]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise HeaderError("the file is empty: a CSV import needs a header row")
        columns = [c.strip() for c in header]
        check_columns(columns)
        start = reader.line_num + 1
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                message = f"Expected {len(columns)} fields, found {len(cells)}."
                yield number, Refusal(number, "", "FIELD_COUNT", message)
                continue
            yield number, dict(zip(columns, cells, strict=True))


def count_rows(path: Path) -> int:
    """Rows to expect (lines, less the CSV header), for the progress bar's ETA."""
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines if path.suffix.lower() in JSON_SUFFIXES else max(lines - 1, 0)


def checked(raws: Iterator[Raw], policy: PasswordPolicy) -> Iterator[ImportRow | list[Refusal]]:
    for number, raw in raws:
        if isinstance(raw, Refusal):
            yield [raw]
            continue
        try:
            yield parse_row(number, raw, policy)
        except RowRefused as refused:
            yield refused.refusals


async def run_import(
    path: Path, *, resume: bool, dry_run: bool, batch_size: int, console: Console
) -> BatchOutcome:
    runtime = build_runtime(Settings())
    service = runtime.services.user_import(resume=resume, dry_run=dry_run)
    total = BatchOutcome()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("importing", total=count_rows(path), rate=0.0)
            batch: list[ImportRow] = []
            rows = checked(read_rows(path), runtime.services.ctx.engine.password_policy)

            async def flush() -> None:
                outcome = await service.run(batch)
                total.imported += outcome.imported
                total.skipped += outcome.skipped
                total.refused += outcome.refused
                progress.advance(task, len(batch))
                batch.clear()

            for row in rows:
                if isinstance(row, list):
                    total.refused += row
                    progress.advance(task, 1)
                    continue
                batch.append(row)
                if len(batch) >= batch_size:
                    await flush()
                    done = progress.tasks[0].completed
                    progress.update(task, rate=done / max(time.monotonic() - started, 1e-6))
            if batch:
                await flush()
            done = progress.tasks[0].completed
            progress.update(task, rate=done / max(time.monotonic() - started, 1e-6))
    finally:
        runtime.hasher.close()
        await runtime.engine.dispose()
    return total


@users.command("import")
def import_users(
    file: Path = typer.Argument(..., metavar="FILE", hidden=True),  # noqa: B008 - Typer's way
    resume: bool = typer.Option(
        False, "--resume", help="Skip rows whose email already has an account (a rerun)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row; write nothing."),
    batch_size: int = typer.Option(
        500, metavar="N", min=1, max=10_000, help="Rows per transaction."
    ),
    report: Path | None = typer.Option(  # noqa: B008 - Typer's way of declaring options
        None, metavar="CSV", help="Also write the refused rows (line, field, code, reason) here."
    ),
) -> None:
    """Import people from FILE: CSV with a header row, or JSON lines (.jsonl).

    Columns: email, first_name, last_name, username, email_verified, organization
    (slug), role, and password (hashed on import) or password_hash (bcrypt or
    argon2, upgraded to argon2id at the first login).
    """
    console = Console(stderr=True)
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file", param_hint="FILE")
    started = time.monotonic()
    try:
        outcome = asyncio.run(
            run_import(file, resume=resume, dry_run=dry_run, batch_size=batch_size, console=console)
        )
    except HeaderError as error:
        typer.echo(f"regflow users import: {error}", err=True)
        raise typer.Exit(2) from None
    elapsed = max(time.monotonic() - started, 1e-6)
    refused = sorted(outcome.refused, key=lambda r: r.line)
    for r in refused:
        typer.echo(f"line {r.line}: {r.field or 'row'}: {r.code}: {r.reason}")
    if report is not None:
        with report.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "field", "code", "reason"])
            writer.writerows([r.line, r.field, r.code, r.reason] for r in refused)
    rows = outcome.imported + outcome.skipped + len({r.line for r in refused})
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{verb} {outcome.imported}, skipped {outcome.skipped} (already imported), "
        f"refused {len({r.line for r in refused})} rows in {elapsed:.1f}s "
        f"({rows / elapsed:,.0f} rows/s)"
    )
    if refused:
        raise typer.Exit(1)
