"""Plain data for the aggregates regflow keeps; no I/O, no framework types."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Channel(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"


class Role(enum.StrEnum):
    """A member's role in an organization (``owner`` founded it)."""

    OWNER = "owner"
    ADMIN = "admin"
    SUB_ADMIN = "sub_admin"
    TEACHER = "teacher"
    STUDENT = "student"
    MEMBER = "member"


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"  # asked to join an organization under ``approval``
    ACTIVE = "active"
    REJECTED = "rejected"


class JoinPolicy(enum.StrEnum):
    """Who may join an organization by its join code."""

    OPEN = "open"  # anyone with the code, at once
    APPROVAL = "approval"  # anyone with the code, once an admin approves
    INVITE_ONLY = "invite_only"  # nobody by code: invitations only


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    SENT = "sent"
    DEAD = "dead"


class OutboxKind(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


@dataclass
class Reserved:
    """Ids and codes drawn for what completion will create, before it exists, so that a
    contract can answer them early (seed 001's join code, seed 003's ids)."""

    account_id: str | None = None
    organization_id: str | None = None
    join_code: str | None = None

    def shown(self) -> dict[str, str]:
        """The ones drawn, by name."""
        drawn = {
            "account_id": self.account_id,
            "organization_id": self.organization_id,
            "join_code": self.join_code,
        }
        return {name: value for name, value in drawn.items() if value is not None}


@dataclass(frozen=True)
class InvitationLink:
    """The invitation that started a registration: completion joins its organization with
    its role, and the registration keeps the invited address."""

    id: str
    organization_id: str
    role: Role
    email: str


@dataclass
class Registration:
    """One person's progress through a flow.

    ``data`` holds the collected, validated fields of every submitted step, keyed
    by step name (nothing else); secrets are only ever kept as hashes
    (``password_hash``). ``verified`` maps a channel to the exact target (address)
    it was verified for, so changing the address voids the verification.
    ``reserved`` and ``invitation`` are typed fields of their own, not steps.
    """

    id: str
    flow: str
    token_hash: str
    status: RegistrationStatus
    data: dict[str, dict[str, Any]]
    verified: dict[str, str]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    variant: str | None = None
    contract: str = "native"
    locale: str = "en"
    account_id: str | None = None
    version: int = 0
    # SHA-256 of the token held by the client that proved the address, where the contract
    # names the registration by its email only (seed 004): nobody else may finish it
    proof_hash: str | None = None
    # an email-named registration (seeds 002, 003) that a later request for the same
    # address asked to hold another password or other data: whoever proves the address
    # gets the account without either password, and a mailed link to choose one
    contested: bool = False
    # SHA-256 of the attempt token of the client that made it (seeds 002, 003): confirmed
    # from that client, a contested registration keeps its own password
    attempt_hash: str | None = None
    reserved: Reserved = field(default_factory=Reserved)
    invitation: InvitationLink | None = None

    def field(self, step: str, name: str) -> Any:
        return self.data.get(step, {}).get(name)

    def submitted(self, step: str) -> bool:
        return step in self.data


@dataclass
class Verification:
    """A code (and link) challenge for one target within a registration."""

    id: str
    registration_id: str
    channel: Channel
    target: str
    code_hmac: str
    link_hash: str | None
    created_at: datetime
    expires_at: datetime
    resend_available_at: datetime
    attempts: int = 0
    sends: int = 1
    consumed_at: datetime | None = None


@dataclass
class Account:
    id: str
    email: str
    password_hash: str
    created_at: datetime
    email_verified_at: datetime | None = None
    phone: str | None = None
    phone_verified_at: datetime | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    token_version: int = 0
    status: str = "active"
    locale: str = "en"  # the language of its later mails and links (its registration's)


@dataclass
class Organization:
    id: str
    name: str
    slug: str
    join_code: str
    created_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)
    join_policy: JoinPolicy = JoinPolicy.OPEN


@dataclass
class Membership:
    id: str
    account_id: str
    organization_id: str
    role: Role
    status: MembershipStatus
    created_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutboxMessage:
    """Mail, SMS or webhook to deliver, written in the transaction that caused it.

    ``context`` holds what the template needs, codes included, until delivery.
    """

    id: str
    kind: OutboxKind
    recipient: str
    template: str
    context: dict[str, Any]
    created_at: datetime
    available_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    locale: str = "en"


@dataclass
class FunnelEvent:
    """Append-only record of one thing that happened in a registration (no personal data)."""

    registration_id: str
    flow: str
    kind: str
    at: datetime
    step: str | None = None
    code: str | None = None
    variant: str | None = None
    contract: str = "native"
    organization_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_pem: bytes
    public_jwk: dict[str, Any]
    created_at: datetime
    active: bool = True
