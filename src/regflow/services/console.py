"""Who may use the organization console, and the access token its requests carry.

The console is a hosted page over the same use cases as the admin API
(``OrgAdmin``, ``Invitations``, ``InvitationAdmin``): for each request it mints
a short-lived access token for the signed-in account's owner or admin
membership, so every call is authorized exactly as an API call with a token
(role, active membership, token version) would be. The token never leaves the
server.
"""

from __future__ import annotations

from dataclasses import dataclass

from regflow.core.model import Account, Role
from regflow.core.second_factor import requires_second_factor
from regflow.services.context import ServiceContext
from regflow.services.org_admin import ADMIN_ROLES
from regflow.services.sessions import token_response


@dataclass(frozen=True)
class Seat:
    """One organization the account administers, with a token speaking for that role."""

    organization_id: str
    organization_name: str
    role: str
    token: str
    # the organization requires a second factor and this session has not used one: the
    # token does not speak for it (the console leads to the second step first)
    needs_second_factor: bool = False


class ConsoleAccess:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def seats(self, account: Account) -> list[tuple[str, str, Role]]:
        """``(organization id, name, role)`` of each active owner or admin membership."""
        async with self.ctx.uow(read_only=True) as uow:
            memberships = await uow.memberships.for_account(account.id)
            found = []
            for m in memberships:
                if m.status == "active" and m.role in ADMIN_ROLES:
                    organization = await uow.organizations.get(m.organization_id)
                    if organization is not None:
                        found.append((organization.id, organization.name, m.role))
        return found

    async def seat(
        self,
        account: Account,
        organization_id: str | None,
        amr: tuple[str, ...] = ("pwd",),
    ) -> Seat | None:
        """The seat for ``organization_id`` (or the first one), None when there is none."""
        async with self.ctx.uow(read_only=True) as uow:
            memberships = await uow.memberships.for_account(account.id)
            usable = [
                m
                for m in memberships
                if m.status == "active"
                and m.role in ADMIN_ROLES
                and (organization_id is None or m.organization_id == organization_id)
            ]
            if not usable:
                return None
            chosen = usable[0]
            organization = await uow.organizations.get(chosen.organization_id)
        if organization is None:
            return None
        # the session's methods: an organization that requires a second factor needs "otp"
        grant = token_response(self.ctx, account, chosen, organization=organization, amr=amr)
        needs = requires_second_factor(organization.settings) and "otp" not in amr
        return Seat(organization.id, organization.name, chosen.role, grant.access_token, needs)
