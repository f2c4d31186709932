"""The ``member`` flow (seed 000): email -> verify -> identity -> credentials.

Shown to people as three phases. The org code is optional; whether it names a
real organization is checked by the service, which has the database. Completion
joins that organization (as its join policy says) or the one an invitation names.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from regflow.core import identifiers
from regflow.core.flowspec import FlowSpec, StepFields, StepSpec, field_check
from regflow.core.hooks import AcceptInvitation, JoinByCode
from regflow.core.model import Channel, Role

Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"ui_type": "email"}),
    AfterValidator(field_check(identifiers.normalize_email)),
]
Username = Annotated[
    str, Field(max_length=64), AfterValidator(field_check(identifiers.normalize_username))
]


def _name(field: str) -> AfterValidator:
    return AfterValidator(field_check(lambda v: identifiers.validate_person_name(v, field)))


class EmailFields(StepFields):
    email: Email


class IdentityFields(StepFields):
    first_name: Annotated[str, Field(max_length=200), _name("first_name")]
    last_name: Annotated[str, Field(max_length=200), _name("last_name")]
    username: Username


class CredentialsFields(StepFields):
    password: Annotated[str, Field(max_length=1024)]
    password_confirmation: Annotated[str, Field(max_length=1024)]
    org_code: Annotated[str | None, Field(default=None, max_length=64)] = None


FLOW = FlowSpec(
    name="member",
    title="Create your account",
    intro="An account for yourself: your email address, a name and a password.",
    phases=3,
    steps=(
        StepSpec("email", EmailFields, verifications=(Channel.EMAIL,), phase=1, title="Your email"),
        StepSpec("identity", IdentityFields, phase=2, title="About you"),
        StepSpec(
            "credentials",
            CredentialsFields,
            phase=3,
            title="Secure your account",
            secret_fields=frozenset({"password", "password_confirmation"}),
        ),
    ),
    on_complete=(
        AcceptInvitation(),
        JoinByCode(code=("credentials", "org_code"), role=Role.MEMBER),
    ),
)
