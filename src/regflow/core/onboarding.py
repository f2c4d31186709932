"""What completing an organization, teacher or student registration creates, from its data.

Pure decisions only; ``regflow.services.onboarding`` does the writes. The
merged data of a finished flow is ambiguous where two steps share a field name
(the organization's ``name`` and its admin's ``name``), so everything here
reads the registration's steps by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regflow.core.invitations import invitation_of
from regflow.core.model import JoinPolicy, MembershipStatus, Registration, Role

Fields = dict[str, tuple[str, ...]]  # step name -> field names

ORG_SETTINGS: Fields = {
    "organization": (
        "country",
        "state",
        "city",
        "postal_code",
        "type",
        "student_strength",
        "government_recognized",
    ),
    "preferences": ("structure", "departments", "sub_admins", "timezone", "two_factor"),
}
PROFILE_FIELDS: dict[str, Fields] = {
    "teacher": {
        "basic": ("full_name", "country", "city", "postal_code"),
        "professional": (
            "subjects",
            "role",
            "affiliation",
            "experience_level",
            "current_institution",
            "years_of_experience",
        ),
    },
    "student": {
        "basic": ("full_name", "date_of_birth", "gender", "country", "city", "postal_code"),
        "organization": ("registration_type", "current_institution", "academic_level"),
        "mapping": ("department", "batch", "year", "auto_mapping"),
    },
    "organization": {"admin": ("name",)},
}
MEMBERSHIP_DETAILS: dict[str, Fields] = {
    "teacher": {"professional": ("subjects", "role", "experience_level")},
    "student": {
        "organization": ("academic_level",),
        "mapping": ("department", "batch", "year", "auto_mapping"),
    },
}
FLOW_ROLES = {
    "organization": Role.OWNER,
    "teacher": Role.TEACHER,
    "student": Role.STUDENT,
    "owner": Role.OWNER,  # seed 003's one-step sign-up
    "tenant": Role.OWNER,  # seed 004's verify-first sign-up
}
# flows whose completion founds an organization, and where each keeps its name
ORGANIZATION_NAME: dict[str, tuple[str, str]] = {
    "organization": ("organization", "name"),
    "owner": ("signup", "organization_name"),
    "tenant": ("account", "organization_name"),
}
UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned: flows that do not ask for a country
RESERVED_KEY = "_reserved"  # ids and codes drawn before completion (not a step)


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


def _pick(registration: Registration, spec: Fields) -> dict[str, Any]:
    picked: dict[str, Any] = {}
    for step, names in spec.items():
        values = registration.data.get(step, {})
        picked.update({name: values[name] for name in names if name in values})
    return picked


def is_onboarding(registration: Registration) -> bool:
    """Flows whose completion this module decides (any flow started by an invitation too)."""
    return registration.flow in FLOW_ROLES or invitation_of(registration) is not None


def person_names(registration: Registration, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """First and last name for the account: as given, else split from ``full_name`` or the
    admin's ``name``."""
    if data.get("first_name"):
        return data.get("first_name"), data.get("last_name")
    if registration.flow == "organization":
        full = registration.field("admin", "name")
    else:
        full = data.get("full_name")
    if not full:
        return data.get("first_name"), data.get("last_name")
    first, _, rest = str(full).partition(" ")
    return first, rest or None


def organization_settings(registration: Registration) -> dict[str, Any]:
    """The new organization's location, kind and preferences, from the organization flow."""
    return _pick(registration, ORG_SETTINGS)


def founds_organization(registration: Registration) -> bool:
    """Completion creates a new organization owned by the new account."""
    return registration.flow in ORGANIZATION_NAME and invitation_of(registration) is None


def organization_name(registration: Registration) -> str:
    step, name = ORGANIZATION_NAME.get(registration.flow, ("organization", "name"))
    return str(registration.field(step, name))


def reserved(registration: Registration, name: str) -> str | None:
    """An id or code drawn for this registration before completion (``account_id``,
    ``organization_id``, ``join_code``), so that a contract can show it early."""
    found = registration.data.get(RESERVED_KEY, {}).get(name)
    return str(found) if found else None


def reserve(registration: Registration, **values: str) -> None:
    registration.data.setdefault(RESERVED_KEY, {}).update(values)


def join_policy(registration: Registration) -> JoinPolicy:
    return JoinPolicy(registration.field("preferences", "join_policy") or JoinPolicy.OPEN)


def logo_key(registration: Registration) -> str | None:
    key = registration.field("preferences", "logo")
    return str(key) if key else None


def join_code(registration: Registration) -> str | None:
    """The code a teacher or student joins by (None: freelance, standalone or invited)."""
    if invitation_of(registration) is not None or registration.flow not in ("teacher", "student"):
        return None
    if registration.field("professional", "affiliation") == "freelance":
        return None
    code = registration.field("organization", "org_code")
    return str(code) if code else None


def role(registration: Registration) -> Role:
    """The membership role: the invitation's, else the flow's (``member`` by default)."""
    invited = invitation_of(registration)
    if invited is not None:
        return Role(invited["role"])
    return FLOW_ROLES.get(registration.flow, Role.MEMBER)


def profile(registration: Registration, account_id: str, now: datetime) -> AccountProfile | None:
    spec = PROFILE_FIELDS.get(registration.flow)
    if spec is None:
        return None
    return AccountProfile(
        account_id=account_id,
        kind=registration.flow,
        created_at=now,
        locale=registration.locale,
        data=_pick(registration, spec),
    )


def membership_details(registration: Registration) -> dict[str, Any]:
    return _pick(registration, MEMBERSHIP_DETAILS.get(registration.flow, {}))
