"""The ``student`` flow (seed 001): basic -> organization -> security -> mapping.

As for teachers, the basic step sends the email and phone codes and the
security step cannot be passed before both are confirmed. A student joins an
organization by its code or registers standalone (then the current
institution is asked and the mapping step is skipped); an invited student
skips the organization step. The department chosen in the mapping step must
be one of the organization's own (checked by the service); ``year`` is the
year of study (1..12) and ``batch`` a label such as ``2024-2028``. With the
organization's ``approval`` join policy the membership starts ``pending``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from regflow.core.flows.fields import (
    Country,
    Email,
    LocatedContact,
    PhoneText,
    PostalText,
    Text,
    checked,
    choices,
    name_check,
    one_of,
    place_check,
    plausible_birth_date,
    today_of,
)
from regflow.core.flows.teacher import security_step
from regflow.core.flowspec import FlowSpec, StepFields, StepRule, StepSpec
from regflow.core.hooks import AcceptInvitation, JoinByCode, KeepProfile
from regflow.core.locations import normalize_place
from regflow.core.model import Registration, Role
from regflow.core.organizations import normalize_join_code
from regflow.errors import ErrorCode, FieldProblem

GENDERS = ("female", "male", "non_binary", "other", "prefer_not_to_say")
REGISTRATION_TYPES = ("organization", "standalone")
MEMBERSHIP_DETAILS = {
    "organization": ("academic_level",),
    "mapping": ("department", "batch", "year", "auto_mapping"),
}


class BasicFields(LocatedContact):
    full_name: Annotated[str, Field(max_length=200), name_check("full_name")]
    email: Email
    date_of_birth: Annotated[date, Field(json_schema_extra={"ui_type": "date"})]
    gender: Annotated[str, choices(GENDERS), one_of(GENDERS)]
    country: Country
    phone: PhoneText
    city: Annotated[Text, place_check("city")]
    postal_code: PostalText

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date, info: ValidationInfo) -> date:
        return checked(lambda: plausible_birth_date(value, today_of(info)))


class OrganizationFields(StepFields):
    """``org_code`` for ``organization``; ``current_institution`` for ``standalone``."""

    registration_type: Annotated[str, choices(REGISTRATION_TYPES), one_of(REGISTRATION_TYPES)]
    org_code: Annotated[str | None, Field(default=None, max_length=64, validate_default=True)]
    current_institution: Annotated[
        str | None, Field(default=None, max_length=400, validate_default=True)
    ]
    academic_level: Annotated[Text, place_check("academic_level", 50)]

    @field_validator("org_code")
    @classmethod
    def _code(cls, value: str | None, info: ValidationInfo) -> str | None:
        def check(code: str | None) -> str | None:
            if info.data.get("registration_type") != "organization":
                return None  # standalone: a code sent along is ignored, never applied
            if code is None or not code.strip():
                raise FieldProblem("org_code", ErrorCode.REQUIRED, "This field is required.")
            return normalize_join_code(code)

        return checked(lambda: check(value))

    @field_validator("current_institution")
    @classmethod
    def _institution(cls, value: str | None, info: ValidationInfo) -> str | None:
        def check(name: str | None) -> str | None:
            if name is None or not name.strip():
                if info.data.get("registration_type") == "standalone":
                    raise FieldProblem(
                        "current_institution", ErrorCode.REQUIRED, "This field is required."
                    )
                return None
            return normalize_place(name, "current_institution")

        return checked(lambda: check(value))


class MappingFields(StepFields):
    department: Annotated[Text | None, Field(default=None)] = None
    batch: Annotated[Text | None, Field(default=None)] = None
    year: Annotated[int | None, Field(default=None, ge=1, le=12)] = None
    auto_mapping: bool = False

    @field_validator("department", "batch")
    @classmethod
    def _label(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        field = info.field_name or "department"
        letters = field == "department"  # a batch may be digits only: 2024-2028
        return checked(
            lambda: normalize_place(value, field, max_length=100, require_letter=letters)
        )


def _invited(registration: Registration) -> bool:
    return registration.invitation is not None


def _standalone(registration: Registration) -> bool:
    return bool(registration.field("organization", "registration_type") == "standalone")


FLOW = FlowSpec(
    name="student",
    title="Register as a student",
    intro="Join your school with its code, or register on your own.",
    phases=4,
    steps=(
        StepSpec("basic", BasicFields, phase=1, title="About you"),
        StepSpec(
            "organization", OrganizationFields, skip_if=_invited, phase=2, title="Your school"
        ),
        security_step(phase=3),
        StepSpec(
            "mapping",
            MappingFields,
            skip_if=_standalone,
            phase=4,
            title="Your class",
            rules=frozenset({StepRule.DEPARTMENT_OF_JOINED_ORGANIZATION}),
        ),
    ),
    full_name=("basic", "full_name"),
    on_complete=(
        KeepProfile(
            {
                "basic": ("full_name", "date_of_birth", "gender", "country", "city", "postal_code"),
                "organization": ("registration_type", "current_institution", "academic_level"),
                "mapping": ("department", "batch", "year", "auto_mapping"),
            }
        ),
        AcceptInvitation(details=MEMBERSHIP_DETAILS, roles=frozenset({Role.STUDENT})),
        JoinByCode(
            code=("organization", "org_code"), role=Role.STUDENT, details=MEMBERSHIP_DETAILS
        ),
    ),
)
