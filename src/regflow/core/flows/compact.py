"""Compact flows that seed contracts need beyond the four native ones.

- ``quick`` (seed 002): one ``account`` step (``email``, ``password``); the
  email is verified by code before the account exists.
- ``owner`` (seed 003): one ``signup`` step with the owner's email, password
  and names and the organization's name; completion creates the account, the
  organization and the owner membership together, once the email is verified.
- ``tenant`` (seed 004): ``email`` (verified first) -> ``account``
  (``password``, ``full_name``, optional ``first_name``/``last_name``,
  ``organization_name``); completion as for ``owner``.

``quick`` and ``owner`` check passwords with the ``seed`` policy their seeds
document (upper, lower, digit, special); ``tenant``'s seed says nothing, so it
follows the configured policy.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from regflow.core import identifiers
from regflow.core.flows.fields import Email, Password, name_check
from regflow.core.flowspec import FlowSpec, StepFields, StepSpec, field_check
from regflow.core.hooks import FoundOrganization
from regflow.core.model import Channel
from regflow.core.organizations import normalize_name, slug_for

SECRETS = frozenset({"password"})


def _usable_name(raw: str) -> str:
    name = normalize_name(raw, "organization_name")
    slug_for(name, "organization_name")  # reserved names are refused now, not at completion
    return name


OrganizationName = Annotated[str, Field(max_length=400), AfterValidator(field_check(_usable_name))]
PersonName = Annotated[str, Field(max_length=200)]


def _optional_name(field: str) -> AfterValidator:
    def check(value: str | None) -> str | None:
        return None if value is None else identifiers.validate_person_name(value, field)

    return AfterValidator(field_check(check))


class AccountFields(StepFields):
    email: Email
    password: Password


class SignupFields(StepFields):
    email: Email
    password: Password
    first_name: Annotated[PersonName, name_check("first_name")]
    last_name: Annotated[PersonName, name_check("last_name")]
    organization_name: OrganizationName


class EmailFields(StepFields):
    email: Email


class TenantAccountFields(StepFields):
    password: Password
    full_name: Annotated[PersonName, name_check("full_name")]
    first_name: Annotated[
        str | None, Field(default=None, max_length=200), _optional_name("first_name")
    ] = None
    last_name: Annotated[
        str | None, Field(default=None, max_length=200), _optional_name("last_name")
    ] = None
    organization_name: OrganizationName


QUICK = FlowSpec(
    name="quick",
    title="Create your account",
    phases=1,
    password_policy="seed",  # noqa: S106 - a policy name
    steps=(
        StepSpec(
            "account",
            AccountFields,
            verifications=(Channel.EMAIL,),
            title="Your account",
            secret_fields=SECRETS,
        ),
    ),
)

OWNER = FlowSpec(
    name="owner",
    title="Register your organization",
    phases=1,
    password_policy="seed",  # noqa: S106 - a policy name
    steps=(
        StepSpec(
            "signup",
            SignupFields,
            verifications=(Channel.EMAIL,),
            title="You and your organization",
            secret_fields=SECRETS,
        ),
    ),
    on_complete=(FoundOrganization(name=("signup", "organization_name")),),
)

TENANT = FlowSpec(
    name="tenant",
    title="Create your workspace",
    phases=2,
    steps=(
        StepSpec("email", EmailFields, verifications=(Channel.EMAIL,), phase=1, title="Your email"),
        StepSpec(
            "account", TenantAccountFields, phase=2, title="Your workspace", secret_fields=SECRETS
        ),
    ),
    full_name=("account", "full_name"),
    on_complete=(FoundOrganization(name=("account", "organization_name")),),
)
