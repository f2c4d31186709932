"""The composition root: ``create_app(settings)`` wires adapters to services.

Only this module and the CLI import adapters (persistence, delivery, keys,
hashing); everything below talks to the core's ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from regflow import __version__
from regflow.api import problems
from regflow.api.devmailbox import dev_mailbox_router
from regflow.api.metrics import Metrics, MetricsMiddleware, metrics_router  # metrics
from regflow.api.middleware import RequestContext
from regflow.api.system import system_router
from regflow.api.throttle import IpThrottle  # organizations
from regflow.api.v1.admin import admin_router  # funnel report
from regflow.api.v1.invitations import invitations_router  # organizations
from regflow.api.v1.org_admin import org_admin_router  # organizations
from regflow.api.v1.organizations import organizations_router  # organizations
from regflow.api.v1.registrations import registrations_router
from regflow.api.v1.sessions import sessions_router
from regflow.api.v1.uploads import LOGO_PATH, MULTIPART_OVERHEAD, uploads_router  # logos
from regflow.api.v1.verify import verify_router
from regflow.core.engine import Engine
from regflow.core.experiments import Experiments  # experiments
from regflow.core.flows import enabled
from regflow.core.model import OutboxKind
from regflow.core.organizations import OrganizationPolicy  # organizations
from regflow.core.passwords import policy_for
from regflow.core.verification import VerificationPolicy
from regflow.delivery.base import Sender
from regflow.delivery.console import ConsoleSmsSender, NullEmailSender
from regflow.delivery.sms_webhook import WebhookSmsSender  # organizations: phone codes
from regflow.delivery.smtp import SmtpSender
from regflow.delivery.templates import Renderer
from regflow.delivery.worker import OutboxWorker
from regflow.hashing import Argon2PasswordHasher
from regflow.keys.keyring import KeyRing, UnitOfWorkKeyStore
from regflow.keys.tokens import TokenService
from regflow.media.files import FileStore  # organizations: logos
from regflow.media.images import PillowImages  # organizations: logos
from regflow.persistence.database import create_engine
from regflow.persistence.funnel_observer import observe_committed_events  # metrics
from regflow.persistence.uow import SqlUnitOfWorkFactory
from regflow.services.container import Services
from regflow.services.context import ServiceContext, utc_now
from regflow.services.funnel import OperatorReports  # funnel report
from regflow.services.invitations import Invitations  # organizations
from regflow.services.mailbox import DevMailbox
from regflow.services.org_admin import OrgAdmin  # organizations
from regflow.services.organizations import Organizations  # organizations
from regflow.services.sweep import Sweep  # expiry and retention sweep
from regflow.services.uploads import Uploads  # organizations: logos
from regflow.settings import Settings
from regflow.ui.routes import CONFIRM_PATH, LOGO_FORM_PATH, mount_static, mount_ui  # web UI

log = logging.getLogger("regflow")


@dataclass
class Runtime:
    """What the app holds for its lifetime (reachable as ``app.state.runtime``)."""

    settings: Settings
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    keyring: KeyRing
    hasher: Argon2PasswordHasher
    worker: OutboxWorker
    services: Services


def build_runtime(settings: Settings) -> Runtime:
    engine = create_engine(settings.database_url)
    uow = SqlUnitOfWorkFactory(engine)
    secret = settings.secret_bytes()
    keyring = KeyRing(UnitOfWorkKeyStore(uow), secret, utc_now, algorithm=settings.jwt_algorithm)
    tokens = TokenService(
        keyring,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.access_token_ttl_seconds,
        clock=utc_now,
    )
    hasher = Argon2PasswordHasher(
        memory_kib=settings.argon2_memory_kib,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
        max_workers=settings.hash_workers,
    )
    renderer = Renderer()
    senders: dict[OutboxKind, Sender] = {OutboxKind.SMS: sms_sender(settings, renderer)}
    if settings.smtp_url is not None:
        senders[OutboxKind.EMAIL] = SmtpSender(
            settings.smtp_url.get_secret_value(),
            settings.mail_from,
            renderer,
            timeout=settings.smtp_timeout_seconds,
        )
    else:
        senders[OutboxKind.EMAIL] = NullEmailSender()
    worker = OutboxWorker(
        uow,
        senders,
        clock=utc_now,
        poll_seconds=settings.worker_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
        scrub_after_send=not settings.dev_mailbox,
    )
    ctx = ServiceContext(
        uow=uow,
        engine=Engine(
            enabled(settings.flows),
            ttl=timedelta(seconds=settings.registration_ttl_seconds),
            password_policy=policy_for(settings.password_policy),
        ),
        hasher=hasher,
        tokens=tokens,
        secret=secret,
        public_url=settings.public_url,
        verification=VerificationPolicy(
            ttl=timedelta(seconds=settings.code_ttl_seconds),
            cooldown=timedelta(seconds=settings.resend_cooldown_seconds),
            max_attempts=settings.code_max_attempts,
        ),
        outbox_written=worker.wake,
        experiments=Experiments(settings.experiments),  # experiments
        organizations=OrganizationPolicy(  # organizations
            join_code_random_length=settings.join_code_random_length,
            invitation_ttl=timedelta(seconds=settings.invitation_ttl_seconds),
            upload_ttl=timedelta(seconds=settings.upload_ttl_seconds),
        ),
        verify_path=CONFIRM_PATH if settings.ui else "/v1/verify/",  # web UI: mail link
    )
    return Runtime(settings, engine, uow, keyring, hasher, worker, Services.build(ctx))


def build_sweep(runtime: Runtime) -> Sweep:
    """The expiry and retention sweep; it runs wherever the delivery worker runs."""
    return Sweep(
        runtime.services.ctx,
        retention=timedelta(days=runtime.settings.funnel_retention_days),
        interval_seconds=runtime.settings.sweep_interval_seconds,
    )


def create_app(settings: Settings, *, run_worker: bool = True) -> FastAPI:
    runtime = build_runtime(settings)
    metrics = Metrics(settings.prometheus_multiproc_dir)  # metrics
    observe_committed_events(runtime.engine, metrics.count_event)  # metrics
    sweep = build_sweep(runtime)  # expiry and retention sweep

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.keyring.load()
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.worker.run(stop)) if run_worker else None
        sweeping = asyncio.create_task(sweep.run(stop)) if run_worker else None  # sweep
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            if sweeping is not None:  # sweep
                await sweeping
            runtime.hasher.close()
            await runtime.engine.dispose()

    app = FastAPI(title="regflow", version=__version__, lifespan=lifespan)
    app.state.runtime = runtime
    problems.install(app)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(OSError, _database_unavailable)

    async def ping() -> None:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    services = runtime.services
    app.include_router(system_router(runtime.keyring, ping))
    app.include_router(registrations_router(services))
    app.include_router(sessions_router(services))
    app.include_router(verify_router(services))
    reports = OperatorReports(services.ctx)  # funnel report and metrics
    app.include_router(metrics_router(metrics, reports.outbox_backlog, runtime.hasher))
    if settings.admin_token is not None:  # funnel report, off without an operator token
        app.include_router(admin_router(reports, settings.admin_token.get_secret_value()))
    include_organizations(app, runtime)  # organizations, teachers, students
    if settings.dev_mailbox:
        app.include_router(dev_mailbox_router(DevMailbox(runtime.uow, Renderer())))
    include_ui(app, runtime)  # hosted web UI
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.max_body_bytes,
        path_limits={
            LOGO_PATH: settings.upload_max_bytes + MULTIPART_OVERHEAD,  # logos
            LOGO_FORM_PATH: settings.upload_max_bytes + MULTIPART_OVERHEAD,  # web UI logo
        },
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics, pool=runtime.hasher)  # metrics
    return app


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", extra={"error": type(exc).__name__})
    return problems.problem(
        503,
        "DATABASE_UNAVAILABLE",
        "The service cannot reach its database; try again shortly.",
        headers={"Retry-After": "5"},
    )


UPLOADS_PER_HOUR = 30  # logo uploads per client IP


def include_organizations(app: FastAPI, runtime: Runtime) -> None:
    """Organizations, teachers and students: lookup by join code, admin API, invitations."""
    settings = runtime.settings
    ctx = runtime.services.ctx
    throttle = IpThrottle(
        settings.org_lookup_per_minute, 60.0, enabled=settings.rate_limits_enabled
    )
    app.include_router(organizations_router(Organizations(ctx), throttle))
    verifier = TokenService(
        runtime.keyring,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.access_token_ttl_seconds,
        clock=utc_now,
    )
    admin = OrgAdmin(ctx, verifier)
    invitations = Invitations(admin)
    app.include_router(org_admin_router(admin, invitations))
    app.include_router(invitations_router(invitations))
    uploads = Uploads(ctx, PillowImages(), FileStore(settings.uploads_path))
    upload_throttle = IpThrottle(UPLOADS_PER_HOUR, 3600.0, enabled=settings.rate_limits_enabled)
    app.include_router(
        uploads_router(uploads, max_bytes=settings.upload_max_bytes, throttle=upload_throttle)
    )


def include_ui(app: FastAPI, runtime: Runtime) -> None:
    """The hosted sign-up pages (``REGFLOW_UI``) and the static files they and the dev
    mailbox use."""
    mount_static(app)
    if runtime.settings.ui:
        images = Uploads(
            runtime.services.ctx, PillowImages(), FileStore(runtime.settings.uploads_path)
        )
        mount_ui(app, runtime.services, uploads=images)


def sms_sender(settings: Settings, renderer: Renderer) -> Sender:
    """The SMS transport named by ``REGFLOW_SMS_PROVIDER``."""
    if settings.sms_provider == "webhook":
        if not settings.sms_webhook_url:
            raise ValueError("REGFLOW_SMS_PROVIDER=webhook needs REGFLOW_SMS_WEBHOOK_URL")
        token = settings.sms_webhook_token
        return WebhookSmsSender(
            settings.sms_webhook_url,
            renderer,
            token=token.get_secret_value() if token else None,
            timeout=settings.sms_webhook_timeout_seconds,
        )
    if settings.sms_provider == "twilio":
        raise ValueError("REGFLOW_SMS_PROVIDER=twilio is not available yet; use console or webhook")
    return ConsoleSmsSender(renderer)
