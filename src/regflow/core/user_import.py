"""Rows of a user import file, checked before anything is written.

``regflow users import FILE`` reads CSV (with a header row) or JSON lines. Each row
becomes an :class:`ImportRow` or a list of :class:`Refusal` naming its line in the
file (a CSV header is line 1, so its first row is line 2; a JSON lines file has no
header). The checks are the ones a registration makes: a valid address, username and
names, a password the policy accepts (hashed on import) or an existing bcrypt or
argon2 hash, kept as it is and upgraded to argon2id at the first login.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from regflow.core import claims
from regflow.core.identifiers import normalize_email, normalize_username, validate_person_name
from regflow.core.passwords import PasswordPolicy
from regflow.errors import ErrorCode, FieldProblem

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "username",
    "email_verified",
    "organization",
    "role",
    "password",
    "password_hash",
)
DEFAULT_ROLE = "member"
BCRYPT_HASH = re.compile(r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}")
ARGON2_HASH = re.compile(
    r"\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}
_MAX_CELL = 1024


@dataclass(frozen=True)
class ImportRow:
    """One person to create: account, and a membership when ``organization`` is set."""

    line: int
    email: str
    email_verified: bool
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    organization: str | None = None  # slug
    role: str | None = None
    password: str | None = None  # hashed before it is stored
    password_hash: str | None = None


@dataclass(frozen=True)
class Refusal:
    """Why the row at ``line`` was not imported."""

    line: int
    field: str
    code: str
    reason: str


class HeaderError(ValueError):
    """The file's columns cannot be imported (no ``email``, or unknown names)."""


def check_columns(columns: list[str]) -> None:
    """Raise :class:`HeaderError` unless ``columns`` name known, distinct columns with email."""
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise HeaderError(f"unknown columns {unknown}; known: {', '.join(COLUMNS)}")
    if len(set(columns)) != len(columns):
        raise HeaderError("a column appears twice")
    if "email" not in columns:
        raise HeaderError("the email column is required")


def _text(raw: Mapping[str, object], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldProblem(name, ErrorCode.INVALID_TYPE, "Expected text.")
    text = str(value).strip()
    if len(text) > _MAX_CELL:
        raise FieldProblem(name, ErrorCode.TOO_LONG, f"At most {_MAX_CELL} characters.")
    return text or None


def _flag(raw: Mapping[str, object], name: str) -> bool:
    value = raw.get(name)
    if isinstance(value, bool):
        return value
    text = (_text(raw, name) or "").casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldProblem(name, ErrorCode.INVALID_VALUE, "Use true or false.")


def _password(
    raw: Mapping[str, object], email: str, policy: PasswordPolicy
) -> tuple[str | None, str | None]:
    password = raw.get("password")
    if password is not None and not isinstance(password, str):
        raise FieldProblem("password", ErrorCode.INVALID_TYPE, "Expected text.")
    password = password or None  # an empty cell is no password
    hashed = _text(raw, "password_hash")
    if password and hashed:
        raise FieldProblem(
            "password", ErrorCode.INVALID_VALUE, "Give a password or a hash, not both."
        )
    if not password and not hashed:
        raise FieldProblem("password", ErrorCode.REQUIRED, "Give a password or a password_hash.")
    if hashed and not (BCRYPT_HASH.fullmatch(hashed) or ARGON2_HASH.fullmatch(hashed)):
        message = "Only bcrypt ($2a$, $2b$, $2y$) and argon2 ($argon2id$...) hashes are accepted."
        raise FieldProblem("password_hash", ErrorCode.INVALID_VALUE, message)
    if password:
        policy.check(password, context=[email])
    return password, hashed


def parse_row(line: int, raw: Mapping[str, object], policy: PasswordPolicy) -> ImportRow:
    """The row at ``line`` checked, or :class:`RowRefused` with every problem found."""
    problems: list[FieldProblem] = []
    email = first_name = last_name = username = organization = role = None
    password = password_hash = None
    verified = False
    try:
        email = normalize_email(_text(raw, "email") or "")
    except FieldProblem as problem:
        problems.append(problem)
    try:
        text = _text(raw, "first_name")
        first_name = validate_person_name(text, "first_name") if text else None
    except FieldProblem as problem:
        problems.append(problem)
    try:
        text = _text(raw, "last_name")
        last_name = validate_person_name(text, "last_name") if text else None
    except FieldProblem as problem:
        problems.append(problem)
    try:
        text = _text(raw, "username")
        username = normalize_username(text) if text else None
    except FieldProblem as problem:
        problems.append(FieldProblem("username", problem.code, problem.message))
    try:
        verified = _flag(raw, "email_verified")
    except FieldProblem as problem:
        problems.append(problem)
    try:
        organization, role = _membership(raw)
    except FieldProblem as problem:
        problems.append(problem)
    if email:
        try:
            password, password_hash = _password(raw, email, policy)
        except FieldProblem as problem:
            problems.append(problem)
    if problems or email is None:
        raise RowRefused([Refusal(line, p.field, p.code, p.message) for p in problems])
    return ImportRow(
        line=line,
        email=email,
        email_verified=verified,
        first_name=first_name,
        last_name=last_name,
        username=username,
        organization=organization,
        role=role,
        password=password,
        password_hash=password_hash,
    )


def _membership(raw: Mapping[str, object]) -> tuple[str | None, str | None]:
    organization = _text(raw, "organization")
    role = _text(raw, "role")
    if role and role not in claims.ROLES:
        raise FieldProblem(
            "role", ErrorCode.INVALID_VALUE, f"Use one of {', '.join(sorted(claims.ROLES))}."
        )
    if role and not organization:
        raise FieldProblem("role", ErrorCode.INVALID_VALUE, "A role needs an organization.")
    if not organization:
        return None, None
    return organization.casefold(), role or DEFAULT_ROLE


class RowRefused(Exception):
    """A row that cannot be imported, with every reason."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(f"line {refusals[0].line}: {len(refusals)} problem(s)")
        self.refusals = refusals
