"""The ``organization`` flow (seeds 001, 003, 004): organization -> admin -> preferences.

Completing it creates the organization, its owner's account and the owner
membership in one transaction (its ``on_complete`` hooks). The admin's
email and phone are both verified by code before the preferences step opens.
The admin's phone may be written nationally: it is read as a number of the
organization's country. Slugs and join codes are made at completion, where
uniqueness can be enforced; the name is only checked here for being usable
(long enough, not reserved).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from regflow.core import organizations
from regflow.core.flows.fields import (
    Country,
    Email,
    Password,
    PhoneText,
    PostalText,
    Text,
    Timezone,
    checked,
    choices,
    name_check,
    one_of,
    phone_in,
    place_check,
    postal_in,
    registration_of,
)
from regflow.core.flowspec import FlowSpec, StepFields, StepRule, StepSpec, field_check
from regflow.core.hooks import FoundOrganization, KeepProfile
from regflow.core.model import Channel
from regflow.core.organizations import DEPARTMENTS_MAX, JOIN_POLICIES, ORG_TYPES, STRUCTURES
from regflow.core.uploads import UPLOAD_KEY_PATTERN
from regflow.errors import ErrorCode, FieldProblem


def _usable_name(raw: str) -> str:
    name = organizations.normalize_name(raw)
    organizations.slug_for(name)  # refuses reserved names now rather than at completion
    return name


OrgName = Annotated[str, Field(max_length=400), AfterValidator(field_check(_usable_name))]


class OrganizationFields(StepFields):
    name: OrgName
    country: Country
    state: Annotated[Text, place_check("state")]
    city: Annotated[Text, place_check("city")]
    postal_code: PostalText
    type: Annotated[str, choices(ORG_TYPES), one_of(ORG_TYPES)]
    student_strength: Annotated[int, Field(ge=0, le=10_000_000)]
    government_recognized: bool

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str | None, info: ValidationInfo) -> str | None:
        return checked(lambda: postal_in(value, info.data.get("country")))


class AdminFields(StepFields):
    name: Annotated[str, Field(max_length=200), name_check("name")]
    email: Email
    phone: PhoneText
    password: Password
    password_confirmation: Password

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str, info: ValidationInfo) -> str:
        registration = registration_of(info)
        country = registration.field("organization", "country") if registration else None
        return checked(lambda: phone_in(value, country))


class PreferencesFields(StepFields):
    structure: Annotated[str, choices(STRUCTURES), one_of(STRUCTURES)]
    departments: Annotated[
        list[Text],
        Field(default_factory=list, max_length=DEPARTMENTS_MAX, validate_default=True),
    ]
    sub_admins: bool = False
    timezone: Timezone
    two_factor: bool = False
    join_policy: Annotated[str, choices(JOIN_POLICIES), one_of(JOIN_POLICIES)] = "open"
    logo: Annotated[str | None, Field(default=None, max_length=128)] = None

    @field_validator("departments")
    @classmethod
    def _departments(cls, value: list[str], info: ValidationInfo) -> list[str]:
        def check(items: list[str]) -> list[str]:
            clean = organizations.normalize_departments(items)
            if info.data.get("structure") == "multi" and not clean:
                message = "A multi-department institution needs at least one department."
                raise FieldProblem("departments", ErrorCode.REQUIRED, message)
            return clean

        return checked(lambda: check(value))

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        def check(key: str | None) -> str | None:
            if key is not None and not UPLOAD_KEY_PATTERN.fullmatch(key):
                raise FieldProblem("logo", ErrorCode.LOGO_INVALID, "Upload the logo again.")
            return key

        return checked(lambda: check(value))


FLOW = FlowSpec(
    name="organization",
    title="Register your organization",
    intro="Register a school or institution and become its administrator.",
    finish_label="Register my organization",
    phases=3,
    steps=(
        StepSpec(
            "organization",
            OrganizationFields,
            phase=1,
            title="Your organization",
            rules=frozenset({StepRule.RESERVES_JOIN_CODE}),
        ),
        StepSpec(
            "admin",
            AdminFields,
            verifications=(Channel.EMAIL, Channel.PHONE),
            phase=2,
            title="The administrator",
            secret_fields=frozenset({"password", "password_confirmation"}),
        ),
        StepSpec("preferences", PreferencesFields, phase=3, title="Preferences"),
    ),
    full_name=("admin", "name"),
    on_complete=(
        KeepProfile({"admin": ("name",)}),
        FoundOrganization(
            name=("organization", "name"),
            country=("organization", "country"),
            settings={
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
            },
            join_policy=("preferences", "join_policy"),
            logo=("preferences", "logo"),
        ),
    ),
)
