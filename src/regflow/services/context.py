"""What every service needs, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from regflow.core.email_change import EmailChangePolicy
from regflow.core.engine import Engine
from regflow.core.experiments import Experiments
from regflow.core.login_sessions import SessionPolicy
from regflow.core.organizations import OrganizationPolicy
from regflow.core.ports import (
    NoRateLimits,
    PasswordHasher,
    PublicLinks,
    RateLimits,
    TokenIssuer,
    UnitOfWorkFactory,
)
from regflow.core.recovery import ResetPolicy
from regflow.core.second_factor import SecondFactorPolicy
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
    # where the links of mails lead (built at the edge: the hosted UI's pages when on)
    links: PublicLinks
    verification: VerificationPolicy = field(default_factory=VerificationPolicy)
    experiments: Experiments = field(default_factory=Experiments)  # variant assignment
    organizations: OrganizationPolicy = field(default_factory=OrganizationPolicy)  # join codes
    clock: Callable[[], datetime] = utc_now
    # called after a commit that wrote outbox rows, so an embedded worker wakes at once
    outbox_written: Callable[[], None] = lambda: None
    webhooks: tuple[Subscription, ...] = ()  # webhook subscribers (REGFLOW_WEBHOOKS)
    # per contract: a code lifetime its seed documents (seed 004: 15 minutes)
    code_ttl: dict[str, timedelta] = field(default_factory=dict)

    def verification_for(self, contract: str) -> VerificationPolicy:
        """The verification policy of registrations made through ``contract``."""
        ttl = self.code_ttl.get(contract)
        return self.verification if ttl is None else replace(self.verification, ttl=ttl)

    # per address and per account limits (code sends, failed codes, failed logins)
    limits: RateLimits = field(default_factory=NoRateLimits)
    # password resets: code lifetime, cooldown and attempts (the mail's link: ``links``)
    recovery: ResetPolicy = field(default_factory=ResetPolicy)
    # idle and absolute lifetimes of the hosted UI's login sessions
    login_sessions: SessionPolicy = field(default_factory=SessionPolicy)
    # the login's second step: mfa_token lifetime and attempts, the issuer apps show
    mfa: SecondFactorPolicy = field(default_factory=SecondFactorPolicy)
    # changing the email address: code lifetime, cooldown, attempts, how long undo works
    email_change: EmailChangePolicy = field(default_factory=EmailChangePolicy)
