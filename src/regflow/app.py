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

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from regflow import __version__, heap
from regflow.api import contracts, dispatch, problems
from regflow.api.clientip import parse_networks
from regflow.api.devmailbox import dev_mailbox_router
from regflow.api.docs import mount_docs
from regflow.api.inputs import refuse_bad_input  # input hardening
from regflow.api.links import API_INVITATION_PATH, API_VERIFY_PATH, Links
from regflow.api.metrics import Metrics, metrics_router  # metrics
from regflow.api.middleware import RequestContext
from regflow.api.oidc import oidc_router  # the OpenID Provider
from regflow.api.pages import Language
from regflow.api.ratelimits import RouteLimits  # rate limits
from regflow.api.request_metrics import MetricsMiddleware, RequestCounter  # metrics
from regflow.api.system import system_router
from regflow.api.v1.account import account_router  # the signed-in account
from regflow.api.v1.admin import admin_router  # funnel report
from regflow.api.v1.admin_outbox import admin_outbox_router  # outbox for the operator
from regflow.api.v1.invitations import invitations_router  # organizations
from regflow.api.v1.org_admin import org_admin_router  # organizations
from regflow.api.v1.organizations import organizations_router  # organizations
from regflow.api.v1.password_resets import password_resets_router
from regflow.api.v1.registrations import registrations_router
from regflow.api.v1.second_factor import second_factor_router  # TOTP
from regflow.api.v1.sessions import sessions_router
from regflow.api.v1.uploads import LOGO_PATH, MULTIPART_OVERHEAD, uploads_router  # logos
from regflow.api.v1.verify import verify_router
from regflow.core.email_change import EmailChangePolicy  # changing the address
from regflow.core.engine import Engine
from regflow.core.experiments import Experiments  # experiments
from regflow.core.flows import enabled
from regflow.core.login_sessions import SessionPolicy  # hosted login sessions
from regflow.core.model import OutboxKind
from regflow.core.oidc import Client  # the OpenID Provider
from regflow.core.organizations import OrganizationPolicy  # organizations
from regflow.core.passwords import policy_for
from regflow.core.recovery import ResetPolicy  # password resets
from regflow.core.second_factor import SecondFactorPolicy  # TOTP
from regflow.core.verification import VerificationPolicy
from regflow.core.webhooks import Subscription  # webhooks
from regflow.delivery.base import Sender
from regflow.delivery.console import ConsoleSmsSender, NullEmailSender
from regflow.delivery.sms_budget import BudgetedSmsSender, SmsBudget, parse_country_budgets
from regflow.delivery.sms_twilio import TwilioSmsSender  # Twilio-compatible SMS
from regflow.delivery.sms_webhook import WebhookSmsSender  # organizations: phone codes
from regflow.delivery.smtp import SmtpSender
from regflow.delivery.templates import Renderer
from regflow.delivery.webhooks import Endpoint, WebhookSender  # signed webhooks
from regflow.delivery.worker import OutboxWorker
from regflow.errors import ErrorCode
from regflow.hashing import Argon2PasswordHasher
from regflow.keys.keyring import KeyRing, UnitOfWorkKeyStore
from regflow.keys.tokens import TokenService
from regflow.media.files import FileStore  # organizations: logos
from regflow.media.images import PillowImages  # organizations: logos
from regflow.oidc.provider import Provider  # the OpenID Provider
from regflow.persistence.database import create_engine
from regflow.persistence.uow import SqlUnitOfWorkFactory
from regflow.persistence.wal import WalCheckpointer, sqlite_file
from regflow.ratelimit import Policy, RateLimiter, storage_for  # rate limits
from regflow.services.container import Services
from regflow.services.context import ServiceContext, utc_now
from regflow.services.mailbox import DevMailbox
from regflow.services.sweep import Sweep  # expiry and retention sweep
from regflow.settings import Settings
from regflow.ui import i18n
from regflow.ui.brand import Brand
from regflow.ui.routes import (  # web UI
    CONFIRM_PATH,
    CONSOLE_LOGO_PATH,
    INVITE_PATH,
    LOGO_FORM_PATH,
    RESET_PATH,
    mount_static,
    mount_ui,
)

log = logging.getLogger("regflow")
# the operator's pages (dev mailbox, funnel) speak the hosted pages' language
OPERATOR_LANGUAGE = Language(i18n.gettext, i18n.ngettext, i18n.current)


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
    limiter: RateLimiter  # rate limits
    tokens: TokenService  # issues and verifies access tokens (one, shared by every use)
    checkpointer: WalCheckpointer | None = None  # SQLite: the WAL kept short off the loop


def build_limiter(settings: Settings) -> RateLimiter:
    """The rate limiter: the policy (defaults + ``REGFLOW_RATE_LIMITS``), memory or Redis."""
    overrides = dict(settings.rate_limits)
    overrides.setdefault("lookup_ip", f"{settings.org_lookup_per_minute}/minute")
    return RateLimiter(
        Policy(overrides),
        storage_for(settings.redis_url, settings.rate_limit_prefix),
        enabled=settings.rate_limits_enabled,
    )


def build_runtime(settings: Settings) -> Runtime:
    database_file = sqlite_file(settings.database_url)
    engine = create_engine(settings.database_url, background_checkpoints=bool(database_file))
    uow = SqlUnitOfWorkFactory(engine, record_events=settings.funnel_events)
    secret = settings.secret_bytes()
    keyring = KeyRing(
        UnitOfWorkKeyStore(uow),
        secret,
        utc_now,
        algorithm=settings.jwt_algorithm,
        # OpenID Connect: every provider signs ID tokens with RS256 for the clients that ask
        also=("RS256",) if settings.oidc_clients else (),
    )
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
    limiter = build_limiter(settings)  # rate limits
    renderer = Renderer()
    senders: dict[OutboxKind, Sender] = {
        OutboxKind.SMS: BudgetedSmsSender(
            sms_sender(settings, renderer), sms_budget(settings, uow)
        ),
        OutboxKind.WEBHOOK: webhook_sender(settings),
    }
    if settings.smtp_url is not None:
        senders[OutboxKind.EMAIL] = SmtpSender(
            settings.smtp_url.get_secret_value(),
            settings.mail_from,
            renderer,
            timeout=settings.smtp_timeout_seconds,
            ca_file=settings.smtp_ca_file,
        )
    else:
        senders[OutboxKind.EMAIL] = NullEmailSender()
    worker = OutboxWorker(
        uow,
        senders,
        clock=utc_now,
        poll_seconds=settings.worker_poll_seconds,
        batch_size=settings.outbox_batch_size,
        lease_seconds=settings.outbox_lease_seconds,
        max_attempts=settings.outbox_max_attempts,
        scrub_after_send=not settings.dev_mailbox,
    )
    ctx = ServiceContext(
        uow=uow,
        engine=Engine(
            enabled([*settings.flows, *contracts.flows_for(settings.contracts)]),
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
        webhooks=tuple(  # webhook subscribers
            Subscription(w.url, frozenset(w.events)) for w in settings.webhooks
        ),
        organizations=OrganizationPolicy(  # organizations
            join_code_random_length=settings.join_code_random_length,
            invitation_ttl=timedelta(seconds=settings.invitation_ttl_seconds),
            upload_ttl=timedelta(seconds=settings.upload_ttl_seconds),
        ),
        code_ttl=contracts.code_ttls(settings.contracts),  # seed contracts
        links=Links(  # where mails lead: the hosted UI's pages when on, else the API's
            settings.public_url,
            verify_path=CONFIRM_PATH if settings.ui else API_VERIFY_PATH,
            invitation_path=INVITE_PATH if settings.ui else API_INVITATION_PATH,
            contract_verify_paths=contracts.link_paths(settings.contracts),
            reset_path=RESET_PATH if settings.ui else None,  # web UI: the reset mail's link
        ),
        limits=limiter,  # rate limits per address and account
        recovery=ResetPolicy(  # password resets
            ttl=timedelta(seconds=settings.reset_code_ttl_seconds),
            cooldown=timedelta(seconds=settings.resend_cooldown_seconds),
            max_attempts=settings.code_max_attempts,
        ),
        login_sessions=SessionPolicy(
            idle=timedelta(seconds=settings.session_idle_seconds),
            absolute=timedelta(seconds=settings.session_absolute_seconds),
        ),
        email_change=EmailChangePolicy(  # changing the address
            ttl=timedelta(seconds=settings.code_ttl_seconds),
            cooldown=timedelta(seconds=settings.resend_cooldown_seconds),
            max_attempts=settings.code_max_attempts,
        ),
        mfa=SecondFactorPolicy(  # the login's second step
            challenge_ttl=timedelta(seconds=settings.mfa_token_ttl_seconds),
            max_attempts=settings.code_max_attempts,
            issuer=settings.totp_issuer,
        ),
    )
    services = Services.build(
        ctx, tokens, images=PillowImages(), store=FileStore(settings.uploads_path)
    )
    checkpointer = WalCheckpointer(database_file) if database_file else None
    return Runtime(
        settings, engine, uow, keyring, hasher, worker, services, limiter, tokens, checkpointer
    )


def build_sweep(runtime: Runtime) -> Sweep:
    """The expiry and retention sweep; it runs wherever the delivery worker runs."""
    return Sweep(
        runtime.services.ctx,
        retention=timedelta(days=runtime.settings.funnel_retention_days),
        interval_seconds=runtime.settings.sweep_interval_seconds,
    )


def create_app(
    settings: Settings, *, run_worker: bool = True, settle_heap: bool = False
) -> FastAPI:
    """The service; ``settle_heap``: a process that serves nothing else freezes what
    start-up built (``regflow.heap``), which a process making many apps must not."""
    runtime = build_runtime(settings)
    metrics = Metrics(settings.prometheus_multiproc_dir)  # metrics
    runtime.uow.observer = metrics.count_event  # metrics: each funnel event once committed
    runtime.worker.observer = metrics.count_delivery  # delivery counters
    sweep = build_sweep(runtime)  # expiry and retention sweep

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.keyring.load()
        if runtime.checkpointer is not None:
            runtime.checkpointer.start()
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.worker.run(stop)) if run_worker else None
        sweeping = asyncio.create_task(sweep.run(stop)) if run_worker else None  # sweep
        if settle_heap:
            dispatch.warm(app.router)  # every route's handler built before the heap settles
            heap.settle()
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            if sweeping is not None:  # sweep
                await sweeping
            runtime.hasher.close()
            runtime.limiter.close()
            if runtime.checkpointer is not None:
                runtime.checkpointer.stop()
            await runtime.engine.dispose()

    route_limits = RouteLimits(
        runtime.limiter,
        parse_networks(settings.trusted_proxies),
        enabled=runtime.limiter.enabled,
    )

    async def guard(request: Request) -> None:
        """Every route: rate limits from one table, then input refusals (415, NUL,
        surrogates); one dependency, so one for FastAPI to solve per request."""
        await route_limits(request)
        await refuse_bad_input(request)

    app = FastAPI(
        title="regflow",
        version=__version__,
        docs_url=None,  # served by mount_docs with self-hosted assets (the CSP allows them)
        redoc_url=None,
        lifespan=lifespan,
        responses=problems.RESPONSES,  # problem details, declared for every route
        dependencies=[Depends(guard)],
    )
    app.state.runtime = runtime
    problems.install(app)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(OSError, _database_unavailable)

    async def ping() -> None:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    services = runtime.services
    app.include_router(system_router(runtime.keyring, ping, runtime.limiter.store_status))
    app.include_router(registrations_router(services))
    app.include_router(sessions_router(services))
    app.include_router(password_resets_router(services))
    app.include_router(account_router(services.account, services.email_changes))
    app.include_router(second_factor_router(services.second_factors))  # TOTP
    app.include_router(verify_router(services))
    reports = services.reports  # funnel report and metrics
    app.include_router(metrics_router(metrics, reports.outbox_backlog, runtime.hasher))
    if settings.admin_token is not None:  # funnel report, off without an operator token
        token = settings.admin_token.get_secret_value()
        app.include_router(admin_router(reports, token, OPERATOR_LANGUAGE))
        app.include_router(admin_outbox_router(services.outbox_admin, token))
    include_organizations(app, runtime)  # organizations, teachers, students
    if settings.dev_mailbox:
        mailbox = DevMailbox(runtime.uow, Renderer())
        app.include_router(dev_mailbox_router(mailbox, OPERATOR_LANGUAGE))
    provider = build_provider(runtime)  # the OpenID Provider
    app.include_router(oidc_router(provider))
    include_ui(app, runtime, provider)  # hosted web UI
    mount_docs(app)  # /docs: Swagger UI from the swagger-ui-py package
    dispatch.install(app.router)  # the route table indexed (the same route as the scan)
    counter = None if settings.cors_origins else RequestCounter(metrics, runtime.hasher)
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.max_body_bytes,
        path_limits={
            path: settings.upload_max_bytes + MULTIPART_OVERHEAD
            for path in (LOGO_PATH, LOGO_FORM_PATH, CONSOLE_LOGO_PATH, *contracts.UPLOAD_PATHS)
        },
        count=counter,  # metrics: counted here unless CORS sits outside this layer
    )
    if settings.cors_origins:  # no CORS at all unless origins are listed
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Registration-Token",
            ],
            max_age=600,
        )
        # metrics: outside CORS, which answers preflights itself
        app.add_middleware(MetricsMiddleware, metrics=metrics, pool=runtime.hasher)
    return app


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", extra={"error": type(exc).__name__})
    return problems.problem(
        503,
        ErrorCode.DATABASE_UNAVAILABLE,
        "The service cannot reach its database; try again shortly.",
        headers={"Retry-After": "5"},
    )


def include_organizations(app: FastAPI, runtime: Runtime) -> None:
    """Organizations, teachers and students: lookup by join code, admin API, invitations,
    logo uploads, and the seed contracts built on them."""
    settings = runtime.settings
    services = runtime.services
    app.include_router(organizations_router(services.organizations))
    app.include_router(
        org_admin_router(services.org_admin, services.invitations, services.invitation_admin)
    )
    app.include_router(invitations_router(services.invitations))
    app.include_router(uploads_router(services.uploads, max_bytes=settings.upload_max_bytes))
    contracts.include_contracts(app, services, settings)  # seed contracts


def build_provider(runtime: Runtime) -> Provider:
    """The OpenID Provider over ``REGFLOW_OIDC_CLIENTS``; its issuer is the public URL."""
    settings = runtime.settings
    clients = [
        Client(
            client_id=c.client_id,
            name=c.name,
            redirect_uris=tuple(c.redirect_uris),
            post_logout_redirect_uris=tuple(c.post_logout_redirect_uris),
            public=c.public,
            client_secret_sha256=c.client_secret_sha256,
            first_party=c.first_party,
            flows=tuple(c.flows),
            organization=c.organization,
            id_token_alg=c.id_token_signed_response_alg,
        )
        for c in settings.oidc_clients
    ]
    return Provider(
        clients,
        runtime.services.oidc,
        runtime.keyring,
        runtime.tokens,
        issuer=settings.public_url,
        refresh_ttl=timedelta(seconds=settings.oidc_refresh_ttl_seconds),
    )


def include_ui(app: FastAPI, runtime: Runtime, provider: Provider | None = None) -> None:
    """The hosted sign-up pages (``REGFLOW_UI``) and the static files they and the dev
    mailbox use."""
    mount_static(app)
    if runtime.settings.ui:
        mount_ui(
            app,
            runtime.services,
            runtime.services.invitations,
            uploads=runtime.services.uploads,
            flows=runtime.settings.flows,
            brand=Brand(  # branding by configuration
                name=runtime.settings.brand_name,
                color=runtime.settings.brand_color,
                logo=runtime.settings.brand_logo,
                favicon=runtime.settings.brand_favicon,
                support_email=runtime.settings.support_email,
            ),
            provider=provider,
        )


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
        missing = [
            name
            for name, value in (
                ("REGFLOW_TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
                ("REGFLOW_TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
                ("REGFLOW_TWILIO_FROM", settings.twilio_from),
            )
            if not value
        ]
        if missing or settings.twilio_auth_token is None:
            raise ValueError("REGFLOW_SMS_PROVIDER=twilio needs " + ", ".join(missing))
        return TwilioSmsSender(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_from or "",
            renderer,
            base_url=settings.twilio_base_url,
            timeout=settings.twilio_timeout_seconds,
        )
    return ConsoleSmsSender(renderer)


def sms_budget(settings: Settings, uow: SqlUnitOfWorkFactory) -> SmsBudget:
    """The hourly SMS budget, global and per country, counted in the database."""
    return SmsBudget(
        uow,
        per_hour=settings.sms_budget_per_hour,
        per_country_per_hour=settings.sms_country_budget_per_hour,
        countries=parse_country_budgets(settings.sms_country_budgets),
        clock=utc_now,
    )


def webhook_sender(settings: Settings) -> WebhookSender:
    """Signed webhooks to the subscribers of ``REGFLOW_WEBHOOKS`` (none: rows go dead)."""
    endpoints = [Endpoint(w.url, w.secret.get_secret_value()) for w in settings.webhooks]
    return WebhookSender(endpoints, timeout=settings.webhook_timeout_seconds)
