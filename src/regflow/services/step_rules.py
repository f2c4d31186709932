"""Rules of the organization flows that need the database, checked when a step is submitted.

The engine validates each step's fields on their own; these rules look at
what is stored: whether a join code's organization accepts members by code,
whether a student's department is one of the organization's, whether a logo
upload is still claimable, and that an invitee keeps the invited address.
Each refusal is a field problem, so the client sees it next to the field.
"""

from __future__ import annotations

from typing import Any

from regflow.core import organizations
from regflow.core.flowspec import StepRule
from regflow.core.model import Organization, Registration
from regflow.core.ports import UnitOfWork
from regflow.errors import ErrorCode, FieldProblem, ValidationFailed
from regflow.services.context import ServiceContext


async def check_step(
    ctx: ServiceContext,
    uow: UnitOfWork,
    registration: Registration,
    step: str,
    clean: dict[str, Any],
) -> None:
    """Raise ValidationFailed listing every rule ``clean`` breaks for ``step``."""
    problems: list[FieldProblem] = []
    invited = registration.invitation
    if invited is not None and "email" in clean and clean["email"] != invited.email:
        message = "Register with the address the invitation was sent to."
        problems.append(FieldProblem("email", ErrorCode.INVITATION_EMAIL_MISMATCH, message))
    spec = ctx.engine.flow(registration.flow)
    for name in spec.join_code_fields(step):  # the flow's JoinByCode hooks name them
        problem = await _join_code_problem(uow, name, clean.get(name), invited=invited is not None)
        if problem is not None:
            problems.append(problem)
            break  # one code problem is enough; other rules still report theirs
    rules = spec.step(step).rules
    if StepRule.DEPARTMENT_OF_JOINED_ORGANIZATION in rules:
        organization = await joined_organization(ctx, uow, registration)
        problem = _department_problem(organization, clean.get("department"))
        if problem is not None:
            problems.append(problem)
    password = clean.get("password")
    if isinstance(password, str) and password:
        problem = await _password_names_organization(ctx, uow, registration, password)
        if problem is not None:
            problems.append(problem)
    logo = clean.get("logo")
    if logo:
        upload = await uow.uploads.get(str(logo))
        if upload is None or upload.kind != "logo" or not upload.available(ctx.clock()):
            message = "This upload is unknown or has expired; upload the logo again."
            problems.append(FieldProblem("logo", ErrorCode.LOGO_INVALID, message))
    if problems:
        raise ValidationFailed(problems)


async def _join_code_problem(
    uow: UnitOfWork, name: str, code: Any, *, invited: bool
) -> FieldProblem | None:
    """A join code must name an organization, one that takes members by code (an invitee's
    membership comes from the invitation: only the code's existence is checked)."""
    if not code:
        return None
    found = await uow.organizations.get_by_join_code(str(code).upper())
    if found is None:
        return FieldProblem(name, ErrorCode.ORG_CODE_INVALID, "No organization has this code.")
    if not invited and organizations.membership_status(found.join_policy, invited=False) is None:
        message = "This organization accepts members by invitation only."
        return FieldProblem(name, ErrorCode.ORG_INVITE_ONLY, message)
    return None


async def joined_organization(
    ctx: ServiceContext, uow: UnitOfWork, registration: Registration
) -> Organization | None:
    """The organization ``registration`` joins: by its invitation or its join code."""
    invited = registration.invitation
    if invited is not None:
        return await uow.organizations.get(invited.organization_id)
    code = ctx.engine.flow(registration.flow).join_code(registration)
    return await uow.organizations.get_by_join_code(code) if code else None


async def _password_names_organization(
    ctx: ServiceContext, uow: UnitOfWork, registration: Registration, password: str
) -> FieldProblem | None:
    """The rule shown says "not containing … organization": the one joined counts too (the
    engine sees only names typed in the flow, not the one a join code stands for)."""
    organization = await joined_organization(ctx, uow, registration)
    if organization is None:
        return None
    try:
        ctx.engine.policy_of(registration.flow).check(password, context=[organization.name])
    except FieldProblem as problem:
        if problem.code == ErrorCode.PASSWORD_CONTEXT:
            return problem
    return None


def _department_problem(organization: Organization | None, wanted: Any) -> FieldProblem | None:
    known = list(organization.settings.get("departments") or []) if organization else []
    if not known:
        return None  # no list to choose from: any department, or none
    if not wanted:
        return FieldProblem("department", ErrorCode.REQUIRED, "Choose your department.")
    if organizations.find_department(known, str(wanted)) is None:
        message = "Choose one of your organization's departments."
        return FieldProblem("department", ErrorCode.DEPARTMENT_INVALID, message)
    return None
