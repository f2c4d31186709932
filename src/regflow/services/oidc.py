"""The OpenID Provider's use cases: who a token speaks for, codes, refresh-token families.

The protocol runs in Authlib (``regflow.oidc``), synchronously, over what these
use cases loaded beforehand; what it decided to write comes back as an
:class:`Exchange` and is written here in one unit of work. Using a code or a
refresh token is atomic (``UPDATE ... WHERE used_at IS NULL``): if another
request used it first, nothing is issued and the family it belongs to is
revoked, as a replay is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from regflow.core.model import Account, MembershipStatus
from regflow.core.oidc import AuthorizationCode, Client, RefreshToken, Subject
from regflow.core.ports import UnitOfWork
from regflow.core.second_factor import requires_second_factor
from regflow.services.context import ServiceContext


@dataclass
class Exchange:
    """What one token-endpoint call loaded, and what it decided to write."""

    client_id: str | None = None
    code: AuthorizationCode | None = None
    refresh: RefreshToken | None = None
    subject: Subject | None = None
    consume_code: str | None = None  # code hash
    rotate_refresh: str | None = None  # refresh token id
    new_refresh: list[RefreshToken] = field(default_factory=list)
    revoke_families_of_code: str | None = None  # a replayed code's hash
    revoke_family: str | None = None  # a replayed refresh token's family

    @property
    def writes(self) -> bool:
        return bool(
            self.consume_code
            or self.rotate_refresh
            or self.new_refresh
            or self.revoke_families_of_code
            or self.revoke_family
        )


class OpenIdProvider:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def subject(
        self,
        account_id: str,
        client: Client,
        *,
        auth_time: datetime,
        amr: tuple[str, ...],
        family_id: str | None = None,
    ) -> Subject | None:
        """The claims of ``account_id`` at ``client``: its organization is the client's
        (when the account is an active member) or else the oldest active membership's."""
        async with self.ctx.uow(read_only=True) as uow:
            return await self._subject(uow, account_id, client, auth_time, amr, family_id)

    async def _subject(
        self,
        uow: UnitOfWork,
        account_id: str,
        client: Client,
        auth_time: datetime,
        amr: tuple[str, ...],
        family_id: str | None,
    ) -> Subject | None:
        account = await uow.accounts.get(account_id)
        if account is None or account.status != "active":
            return None
        org = org_slug = role = None
        for membership in await uow.memberships.for_account(account.id):
            if membership.status is not MembershipStatus.ACTIVE:
                continue
            organization = await uow.organizations.get(membership.organization_id)
            if organization is None:
                continue
            wanted = client.organization
            if wanted is not None and wanted not in (organization.id, organization.slug):
                continue
            if requires_second_factor(organization.settings) and "otp" not in amr:
                continue  # no token speaks for it without the second factor
            org, org_slug, role = organization.id, organization.slug, membership.role
            break
        return Subject(
            account_id=account.id,
            email=account.email,
            email_verified=account.email_verified_at is not None,
            token_version=account.token_version,
            auth_time=auth_time,
            amr=amr,
            org=org,
            org_slug=org_slug,
            role=role,
            name=_name(account),
            family_id=family_id,
        )

    async def save_code(self, code: AuthorizationCode) -> None:
        async with self.ctx.uow() as uow:
            await uow.oauth_codes.add(code)
            await uow.commit()

    async def load(
        self,
        exchange: Exchange,
        clients: dict[str, Client],
        code_hash: str | None,
        refresh_hash: str | None,
    ) -> Exchange:
        """Read the code or refresh token a token request presents, and its subject."""
        async with self.ctx.uow(read_only=True) as uow:
            if code_hash:
                exchange.code = await uow.oauth_codes.get(code_hash)
            if refresh_hash:
                exchange.refresh = await uow.refresh_tokens.get_by_hash(refresh_hash)
            found = exchange.code or exchange.refresh
            client = clients.get(found.client_id) if found else None
            if found is not None and client is not None:
                family = exchange.refresh.family_id if exchange.refresh else None
                exchange.subject = await self._subject(
                    uow, found.account_id, client, found.auth_time, found.amr, family
                )
        return exchange

    async def apply(self, exchange: Exchange) -> bool:
        """Write what the token request decided, in one unit of work; False when the code or
        refresh token was used meanwhile by another request (its family is then revoked and
        nothing new is kept)."""
        now = self.ctx.clock()
        won = True
        async with self.ctx.uow() as uow:
            if exchange.consume_code and not await uow.oauth_codes.consume(
                exchange.consume_code, now
            ):
                won = False
                exchange.revoke_families_of_code = exchange.consume_code
            if exchange.rotate_refresh and not await uow.refresh_tokens.rotate(
                exchange.rotate_refresh, now
            ):
                won = False
                if exchange.refresh is not None:
                    exchange.revoke_family = exchange.refresh.family_id
            if won:
                for token in exchange.new_refresh:
                    await uow.refresh_tokens.add(token)
            if exchange.revoke_families_of_code:
                await uow.refresh_tokens.revoke_by_code(exchange.revoke_families_of_code, now)
            if exchange.revoke_family:
                await uow.refresh_tokens.revoke_family(exchange.revoke_family, now)
            await uow.commit()
        return won

    async def revoke_family(self, family_id: str) -> None:
        async with self.ctx.uow() as uow:
            await uow.refresh_tokens.revoke_family(family_id, self.ctx.clock())
            await uow.commit()

    async def revoke_for(self, account_id: str, client_id: str | None) -> int:
        """End the account's refresh-token families at one client (or at all)."""
        async with self.ctx.uow() as uow:
            ended = await uow.refresh_tokens.revoke_for(account_id, client_id, self.ctx.clock())
            await uow.commit()
        return ended

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        async with self.ctx.uow(read_only=True) as uow:
            return await uow.refresh_tokens.get_by_hash(token_hash)

    async def holds(self, account_id: str, token_version: int, family_id: str) -> Account | None:
        """The account an access token speaks for, while its version and family hold."""
        async with self.ctx.uow(read_only=True) as uow:
            account = await uow.accounts.get(account_id)
            if account is None or account.status != "active":
                return None
            if account.token_version != token_version:
                return None
            if not await uow.refresh_tokens.family_open(family_id):
                return None
        return account


def _name(account: Account) -> str | None:
    parts = [p for p in (account.first_name, account.last_name) if p]
    return " ".join(parts) or account.username
