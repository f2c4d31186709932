"""The unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from regflow.core import ports
from regflow.persistence import sqlite_inline
from regflow.persistence.accounts import SqlAccounts
from regflow.persistence.database import SQLITE_LOCK_TIMEOUT_SECONDS as LOCK_TIMEOUT
from regflow.persistence.email_changes import SqlEmailChanges
from regflow.persistence.erasure import SqlErasure
from regflow.persistence.expired import SqlExpiredRows
from regflow.persistence.funnel import DiscardedFunnel, EventsObserver, PendingFunnel
from regflow.persistence.funnel_queries import SqlRegistrationSweep, SqlReportQueries
from regflow.persistence.idempotency import SqlIdempotency
from regflow.persistence.imports import SqlImports
from regflow.persistence.invitations import SqlInvitations
from regflow.persistence.login_sessions import SqlLoginSessions
from regflow.persistence.oauth import SqlAuthorizationCodes, SqlRefreshTokens
from regflow.persistence.organizations import SqlMemberships, SqlOrganizations
from regflow.persistence.outbox import SqlOutbox
from regflow.persistence.password_resets import SqlPasswordResets
from regflow.persistence.profiles import SqlProfiles
from regflow.persistence.registrations import SqlRegistrations
from regflow.persistence.second_factors import SqlSecondFactors
from regflow.persistence.signing_keys import SqlSigningKeys
from regflow.persistence.uploads import SqlUploads
from regflow.persistence.verifications import SqlVerifications

WRITE_LOCK_WAIT_SECONDS = 30.0
log = logging.getLogger("regflow.metrics")


class SqlUnitOfWork:
    """``async with factory() as uow: ...; await uow.commit()``; no commit means rollback."""

    registrations: ports.RegistrationRepository
    verifications: ports.VerificationRepository
    accounts: ports.AccountRepository
    imports: ports.ImportRepository  # regflow users import
    organizations: ports.OrganizationRepository
    memberships: ports.MembershipRepository
    outbox: ports.OutboxRepository
    funnel: ports.FunnelRepository
    idempotency: ports.IdempotencyRepository
    signing_keys: ports.SigningKeyRepository
    reports: ports.ReportQueries  # funnel reports and metrics
    sweep: ports.RegistrationSweep  # expiry and retention sweep
    expired: ports.ExpiredRows  # the sweep's pruning of short-lived rows
    invitations: ports.InvitationRepository  # organizations
    uploads: ports.UploadRepository  # organizations
    profiles: ports.ProfileRepository  # organizations
    resets: ports.PasswordResetRepository  # password resets
    login_sessions: ports.LoginSessionRepository  # the hosted UI's login sessions
    second_factors: ports.SecondFactorRepository  # TOTP, recovery codes, login challenges
    erasure: ports.ErasureRepository  # leaving
    email_changes: ports.EmailChangeRepository  # changing the address
    oauth_codes: ports.AuthorizationCodeRepository  # the OpenID Provider
    refresh_tokens: ports.RefreshTokenRepository  # the OpenID Provider

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        direct: Engine | None = None,
        write_lock: asyncio.Lock | None = None,
        record_events: bool = True,
        observer: EventsObserver | None = None,
    ) -> None:
        self._engine = engine
        self._direct = direct
        self._read_only = read_only
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._write_lock = None if read_only else write_lock
        self._holds_lock = False
        self._record_events = record_events
        self._observer = observer
        self._funnel: PendingFunnel = PendingFunnel()

    async def __aenter__(self) -> Self:
        lock = self._write_lock
        if lock is not None:
            if not lock.locked():
                await lock.acquire()  # free: no timer, no task
                self._holds_lock = True
            else:
                try:
                    async with asyncio.timeout(WRITE_LOCK_WAIT_SECONDS):
                        await lock.acquire()
                    self._holds_lock = True
                except TimeoutError:
                    pass  # fall back to SQLite's own busy timeout rather than fail
        try:
            if self._direct is not None:  # SQLite: the sync connection, without greenlets
                conn: AsyncConnection = await sqlite_inline.connect(
                    self._engine, self._direct, read_only=self._read_only, timeout=LOCK_TIMEOUT
                )
            else:
                conn = await self._engine.connect()
        except BaseException:
            self._release()
            raise
        try:
            if self._read_only and self._direct is None:
                # PostgreSQL: no transaction at all (no BEGIN and ROLLBACK round trips);
                # under READ COMMITTED every statement takes its own snapshot anyway.
                # SQLite: a deferred BEGIN, which takes no write lock.
                options: dict[str, object] = {"regflow_read_only": True}
                if self._engine.dialect.name == "postgresql":
                    options["isolation_level"] = "AUTOCOMMIT"
                conn = await conn.execution_options(**options)
            self._conn = conn
            self._tx = await conn.begin()
        except BaseException:
            try:
                await conn.close()
            finally:
                self._conn = None
                self._release()
            raise
        self._funnel = PendingFunnel() if self._record_events else DiscardedFunnel()
        self.funnel = self._funnel  # written by the registrations' own writes, or at commit
        return self

    def __getattr__(self, name: str) -> object:
        """A repository, built on first use (most units of work use two or three)."""
        build = _REPOSITORIES.get(name)
        conn = self.__dict__.get("_conn")
        if build is None or conn is None:
            raise AttributeError(name)
        repository = build(self, conn)
        setattr(self, name, repository)
        return repository

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            if self._conn is not None:
                await self._conn.close()
            self._release()

    def _release(self) -> None:
        if self._holds_lock and self._write_lock is not None:
            self._holds_lock = False
            self._write_lock.release()

    async def commit(self) -> None:
        assert self._tx is not None and self._conn is not None  # noqa: S101 - inside the context
        await self._funnel.flush(self._conn)
        await self._tx.commit()
        written, self._funnel.written = self._funnel.written, []
        if self._observer is not None:
            for event in written:
                try:
                    self._observer(event)
                except Exception:  # a metric must never fail a committed use case
                    log.exception("funnel events observer failed")


_Build = Callable[[SqlUnitOfWork, AsyncConnection], object]
_REPOSITORIES: dict[str, _Build] = {
    "registrations": lambda u, c: SqlRegistrations(c, u._funnel, lock=not u._read_only),
    "verifications": lambda u, c: SqlVerifications(c),
    "accounts": lambda u, c: SqlAccounts(c),
    "imports": lambda u, c: SqlImports(c),  # regflow users import
    "organizations": lambda u, c: SqlOrganizations(c),
    "memberships": lambda u, c: SqlMemberships(c),
    "outbox": lambda u, c: SqlOutbox(c, c.dialect.name),
    "idempotency": lambda u, c: SqlIdempotency(c),
    "signing_keys": lambda u, c: SqlSigningKeys(c),
    "reports": lambda u, c: SqlReportQueries(c),  # funnel reports and metrics
    "sweep": lambda u, c: SqlRegistrationSweep(c),  # expiry and retention sweep
    "expired": lambda u, c: SqlExpiredRows(c),  # the sweep's pruning of short-lived rows
    "invitations": lambda u, c: SqlInvitations(c),  # organizations
    "uploads": lambda u, c: SqlUploads(c),  # organizations
    "profiles": lambda u, c: SqlProfiles(c),  # organizations
    "resets": lambda u, c: SqlPasswordResets(c),  # password resets
    "login_sessions": lambda u, c: SqlLoginSessions(c),  # the hosted UI's login sessions
    "second_factors": lambda u, c: SqlSecondFactors(c),  # TOTP, recovery codes, challenges
    "erasure": lambda u, c: SqlErasure(c),  # leaving
    "email_changes": lambda u, c: SqlEmailChanges(c),  # changing the address
    "oauth_codes": lambda u, c: SqlAuthorizationCodes(c),  # the OpenID Provider
    "refresh_tokens": lambda u, c: SqlRefreshTokens(c),  # the OpenID Provider
}


class SqlUnitOfWorkFactory:
    """Units of work on one engine.

    On SQLite, writers of this process queue on an asyncio lock (first come,
    first served) instead of on SQLite's busy handler, whose sleeping retries
    are unfair and gave multi-second tail latencies under load; other processes
    still meet SQLite's busy timeout.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        record_events: bool = True,
        observer: EventsObserver | None = None,
    ) -> None:
        self.engine = engine
        self.record_events = record_events
        self.observer = observer  # called once per funnel event after its commit (metrics)
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._direct = sqlite_inline.direct_engine(engine)

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine,
            read_only=read_only,
            direct=self._direct,
            write_lock=self._write_lock,
            record_events=self.record_events,
            observer=self.observer,
        )
