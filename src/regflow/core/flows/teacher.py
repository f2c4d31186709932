"""The ``teacher`` flow (seed 001): basic -> professional -> organization -> security.

The basic step collects the email and the phone and sends both codes when it
is submitted; the security step declares the two verifications, so the codes
may be confirmed at any point after the basic step and the security step (as
in the seed, where the OTPs are entered with the password) cannot be passed
before they are. The organization step is skipped for a freelance teacher and
for an invited one (the invitation names the organization). Whether the join
code names an organization that accepts members by code is checked by the
service, which has the database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from regflow.core import organizations
from regflow.core.flows.fields import (
    Country,
    Email,
    JoinCode,
    LocatedContact,
    Password,
    PhoneText,
    PostalText,
    Text,
    checked,
    choices,
    name_check,
    one_of,
    place_check,
)
from regflow.core.flowspec import FlowSpec, StepFields, StepSpec
from regflow.core.hooks import AcceptInvitation, JoinByCode, KeepProfile
from regflow.core.locations import normalize_place
from regflow.core.model import Channel, Registration, Role

AFFILIATIONS = ("organization", "freelance")
SUBJECTS_MAX = 30
SECRETS = frozenset({"password", "password_confirmation"})
MEMBERSHIP_DETAILS = {"professional": ("subjects", "role", "experience_level")}


class BasicFields(LocatedContact):
    """Who the person is and how to reach them; the phone is read in ``country``."""

    full_name: Annotated[str, Field(max_length=200), name_check("full_name")]
    email: Email
    country: Country
    phone: PhoneText
    city: Annotated[Text, place_check("city")]
    postal_code: PostalText


class ProfessionalFields(StepFields):
    subjects: Annotated[list[Text], Field(min_length=1, max_length=SUBJECTS_MAX)]
    role: Annotated[Text, place_check("role")]  # the teacher's position, e.g. "Lecturer"
    affiliation: Annotated[str, choices(AFFILIATIONS), one_of(AFFILIATIONS)]
    experience_level: Annotated[Text, place_check("experience_level", 50)]
    current_institution: Annotated[Text | None, Field(default=None)] = None
    years_of_experience: Annotated[int, Field(ge=0, le=80)]

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, value: list[str]) -> list[str]:
        return checked(lambda: organizations.normalize_departments(value, "subjects"))

    @field_validator("current_institution")
    @classmethod
    def _institution(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return checked(lambda: normalize_place(value, "current_institution"))


class OrganizationFields(StepFields):
    org_code: JoinCode


class SecurityFields(StepFields):
    password: Password
    password_confirmation: Password


def joins_no_organization_by_code(registration: Registration) -> bool:
    """Skip the join-code step: freelance, or the invitation already names the organization."""
    freelance = registration.field("professional", "affiliation") == "freelance"
    return freelance or registration.invitation is not None


def security_step(phase: int) -> StepSpec:
    """Password and confirmation; passed only once the email and phone are verified."""
    return StepSpec(
        "security",
        SecurityFields,
        verifications=(Channel.EMAIL, Channel.PHONE),
        phase=phase,
        title="Security",
        secret_fields=SECRETS,
    )


FLOW = FlowSpec(
    name="teacher",
    title="Register as a teacher",
    intro="Join your organization as a teacher, or teach independently.",
    phases=4,
    steps=(
        StepSpec("basic", BasicFields, phase=1, title="About you"),
        StepSpec("professional", ProfessionalFields, phase=2, title="Your work"),
        StepSpec(
            "organization",
            OrganizationFields,
            skip_if=joins_no_organization_by_code,
            phase=3,
            title="Your organization",
        ),
        security_step(phase=4),
    ),
    full_name=("basic", "full_name"),
    on_complete=(
        KeepProfile(
            {
                "basic": ("full_name", "country", "city", "postal_code"),
                "professional": (
                    "subjects",
                    "role",
                    "affiliation",
                    "experience_level",
                    "current_institution",
                    "years_of_experience",
                ),
            }
        ),
        AcceptInvitation(details=MEMBERSHIP_DETAILS, roles=frozenset({Role.TEACHER})),
        JoinByCode(
            code=("organization", "org_code"), role=Role.TEACHER, details=MEMBERSHIP_DETAILS
        ),
    ),
)
