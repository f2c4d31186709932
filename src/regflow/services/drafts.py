"""What a person already entered, so a form shown again (going back, resuming) is filled in.

Secrets are never returned: passwords are only stored as hashes and are typed again.
"""

from __future__ import annotations

from typing import Any

from regflow.services.base import RegistrationUseCase

_NEVER_SHOWN = frozenset({"password_hash", "password", "password_confirmation"})


class Drafts(RegistrationUseCase):
    async def values(self, registration_id: str, token: str | None) -> dict[str, dict[str, Any]]:
        """Each submitted step's stored values, by step name, without secrets."""
        async with self.ctx.uow(read_only=True) as uow:
            registration = await self.load(uow, registration_id, token)
        return {
            step: {k: v for k, v in data.items() if k not in _NEVER_SHOWN}
            for step, data in registration.data.items()
        }
