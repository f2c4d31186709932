"""A flow that exists only in the tests: ``volunteer``, declared and registered here.

contact (full name, email; verified) -> team (a join code; skipped for a solo
volunteer) -> password. Completing it keeps the contact as a profile and joins
the team's organization as a member, as that organization's join policy says.
Nothing under ``src/`` names it: it is one module plus its registration.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from regflow.core.flows import register
from regflow.core.flows.fields import Email, JoinCode, Password, name_check
from regflow.core.flowspec import FlowSpec, StepFields, StepSpec
from regflow.core.hooks import AcceptInvitation, JoinByCode, KeepProfile
from regflow.core.model import Channel, Registration, Role


class ContactFields(StepFields):
    full_name: Annotated[str, Field(max_length=200), name_check("full_name")]
    email: Email
    solo: bool = False


class TeamFields(StepFields):
    team_code: JoinCode


class PasswordFields(StepFields):
    password: Password
    password_confirmation: Password


def _solo(registration: Registration) -> bool:
    return bool(registration.field("contact", "solo"))


FLOW = register(
    FlowSpec(
        name="volunteer",
        title="Volunteer with us",
        phases=3,
        steps=(
            StepSpec("contact", ContactFields, verifications=(Channel.EMAIL,), phase=1),
            StepSpec("team", TeamFields, skip_if=_solo, phase=2),
            StepSpec(
                "password",
                PasswordFields,
                phase=3,
                secret_fields=frozenset({"password", "password_confirmation"}),
            ),
        ),
        full_name=("contact", "full_name"),
        on_complete=(
            KeepProfile({"contact": ("full_name", "solo")}),
            AcceptInvitation(),
            JoinByCode(
                code=("team", "team_code"), role=Role.MEMBER, details={"contact": ("solo",)}
            ),
        ),
    )
)
