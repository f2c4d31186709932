"""What completing a registration made: :class:`Completed`, and its idempotency codec.

``Completion.complete`` returns a :class:`Completed`; each front end renders
its own answer from it (the native API in ``regflow.api.v1.serialize``). For
an ``Idempotency-Key``, :func:`encode` keeps what was made (never the token:
tokens are not stored) with the account's token version at the time, and
:func:`decode` rebuilds the same value for a replay, which then issues a fresh
token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regflow.core.model import Account, JoinPolicy, Membership, MembershipStatus, Organization, Role
from regflow.services.organizations import OrganizationView
from regflow.services.sessions import TokenGrant

CODEC_VERSION = 1


@dataclass(frozen=True)
class AccountView:
    """The account as its owner sees it: no secret, no internal state."""

    id: str
    email: str
    email_verified: bool
    phone: str | None
    phone_verified: bool
    username: str | None
    first_name: str | None
    last_name: str | None
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountView:
        return cls(
            id=account.id,
            email=account.email,
            email_verified=account.email_verified_at is not None,
            phone=account.phone,
            phone_verified=account.phone_verified_at is not None,
            username=account.username,
            first_name=account.first_name,
            last_name=account.last_name,
            created_at=account.created_at,
        )

    @property
    def full_name(self) -> str:
        return " ".join(filter(None, [self.first_name, self.last_name]))


@dataclass(frozen=True)
class OrganizationRef:
    """The organization a membership names."""

    id: str
    name: str
    slug: str

    @classmethod
    def of(cls, organization: Organization) -> OrganizationRef:
        return cls(organization.id, organization.name, organization.slug)


@dataclass(frozen=True)
class MembershipRef:
    role: Role
    status: MembershipStatus

    @classmethod
    def of(cls, membership: Membership) -> MembershipRef:
        return cls(membership.role, membership.status)


@dataclass(frozen=True)
class NextStep:
    """What an organization's new owner may do next (stable ``id``, English ``text``)."""

    id: str
    text: str


@dataclass(frozen=True)
class Made:
    """What a completion created: the account, and its membership when it has one.

    ``founded`` is the organization the registration created (its owner sees all of it,
    join code included), with the ``next_steps`` offered to its owner."""

    account: AccountView
    organization: OrganizationRef | None = None
    membership: MembershipRef | None = None
    founded: OrganizationView | None = None
    next_steps: tuple[NextStep, ...] = ()


@dataclass(frozen=True)
class Completed:
    """A completed registration: what was made and an access token for the account."""

    made: Made
    token: TokenGrant

    @property
    def account(self) -> AccountView:
        return self.made.account

    @property
    def organization(self) -> OrganizationRef | None:
        return self.made.organization

    @property
    def membership(self) -> MembershipRef | None:
        return self.made.membership

    @property
    def founded(self) -> OrganizationView | None:
        return self.made.founded


# -- the idempotency codec ------------------------------------------------------------------


def encode(made: Made, token_version: int) -> dict[str, Any]:
    """JSON for the idempotency record: what was made, and the token version a replay
    must still find (a bump revokes every token issued before)."""
    a, org, m, f = made.account, made.organization, made.membership, made.founded
    return {
        "v": CODEC_VERSION,
        "token_version": token_version,
        "account": {
            "id": a.id,
            "email": a.email,
            "email_verified": a.email_verified,
            "phone": a.phone,
            "phone_verified": a.phone_verified,
            "username": a.username,
            "first_name": a.first_name,
            "last_name": a.last_name,
            "created_at": a.created_at.isoformat(),
        },
        "organization": {"id": org.id, "name": org.name, "slug": org.slug} if org else None,
        "membership": {"role": m.role.value, "status": m.status.value} if m else None,
        "founded": (
            {
                "id": f.id,
                "name": f.name,
                "slug": f.slug,
                "join_code": f.join_code,
                "join_policy": f.join_policy.value,
                "two_factor": f.two_factor,
                "settings": dict(f.settings),
                "logo_url": f.logo_url,
                "created_at": f.created_at.isoformat(),
            }
            if f
            else None
        ),
        "next_steps": [{"id": s.id, "text": s.text} for s in made.next_steps],
    }


def decode(kept: Mapping[str, Any]) -> tuple[Made, int]:
    """What :func:`encode` kept: ``(made, token_version)``.

    Records written before the codec held the first answer's body (a founded
    organization under ``organization``, the token version under ``_replay_guard``);
    they decode to the same value."""
    if kept.get("v") != CODEC_VERSION:
        return _decode_answer(kept)
    a, org, m, f = kept["account"], kept["organization"], kept["membership"], kept["founded"]
    made = Made(
        account=_account(a),
        organization=OrganizationRef(org["id"], org["name"], org["slug"]) if org else None,
        membership=MembershipRef(Role(m["role"]), MembershipStatus(m["status"])) if m else None,
        founded=_founded(f) if f else None,
        next_steps=tuple(NextStep(s["id"], s["text"]) for s in kept["next_steps"]),
    )
    return made, int(kept["token_version"])


def _decode_answer(body: Mapping[str, Any]) -> tuple[Made, int]:
    org, m = body.get("organization"), body.get("membership")
    founded = _founded(org) if org and "join_code" in org else None
    made = Made(
        account=_account(body["account"]),
        organization=OrganizationRef(org["id"], org["name"], org["slug"]) if org else None,
        membership=MembershipRef(Role(m["role"]), MembershipStatus(m["status"])) if m else None,
        founded=founded,
        next_steps=tuple(NextStep(s["id"], s["text"]) for s in body.get("next_steps") or []),
    )
    guard = body.get("_replay_guard") or {}
    return made, int(guard.get("token_version", 0))


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _account(a: Mapping[str, Any]) -> AccountView:
    return AccountView(
        id=str(a["id"]),
        email=str(a["email"]),
        email_verified=bool(a["email_verified"]),
        phone=a.get("phone"),
        phone_verified=bool(a.get("phone_verified")),
        username=a.get("username"),
        first_name=a.get("first_name"),
        last_name=a.get("last_name"),
        created_at=_moment(str(a["created_at"])),
    )


def _founded(f: Mapping[str, Any]) -> OrganizationView:
    return OrganizationView(
        id=str(f["id"]),
        name=str(f["name"]),
        slug=str(f["slug"]),
        join_code=str(f["join_code"]),
        join_policy=JoinPolicy(f["join_policy"]),
        two_factor=bool(f.get("two_factor")),
        settings=dict(f.get("settings") or {}),
        logo_url=f.get("logo_url"),
        created_at=_moment(str(f["created_at"])),
    )
