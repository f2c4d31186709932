"""What every service needs, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from regflow.core.engine import Engine
from regflow.core.experiments import Experiments
from regflow.core.organizations import OrganizationPolicy
from regflow.core.ports import PasswordHasher, TokenIssuer, UnitOfWorkFactory
from regflow.core.verification import VerificationPolicy


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    uow: UnitOfWorkFactory
    engine: Engine
    hasher: PasswordHasher
    tokens: TokenIssuer
    secret: bytes
    public_url: str
    verification: VerificationPolicy = field(default_factory=VerificationPolicy)
    experiments: Experiments = field(default_factory=Experiments)  # variant assignment
    organizations: OrganizationPolicy = field(default_factory=OrganizationPolicy)  # join codes
    clock: Callable[[], datetime] = utc_now
    # where the link in a verification mail points (the hosted UI's confirmation page when on)
    verify_path: str = "/v1/verify/"
    # called after a commit that wrote outbox rows, so an embedded worker wakes at once
    outbox_written: Callable[[], None] = lambda: None
