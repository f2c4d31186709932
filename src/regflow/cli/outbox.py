"""``regflow outbox``: the delivery queue in the terminal; ``regflow outbox requeue``.

Lists counts per status and the oldest pending, retrying and dead messages
(recipients masked, never their content: codes stay out of terminals and
scrollback). ``requeue ID`` or ``requeue --all-dead`` puts dead messages back
in the queue with their attempts reset; a running worker picks them up at its
next poll.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from regflow.api.v1 import serialize
from regflow.app import build_runtime
from regflow.cli.funnel import table
from regflow.errors import RegflowError
from regflow.services.outbox_admin import OutboxAdmin
from regflow.settings import Settings

T = TypeVar("T")
outbox = typer.Typer(
    help="The delivery queue: list it, requeue dead messages.", rich_markup_mode=None
)


def _run(action: Callable[[OutboxAdmin], Awaitable[T]]) -> T:
    settings = Settings()

    async def run() -> T:
        runtime = build_runtime(settings)
        try:
            return await action(runtime.services.outbox_admin)
        finally:
            runtime.hasher.close()
            await runtime.engine.dispose()

    return asyncio.run(run())


@outbox.callback(invoke_without_command=True)
def listing(
    ctx: typer.Context,
    status: list[str] = typer.Option(  # noqa: B008 - Typer's way of declaring options
        [],
        "--status",
        metavar="STATUS",
        help="pending, retrying, sent or dead (repeatable); default all but sent.",
    ),
    limit: int = typer.Option(
        50, metavar="N", min=1, max=1000, help="Messages to show, oldest first."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Counts per status and the oldest messages waiting, retrying or dead."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        overview = _run(lambda admin: admin.overview(status or None, limit))
    except RegflowError as exc:
        raise typer.BadParameter(str(exc)) from None
    shown = serialize.outbox_overview(overview)
    typer.echo(json.dumps(shown, indent=2) if as_json else render(shown))


@outbox.command("requeue")
def requeue(
    message_id: str | None = typer.Argument(None, metavar="ID", hidden=True),
    all_dead: bool = typer.Option(False, "--all-dead", help="Every dead message."),
) -> None:
    """Put dead messages back in the queue (attempts reset): the one with ID, or --all-dead."""
    if (message_id is None) == (not all_dead):
        raise typer.BadParameter("give one message id or --all-dead")
    try:
        moved = _run(lambda admin: admin.requeue(None if all_dead else message_id))
    except RegflowError as exc:
        typer.echo(f"nothing requeued: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"requeued {moved} message{'s' if moved != 1 else ''}")


def render(overview: dict[str, Any]) -> str:
    counts = overview["counts"]
    lines = ["outbox: " + ", ".join(f"{name} {count}" for name, count in counts.items())]
    messages = overview["messages"]
    if not messages:
        lines.append("no " + "/".join(overview["statuses"]) + " messages")
        return "\n".join(lines)
    rows = [
        (
            m["id"],
            m["status"],
            m["kind"],
            m["template"],
            m["recipient"],
            m["attempts"],
            m["available_at"],
            (m["last_error"] or "")[:60],
        )
        for m in messages
    ]
    header = ("id", "status", "kind", "template", "to", "tries", "next try", "last error")
    lines += table(header, rows, indent="")
    return "\n".join(lines)
