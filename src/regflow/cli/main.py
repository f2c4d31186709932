"""``regflow``: serve, worker, db, keys."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import signal
from importlib.metadata import version
from typing import Literal

import typer
import uvicorn
from fastapi import FastAPI

from regflow import heap, logs
from regflow.app import build_runtime, build_sweep, create_app
from regflow.cli.clients import clients  # regflow clients list
from regflow.cli.funnel import funnel  # regflow funnel
from regflow.cli.outbox import outbox  # regflow outbox
from regflow.cli.users import users  # regflow users import
from regflow.persistence import migrate
from regflow.settings import Settings

# Plain help (no rich boxes): they printed a ``<bool>``/``<str>`` marker beside every option.
cli = typer.Typer(
    help="regflow: registration and onboarding service.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)
db = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=None)
keys = typer.Typer(help="Token signing keys.", no_args_is_help=True, rich_markup_mode=None)
cli.add_typer(db, name="db")
cli.add_typer(keys, name="keys")
cli.command("funnel")(funnel)  # regflow funnel
cli.add_typer(outbox, name="outbox")  # regflow outbox
cli.add_typer(users, name="users")  # regflow users import
cli.add_typer(clients, name="clients")  # regflow clients list


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"regflow {version('regflow')}")
        raise typer.Exit


@cli.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print the version."
    ),
) -> None:
    """regflow: registration and onboarding service."""


def app_factory() -> FastAPI:
    """Uvicorn's factory: each server process reads the settings once."""
    settings = Settings()
    logs.configure(settings.log_level, json_format=settings.log_json)
    return create_app(settings, run_worker=not _no_worker(), settle_heap=True)


_NO_WORKER_ENV = "REGFLOW_EMBEDDED_WORKER"
WORKER_READY_SECONDS = 60
log = logging.getLogger("regflow.cli")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_public_url(host: str, port: int) -> str:
    """The base of mail links when ``REGFLOW_PUBLIC_URL`` is unset: where ``serve`` listens.

    Any-address binds (``0.0.0.0``, ``::``) name no reachable host, so links use the
    loopback address then (and ``serve`` warns).
    """
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - compared, not bound
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def event_loop(workers: int) -> Literal["asyncio", "auto"]:
    """The event loop of each server process.

    One process runs on asyncio's loop, which accepts every waiting connection when the
    listening socket is ready. uvloop (libuv 1.45 and later) accepts one per turn of the
    loop, and a busy turn serves a request on every connection it already has: under
    load the k-th of a burst of new connections waited k turns, up to half a second for
    32 at once. Several processes share one listening socket; there uvloop's one accept
    per turn is what spreads new connections across them (asyncio's loop let the first
    process to wake take a whole burst and the others sit idle).
    """
    return "asyncio" if workers == 1 else "auto"


def _no_worker() -> bool:
    return os.environ.get(_NO_WORKER_ENV, "true").lower() in {"0", "false", "no"}


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", metavar="HOST", help="Interface to listen on."),
    port: int = typer.Option(8000, metavar="PORT", help="Port to listen on."),
    workers: int = typer.Option(
        1, metavar="N", help="Server processes (use Redis and PostgreSQL for >1)."
    ),
    no_worker: bool = typer.Option(False, "--no-worker", help="Do not deliver the outbox here."),
) -> None:
    """Serve the API, the hosted pages and (unless --no-worker) the delivery worker."""
    os.environ[_NO_WORKER_ENV] = "false" if no_worker else "true"
    settings = Settings()
    logs.configure(settings.log_level, json_format=settings.log_json)
    if workers > 1 and not settings.redis_url and settings.rate_limits_enabled:
        typer.echo(
            f"regflow serve: --workers {workers} without REGFLOW_REDIS_URL would give each "
            "process its own rate-limit counters (N times every limit). Set "
            "REGFLOW_REDIS_URL=redis://host:6379/0, or serve with --workers 1.",
            err=True,
        )
        raise typer.Exit(2)
    shaped_for_many = no_worker or settings.database_url.startswith("postgresql")
    if not settings.redis_url and settings.rate_limits_enabled and shaped_for_many:
        # a shape meant for several processes (docs/deploy.md): say what one of them lacks
        log.warning(
            "REGFLOW_REDIS_URL is not set: rate limits count in this process only; every "
            "other `regflow serve` process multiplies them. Set it before running more than one."
        )
    if "public_url" not in settings.model_fields_set:
        # the server processes read their settings again: they get this one from here
        os.environ["REGFLOW_PUBLIC_URL"] = local_public_url(host, port)
        if not is_loopback(host):
            log.warning(
                "REGFLOW_PUBLIC_URL is not set: links in mail point at %s; set it to the "
                "address people reach this service at",
                os.environ["REGFLOW_PUBLIC_URL"],
            )
    uvicorn.run(
        "regflow.cli.main:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop=event_loop(workers),
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        # with --workers N, uvicorn kills a worker not ready within this many seconds and
        # starts another; its default (5 s) made a busy host restart workers forever
        timeout_worker_healthcheck=WORKER_READY_SECONDS,
    )


@cli.command()
def worker() -> None:
    """Deliver the outbox (mail, SMS, webhooks) until interrupted."""
    settings = Settings()
    logs.configure(settings.log_level, json_format=settings.log_json)

    async def run() -> None:
        runtime = build_runtime(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        heap.settle()
        if runtime.checkpointer is not None:
            runtime.checkpointer.start()
        try:
            await asyncio.gather(runtime.worker.run(stop), build_sweep(runtime).run(stop))  # +sweep
        finally:
            runtime.hasher.close()
            if runtime.checkpointer is not None:
                runtime.checkpointer.stop()
            await runtime.engine.dispose()

    asyncio.run(run())


@cli.command()
def sweep() -> None:
    """One pass of the sweep the worker runs every minute: expire abandoned registrations,
    prune old funnel events and delete what ran out (codes, tokens, sessions, challenges)."""
    settings = Settings()
    logs.configure(settings.log_level, json_format=settings.log_json)

    async def run() -> str:
        runtime = build_runtime(settings)
        try:
            done = await build_sweep(runtime).run_once()
        finally:
            runtime.hasher.close()
            await runtime.engine.dispose()
        return (
            f"expired {done.expired} registrations, pruned {done.pruned} events,"
            f" removed {done.removed} rows that ran out"
        )

    typer.echo(asyncio.run(run()))


@cli.command("openapi")
def openapi() -> None:
    """Print the OpenAPI document of the API as configured (what /openapi.json serves)."""
    app = create_app(Settings(), run_worker=False)
    typer.echo(json.dumps(app.openapi(), indent=2, ensure_ascii=False))


@db.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", metavar="REVISION", hidden=True)) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    migrate.upgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., metavar="REVISION", hidden=True)) -> None:
    """Revert the migrations down to REVISION (base for an empty schema)."""
    migrate.downgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")


@keys.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key active; older keys stay published for verification."""
    settings = Settings()

    async def run() -> str:
        runtime = build_runtime(settings)
        try:
            await runtime.keyring.load()
            key = await runtime.keyring.rotate()
            return key.kid
        finally:
            runtime.hasher.close()
            await runtime.engine.dispose()

    typer.echo(f"new active key {asyncio.run(run())}")


def main() -> None:
    cli()
