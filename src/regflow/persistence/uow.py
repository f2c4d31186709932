"""The unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from regflow.core import ports
from regflow.persistence.accounts import SqlAccounts
from regflow.persistence.funnel import SqlFunnel
from regflow.persistence.funnel_queries import SqlRegistrationSweep, SqlReportQueries
from regflow.persistence.idempotency import SqlIdempotency
from regflow.persistence.invitations import SqlInvitations
from regflow.persistence.organizations import SqlMemberships, SqlOrganizations
from regflow.persistence.outbox import SqlOutbox
from regflow.persistence.profiles import SqlProfiles
from regflow.persistence.registrations import SqlRegistrations
from regflow.persistence.signing_keys import SqlSigningKeys
from regflow.persistence.uploads import SqlUploads
from regflow.persistence.verifications import SqlVerifications


class SqlUnitOfWork:
    """``async with factory() as uow: ...; await uow.commit()``; no commit means rollback."""

    registrations: ports.RegistrationRepository
    verifications: ports.VerificationRepository
    accounts: ports.AccountRepository
    organizations: ports.OrganizationRepository
    memberships: ports.MembershipRepository
    outbox: ports.OutboxRepository
    funnel: ports.FunnelRepository
    idempotency: ports.IdempotencyRepository
    signing_keys: ports.SigningKeyRepository
    reports: ports.ReportQueries  # funnel reports and metrics
    sweep: ports.RegistrationSweep  # expiry and retention sweep
    invitations: ports.InvitationRepository  # organizations
    uploads: ports.UploadRepository  # organizations
    profiles: ports.ProfileRepository  # organizations

    def __init__(self, engine: AsyncEngine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        conn = await self._engine.connect()
        if self._read_only:
            conn = await conn.execution_options(regflow_read_only=True)
        self._conn = conn
        self._tx = await conn.begin()
        dialect = conn.dialect.name
        self.registrations = SqlRegistrations(conn)
        self.verifications = SqlVerifications(conn)
        self.accounts = SqlAccounts(conn)
        self.organizations = SqlOrganizations(conn)
        self.memberships = SqlMemberships(conn)
        self.outbox = SqlOutbox(conn, dialect)
        self.funnel = SqlFunnel(conn)
        self.idempotency = SqlIdempotency(conn)
        self.signing_keys = SqlSigningKeys(conn)
        self.reports = SqlReportQueries(conn)  # funnel reports and metrics
        self.sweep = SqlRegistrationSweep(conn)  # expiry and retention sweep
        self.invitations = SqlInvitations(conn)  # organizations
        self.uploads = SqlUploads(conn)  # organizations
        self.profiles = SqlProfiles(conn)  # organizations
        return self

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

    async def commit(self) -> None:
        assert self._tx is not None  # noqa: S101 - used only inside the context
        await self._tx.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=read_only)
