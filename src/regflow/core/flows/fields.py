"""Field types shared by the organization, teacher and student flows.

Each is an ``Annotated`` type whose validator raises a ``FieldProblem`` with a
stable code (through :func:`field_check`). Validators that need another value
(a phone number's country) read it from the fields validated before them or
from the registration passed as validation context.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from regflow.core import identifiers, locations, organizations
from regflow.core.flowspec import StepFields, field_check
from regflow.core.model import Registration
from regflow.errors import ErrorCode, FieldProblem

R = TypeVar("R")

Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"ui_type": "email"}),
    AfterValidator(field_check(identifiers.normalize_email)),
]
Password = Annotated[str, Field(max_length=1024)]
Country = Annotated[
    str,
    Field(max_length=8, json_schema_extra={"ui_type": "country"}),
    AfterValidator(field_check(locations.normalize_country)),
]
Timezone = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"ui_type": "timezone"}),
    AfterValidator(field_check(locations.normalize_timezone)),
]
JoinCode = Annotated[
    str, Field(max_length=64), AfterValidator(field_check(organizations.normalize_join_code))
]
PhoneText = Annotated[str, Field(max_length=64, json_schema_extra={"ui_type": "tel"})]
PostalText = Annotated[str | None, Field(default=None, max_length=32, validate_default=True)]


def one_of(options: tuple[str, ...]) -> AfterValidator:
    """One of ``options`` (any case, stored lower-case), or ``INVALID_CHOICE``."""

    def check(value: str) -> str:
        folded = value.strip().lower()
        if folded not in options:
            raise FieldProblem(
                "", ErrorCode.INVALID_CHOICE, "Choose one of: " + ", ".join(options) + "."
            )
        return folded

    return AfterValidator(field_check(check))


def choices(options: tuple[str, ...]) -> Any:
    """The field's limits and its options for a UI (pair it with :func:`one_of`)."""
    return Field(max_length=64, json_schema_extra={"ui_type": "choice", "options": list(options)})


def name_check(field: str) -> AfterValidator:
    """A person's name, 2..50 letters, spaces, hyphens and apostrophes (seed 003)."""
    return AfterValidator(field_check(lambda v: identifiers.validate_person_name(v, field)))


def place_check(field: str, max_length: int = locations.PLACE_MAX) -> AfterValidator:
    """A city, state, institution or label: see :func:`locations.normalize_place`."""
    return AfterValidator(
        field_check(lambda v: locations.normalize_place(v, field, max_length=max_length))
    )


Text = Annotated[str, Field(max_length=400)]


def checked(fn: Callable[[], R]) -> R:
    """Run a check inside a field validator, reporting a FieldProblem with its own code."""
    try:
        return fn()
    except FieldProblem as problem:
        raise PydanticCustomError(problem.code, problem.message) from None


def registration_of(info: ValidationInfo) -> Registration | None:
    """The registration a step is validated for, when the engine passed it."""
    context = info.context if isinstance(info.context, dict) else {}
    registration = context.get("registration")
    return registration if isinstance(registration, Registration) else None


def phone_in(value: str, country: object) -> str:
    """``value`` as E.164, national numbers read as numbers of ``country``."""
    region = country if isinstance(country, str) and len(country) == 2 else None
    return identifiers.normalize_phone(value, region)


def postal_in(value: str | None, country: object) -> str | None:
    return locations.normalize_postal_code(value, country if isinstance(country, str) else None)


def plausible_birth_date(value: date, today: date | None) -> date:
    """A date of birth between 1900 and 3 years before ``today`` (when known)."""
    if value.year < 1900:
        raise FieldProblem(
            "date_of_birth", ErrorCode.DATE_OF_BIRTH_INVALID, "Enter your date of birth."
        )
    if today is not None and (today.year - value.year) * 12 + today.month - value.month < 36:
        raise FieldProblem(
            "date_of_birth", ErrorCode.DATE_OF_BIRTH_INVALID, "Enter your date of birth."
        )
    return value


def today_of(info: ValidationInfo) -> date | None:
    """The registration's day (its last activity, in UTC): the core has no clock of its own."""
    registration = registration_of(info)
    if registration is None:
        return None
    return registration.updated_at.astimezone(UTC).date()


class LocatedContact(StepFields):
    """Base of a step whose ``phone`` and ``postal_code`` are read in its own ``country``.

    Subclasses declare ``country`` before ``phone`` and ``postal_code``, so the
    country is already validated when these run.
    """

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str, info: ValidationInfo) -> str:
        return checked(lambda: phone_in(value, info.data.get("country")))

    @field_validator("postal_code", check_fields=False)
    @classmethod
    def _postal(cls, value: str | None, info: ValidationInfo) -> str | None:
        return checked(lambda: postal_in(value, info.data.get("country")))
