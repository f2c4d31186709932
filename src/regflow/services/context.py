"""What every service needs, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from regflow.core.engine import Engine
from regflow.core.experiments import Experiments
from regflow.core.login_sessions import SessionPolicy
from regflow.core.organizations import OrganizationPolicy
from regflow.core.ports import (
    NoRateLimits,
    PasswordHasher,
    RateLimits,
    TokenIssuer,
    UnitOfWorkFactory,
)
from regflow.core.recovery import ResetPolicy
from regflow.core.verification import VerificationPolicy
from regflow.core.webhooks import Subscription


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
    # where the link in an invitation mail points (the hosted UI's invitation page when on)
    invitation_path: str = "/v1/invitations/"
    # called after a commit that wrote outbox rows, so an embedded worker wakes at once
    outbox_written: Callable[[], None] = lambda: None
    webhooks: tuple[Subscription, ...] = ()  # webhook subscribers (REGFLOW_WEBHOOKS)
    # per contract: a code lifetime its seed documents (seed 004: 15 minutes), and the
    # path of the email link (seed 000 serves links at /auth/verify-email/<token>)
    code_ttl: dict[str, timedelta] = field(default_factory=dict)
    link_paths: dict[str, str] = field(default_factory=dict)

    def verification_for(self, contract: str) -> VerificationPolicy:
        """The verification policy of registrations made through ``contract``."""
        ttl = self.code_ttl.get(contract)
        return self.verification if ttl is None else replace(self.verification, ttl=ttl)

    def link_path(self, contract: str) -> str:
        return self.link_paths.get(contract, self.verify_path)

    # per address and per account limits (code sends, failed codes, failed logins)
    limits: RateLimits = field(default_factory=NoRateLimits)
    # password resets: code lifetime, cooldown and attempts; where the mail's link points
    # (the hosted UI's page; None without the UI: the mail then carries the code only)
    recovery: ResetPolicy = field(default_factory=ResetPolicy)
    reset_path: str | None = None
    # idle and absolute lifetimes of the hosted UI's login sessions
    login_sessions: SessionPolicy = field(default_factory=SessionPolicy)
