"""Logging in: email + password -> access token, with equal work for unknown emails.

The token speaks for one organization: the one asked for, which must be an
active membership (checked only once the password is right, so the answer
says nothing to a stranger), or else the oldest active membership. The answer lists every active
membership (organization id, name and role) to choose from.

:func:`token_response` is the one place an access token is put together, for
login, completion and accepting an invitation alike: a :class:`TokenGrant`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from regflow.core.claims import AccessClaims
from regflow.core.identifiers import normalize_email
from regflow.core.model import Account, Membership, MembershipStatus, Organization, Role
from regflow.core.second_factor import requires_second_factor
from regflow.errors import AuthenticationFailed, ErrorCode, FieldProblem, Forbidden
from regflow.services.context import ServiceContext

AMR_PASSWORD = ("pwd",)
# the account id a login reads the memberships of when no account has the address: the
# nil UUID, which no account id (a random uuid4) can be
NOBODY = "00000000-0000-0000-0000-000000000000"
TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True)
class TokenGrant:
    """An access token for an account, and how long it lasts."""

    access_token: str
    expires_in: int  # seconds
    amr: tuple[str, ...] = AMR_PASSWORD  # how the account signed in
    # the membership's organization requires a second factor the sign-in lacked: the
    # token speaks for no organization
    second_factor_required: bool = False
    token_type: str = TOKEN_TYPE


@dataclass(frozen=True)
class OrganizationChoice:
    """An active membership a login may speak for."""

    id: str
    name: str
    role: Role


@dataclass(frozen=True)
class LoggedIn:
    """A login's token and every active membership to choose from, oldest first."""

    grant: TokenGrant
    organizations: tuple[OrganizationChoice, ...]


def token_response(
    ctx: ServiceContext,
    account: Account,
    membership: Membership | None,
    *,
    organization: Organization | None,
    amr: Sequence[str] = AMR_PASSWORD,
) -> TokenGrant:
    """An access token for ``account``; its ``org`` and ``role``
    are ``membership``'s when that membership is active, else none.

    ``organization`` is the membership's: when it requires a second factor and ``amr``
    has none, the token speaks for no organization and the grant says
    ``second_factor_required`` (sign in again with the second factor, enrolling first).
    """
    active = (
        membership
        if membership is not None and membership.status is MembershipStatus.ACTIVE
        else None
    )
    withheld = (
        active is not None
        and organization is not None
        and requires_second_factor(organization.settings)
        and "otp" not in amr
    )
    if withheld:
        active = None
    claims = AccessClaims(
        sub=account.id,
        email=account.email,
        email_verified=account.email_verified_at is not None,
        org=active.organization_id if active else None,
        role=active.role if active else None,
        ver=account.token_version,
        amr=list(amr),
    )
    return TokenGrant(
        access_token=ctx.tokens.issue(claims),
        expires_in=ctx.tokens.ttl_seconds,
        amr=tuple(amr),
        second_factor_required=withheld,
    )


class SecondStep(Protocol):
    async def __call__(
        self,
        ctx: ServiceContext,
        account: Account,
        membership: Membership | None,
        organization: Organization | None,
        *,
        enrolled: bool | None = None,
    ) -> None: ...


async def _no_second_step(
    ctx: ServiceContext,
    account: Account,
    membership: Membership | None,
    organization: Organization | None,
    *,
    enrolled: bool | None = None,
) -> None:
    return None


_Memberships = tuple[list[tuple[Membership, Organization | None]], bool]


class Sessions:
    def __init__(self, ctx: ServiceContext, second_step: SecondStep = _no_second_step) -> None:
        self.ctx = ctx
        # regflow.services.second_factor.second_step, wired by Services.build
        self.second_step = second_step

    async def authenticate(self, email: str, password: str) -> Account:
        """The account whose email and password these are, with equal work for unknown
        emails; ``AuthenticationFailed`` (``INVALID_CREDENTIALS`` or, only after the right
        password, ``EMAIL_NOT_VERIFIED``) otherwise."""
        account, _ = await self._authenticate(email, password, memberships=False)
        return account

    async def _authenticate(
        self, email: str, password: str, *, memberships: bool
    ) -> tuple[Account, _Memberships | None]:
        """:meth:`authenticate`; with ``memberships``, the account's active memberships
        with their organizations and whether a second factor is enrolled, read in the
        same unit of work for every well-formed address, known or not (the same
        statements either way: the answer takes as long), and used only once the
        password is right."""
        try:
            address = normalize_email(email)
        except FieldProblem:
            address = None
        # failed logins per address, known or not (the same answer either way)
        who = address or email.strip().lower()[:320]
        await self.ctx.limits.check("login_failures", who)
        held: _Memberships | None = None
        async with self.ctx.uow(read_only=True) as uow:
            if memberships and address:
                # the account and whether a second factor is enrolled, in one statement
                found = await uow.accounts.get_by_email_for_sign_in(address)
                account, enrolled = found if found is not None else (None, False)
                owner = account.id if account else NOBODY
                held = await uow.memberships.active_with_organizations(owner), enrolled
            else:
                account = await uow.accounts.get_by_email(address) if address else None
        if account is None:
            await self.ctx.hasher.dummy_verify()
            await self.ctx.limits.hit("login_failures", who)
            raise AuthenticationFailed()
        valid, upgraded = await self.ctx.hasher.verify(password, account.password_hash)
        if not valid or account.status != "active":
            await self.ctx.limits.hit("login_failures", who)
            raise AuthenticationFailed()
        if account.email_verified_at is None:
            raise AuthenticationFailed(
                "Verify your email first.", code=ErrorCode.EMAIL_NOT_VERIFIED
            )
        if upgraded is not None:  # legacy bcrypt or older argon2 parameters
            async with self.ctx.uow() as uow:
                await uow.accounts.set_password_hash(account.id, upgraded)
                await uow.commit()
        return account, held

    async def login(
        self, email: str, password: str, *, organization_id: str | None = None
    ) -> LoggedIn:
        # one read: the account, its active memberships with their organizations and
        # whether a second factor is enrolled (used once the password is right)
        account, held = await self._authenticate(email, password, memberships=True)
        active, enrolled = held if held is not None else ([], False)
        chosen, chosen_org = active[0] if active else (None, None)
        if organization_id is not None:
            chosen, chosen_org = next(
                ((m, o) for m, o in active if m.organization_id == organization_id), (None, None)
            )
            if chosen is None:
                raise Forbidden(
                    "This account is not an active member of that organization.",
                    code=ErrorCode.NOT_A_MEMBER,
                )
        # enrolled, or the organization requires it: MFA_REQUIRED / MFA_ENROLMENT_REQUIRED
        await self.second_step(self.ctx, account, chosen, chosen_org, enrolled=enrolled)
        return LoggedIn(
            token_response(self.ctx, account, chosen, organization=chosen_org),
            tuple(
                OrganizationChoice(m.organization_id, o.name if o else "", m.role)
                for m, o in active
            ),
        )

    async def active_memberships(self, account_id: str) -> list[tuple[Membership, str]]:
        """The account's active memberships, oldest first, with each organization's name."""
        async with self.ctx.uow(read_only=True) as uow:
            active = await uow.memberships.active_with_organizations(account_id)
        return [(m, o.name if o else "") for m, o in active]
