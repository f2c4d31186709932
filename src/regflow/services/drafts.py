"""What a person already entered, so a form shown again (going back, resuming) is filled in.

Secrets are never returned: passwords are only stored as hashes and are typed again.
A registration started by an invitation offers the invited address as the ``email``
of the steps that ask for one and were not submitted yet (the flow requires that
address; whoever holds the registration followed the link mailed to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regflow.core.model import Registration
from regflow.services.base import RegistrationUseCase
from regflow.services.step_rules import joined_organization

_NEVER_SHOWN = frozenset({"password_hash", "password", "password_confirmation"})


@dataclass(frozen=True)
class Draft:
    """What a form shown again needs: the values by step, and what they lead to."""

    values: dict[str, dict[str, Any]]
    invited: bool = False  # started by following an invitation (its email is confirmed)
    departments: list[str] = field(default_factory=list)  # of the organization joined
    country: str | None = None  # the first country entered, for phone examples and zones


class Drafts(RegistrationUseCase):
    async def values(self, registration_id: str, token: str | None) -> dict[str, dict[str, Any]]:
        """Each submitted step's stored values, by step name, without secrets."""
        async with self.ctx.uow(read_only=True) as uow:
            registration = await self.load(uow, registration_id, token)
        return self._values(registration)

    async def draft(self, registration_id: str, token: str | None) -> Draft:
        """The values plus the invitation, the joined organization's departments, the country."""
        async with self.ctx.uow(read_only=True) as uow:
            registration = await self.load(uow, registration_id, token)
            organization = await joined_organization(self.ctx, uow, registration)
        values = self._values(registration)
        country = next(
            (str(v["country"]) for v in values.values() if isinstance(v.get("country"), str)),
            None,
        )
        departments = list(organization.settings.get("departments") or []) if organization else []
        invited = registration.invitation is not None
        return Draft(values, invited, [str(d) for d in departments], country)

    def _values(self, registration: Registration) -> dict[str, dict[str, Any]]:
        drafts = {
            step: {k: v for k, v in data.items() if k not in _NEVER_SHOWN}
            for step, data in registration.data.items()
        }
        invited = registration.invitation
        if invited is not None:
            for spec in self.ctx.engine.flow(registration.flow).steps:
                names = {f["name"] for f in spec.describe_fields()}
                if "email" in names and spec.name not in drafts:
                    drafts[spec.name] = {"email": invited.email}
        return drafts
