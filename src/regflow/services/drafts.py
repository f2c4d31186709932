"""What a person already entered, so a form shown again (going back, resuming) is filled in.

Secrets are never returned: passwords are only stored as hashes and are typed again.
A registration started by an invitation offers the invited address as the ``email``
of the steps that ask for one and were not submitted yet (the flow requires that
address; whoever holds the registration followed the link mailed to it).
"""

from __future__ import annotations

from typing import Any

from regflow.core.invitations import INVITATION_KEY, invitation_of
from regflow.services.base import RegistrationUseCase

_NEVER_SHOWN = frozenset({"password_hash", "password", "password_confirmation"})


class Drafts(RegistrationUseCase):
    async def values(self, registration_id: str, token: str | None) -> dict[str, dict[str, Any]]:
        """Each submitted step's stored values, by step name, without secrets."""
        async with self.ctx.uow(read_only=True) as uow:
            registration = await self.load(uow, registration_id, token)
        drafts = {
            step: {k: v for k, v in data.items() if k not in _NEVER_SHOWN}
            for step, data in registration.data.items()
            if step != INVITATION_KEY
        }
        invited = invitation_of(registration)
        if invited is not None:
            for spec in self.ctx.engine.flow(registration.flow).steps:
                names = {f["name"] for f in spec.describe_fields()}
                if "email" in names and spec.name not in drafts:
                    drafts[spec.name] = {"email": invited["email"]}
        return drafts
