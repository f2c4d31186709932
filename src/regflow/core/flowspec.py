"""Declaring flows: ordered steps, each a Pydantic fields model plus the
verifications it needs and an optional skip condition, and the completion
hooks (:mod:`regflow.core.hooks`) that say what completing the flow creates.

Field validators raise ``FieldProblem``; :func:`field_check` turns them into
Pydantic custom errors so one validation pass reports every field with its
stable code.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from regflow.core.hooks import (
    AcceptInvitation,
    CompletionHook,
    FieldRef,
    JoinByCode,
    fields_read,
)
from regflow.core.model import Channel, Registration
from regflow.errors import ErrorCode, FieldProblem, NotFound, ValidationFailed

T = TypeVar("T")
R = TypeVar("R")
H = TypeVar("H", bound=CompletionHook)

MAX_STRING = 1000  # no single field is longer; names and emails have tighter limits
# fields whose values a password may not contain (read in every step submitted so far)
PERSONAL_FIELDS = frozenset(
    {"email", "username", "first_name", "last_name", "name", "full_name", "organization_name"}
)


class StepFields(BaseModel):
    """Base of every step's fields: unknown fields are refused, never applied."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_STRING, frozen=True)


def field_check(fn: Callable[[T], R]) -> Callable[[T], R]:
    """Wrap a validator raising FieldProblem so Pydantic reports it with its code."""

    def wrapped(value: T) -> R:
        try:
            return fn(value)
        except FieldProblem as problem:
            raise PydanticCustomError(problem.code, problem.message) from None

    return wrapped


_PYDANTIC_CODES = {
    "missing": (ErrorCode.REQUIRED, "This field is required."),
    "extra_forbidden": (ErrorCode.UNKNOWN_FIELD, "This field is not accepted."),
    "string_too_long": (ErrorCode.TOO_LONG, "This value is too long."),
    "string_too_short": (ErrorCode.TOO_SHORT, "This value is too short."),
    "too_long": (ErrorCode.TOO_LONG, "Too many values."),
    "too_short": (ErrorCode.TOO_SHORT, "Too few values."),
}


def problems_from(error: ValidationError) -> list[FieldProblem]:
    """Turn a Pydantic error into stable field problems (messages never echo input)."""
    problems: list[FieldProblem] = []
    for item in error.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in item["loc"]) or "body"
        kind = item["type"]
        if kind in _PYDANTIC_CODES:
            code, message = _PYDANTIC_CODES[kind]
        elif kind in ErrorCode.__members__:  # a FieldProblem code carried through field_check
            code, message = ErrorCode(kind), item["msg"]
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            code, message = ErrorCode.INVALID_TYPE, "This value has the wrong type."
        else:
            code, message = ErrorCode.INVALID_VALUE, "This value is not valid."
        problems.append(FieldProblem(loc, code, message))
    return problems


class StepRule(enum.Enum):
    """Behaviour a step declares; the services carry it out, never naming a flow."""

    # submitting the step draws the organization's join code (shown before completion)
    RESERVES_JOIN_CODE = "reserves_join_code"
    # the department must be one of the joined organization's (when it lists any)
    DEPARTMENT_OF_JOINED_ORGANIZATION = "department_of_joined_organization"


@dataclass(frozen=True)
class StepSpec:
    name: str
    fields: type[StepFields]
    verifications: tuple[Channel, ...] = ()
    skip_if: Callable[[Registration], bool] | None = None
    phase: int = 1
    title: str = ""
    # fields the services replace by a hash before anything is stored
    secret_fields: frozenset[str] = field(default_factory=frozenset)
    rules: frozenset[StepRule] = field(default_factory=frozenset)

    def skipped(self, registration: Registration) -> bool:
        return self.skip_if is not None and self.skip_if(registration)

    def parse(self, raw: Mapping[str, Any], registration: Registration | None = None) -> StepFields:
        """Validate ``raw``; validators that need earlier steps read ``registration`` from
        the validation context (e.g. a phone number read in the organization's country)."""
        try:
            return self.fields.model_validate(dict(raw), context={"registration": registration})
        except ValidationError as error:
            raise ValidationFailed(problems_from(error)) from None

    def describe_fields(self) -> list[dict[str, Any]]:
        # copies: callers may add to them; the schema itself is built once per model
        return [dict(item) for item in _described(self.fields)]


@functools.cache
def _described(fields: type[StepFields]) -> tuple[Mapping[str, Any], ...]:
    """The fields of a model as clients see them (building a JSON schema is slow: cached)."""
    schema = fields.model_json_schema()
    required = set(schema.get("required", []))
    return tuple(
        {"name": name, "type": _ui_type(name, prop), "required": name in required}
        for name, prop in schema.get("properties", {}).items()
    )


def _ui_type(name: str, prop: Mapping[str, Any]) -> str:
    if "ui_type" in prop:
        return str(prop["ui_type"])
    if "password" in name:
        return "password"
    kinds = {prop.get("type")} | {p.get("type") for p in prop.get("anyOf", [])}
    for json_type, ui in (("array", "list"), ("boolean", "boolean"), ("integer", "integer")):
        if json_type in kinds:
            return ui
    return "text"


@dataclass(frozen=True)
class FlowSpec:
    """A flow: its steps in order and what completing it creates (``on_complete``, run in
    order by ``regflow.services.hooks``)."""

    name: str
    steps: tuple[StepSpec, ...]
    phases: int
    title: str = ""
    intro: str = ""  # one sentence shown where the flow is chosen and on its first page
    finish_label: str = ""  # the last page's button ("" : the pages' default)
    password_policy: str | None = None  # a policy name; None: the configured one
    on_complete: tuple[CompletionHook, ...] = ()
    # where the account's first and last names come from when the flow asks for one full
    # name (split at the first space); None: a ``full_name`` field of any step
    full_name: FieldRef | None = None
    personal_fields: frozenset[str] = PERSONAL_FIELDS  # a password may not contain these

    def __post_init__(self) -> None:
        """Refuse a hook or full name that reads a field no step of this flow has: a typo
        would otherwise surface only when someone completes the flow."""
        fields = {step.name: set(step.fields.model_fields) for step in self.steps}
        refs = [ref for hook in self.on_complete for ref in fields_read(hook)]
        if self.full_name is not None:
            refs.append(self.full_name)
        unknown = [f"{step}.{name}" for step, name in refs if name not in fields.get(step, ())]
        if unknown:
            raise ValueError(f"flow {self.name!r} reads unknown fields: {', '.join(unknown)}")

    def hooks(self, kind: type[H]) -> list[H]:
        """The completion hooks of one kind, in order."""
        return [hook for hook in self.on_complete if isinstance(hook, kind)]

    def join_code(self, registration: Registration) -> str | None:
        """The code ``registration`` joins an organization by: given in a step that applies,
        never for a registration an invitation started (the invitation names it)."""
        for hook in self.hooks(JoinByCode):
            code = self.join_code_of(hook, registration)
            if code is not None:
                return code
        return None

    def join_code_fields(self, step: str) -> tuple[str, ...]:
        """The fields of ``step`` that hold a join code (checked when the step is submitted:
        the code must name an organization that takes members by code)."""
        return tuple(hook.code[1] for hook in self.hooks(JoinByCode) if hook.code[0] == step)

    def join_code_of(self, hook: JoinByCode, registration: Registration) -> str | None:
        """The code ``hook`` reads, when its step applies and no invitation started it."""
        if registration.invitation is not None or self.step(hook.code[0]).skipped(registration):
            return None
        code = registration.field(*hook.code)
        return str(code) if code else None

    @property
    def first(self) -> StepSpec:
        return self.steps[0]

    def step(self, name: str) -> StepSpec:
        for spec in self.steps:
            if spec.name == name:
                return spec
        raise NotFound(f"This flow has no step {name!r}.", code=ErrorCode.STEP_NOT_FOUND)

    def index(self, name: str) -> int:
        return [spec.name for spec in self.steps].index(name)


def flow_for_invitee(role: str, flows: Iterable[FlowSpec]) -> FlowSpec | None:
    """The flow an invitee with ``role`` registers through: the first of ``flows`` whose
    ``AcceptInvitation`` names the role, else the first whose ``AcceptInvitation`` names
    none (takes any role), else None."""
    general: FlowSpec | None = None
    for flow in flows:
        for hook in flow.hooks(AcceptInvitation):
            if role in hook.roles:
                return flow
            if not hook.roles and general is None:
                general = flow
    return general
