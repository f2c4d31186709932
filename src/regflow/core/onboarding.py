"""What completion keeps beyond the account: profiles, member views, the account's names.

What each flow creates is declared by its completion hooks (``regflow.core.hooks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regflow.core.flowspec import FlowSpec
from regflow.core.model import MembershipStatus, Registration, Role


@dataclass
class AccountProfile:
    """What a person told an onboarding flow about themselves, beyond the account."""

    account_id: str
    kind: str  # the flow: "organization", "teacher" or "student"
    created_at: datetime
    locale: str = "en"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberView:
    """A membership with the member's account, for an organization's admins."""

    id: str
    account_id: str
    email: str
    first_name: str | None
    last_name: str | None
    role: Role
    status: MembershipStatus
    details: dict[str, Any]
    created_at: datetime


def person_names(
    spec: FlowSpec, registration: Registration, data: dict[str, Any]
) -> tuple[str | None, str | None]:
    """First and last name for the account: as given, else split from the full name the flow
    declares (``FlowSpec.full_name``, by default any step's ``full_name``)."""
    if data.get("first_name"):
        return data.get("first_name"), data.get("last_name")
    full = registration.field(*spec.full_name) if spec.full_name else data.get("full_name")
    if not full:
        return data.get("first_name"), data.get("last_name")
    first, _, rest = str(full).partition(" ")
    return first, rest or None
