"""Drop-in field names: every name a seed uses for a value, in camelCase and snake_case.

A frontend written from a seed document sends the names it read there, and a
seed sometimes names one value twice (seed 001's step 2 asks for the "Admin
Email" and answers it as ``email``). :func:`canonical` rewrites a request body
so that each adapter finds its value under the one name it reads:

- every top-level key is also offered in the other case (``first_name`` <->
  ``firstName``, ``registrationToken`` <-> ``registration_token``);
- :data:`ALIASES` adds, per route, the other names the seed uses for a value
  (in either case);
- a contract handle sent only as ``X-Registration-Token`` is read as the body's
  ``registrationToken``.

A name the client sent is never overwritten: when a body holds two names for
one value, the adapter's own name wins. Nothing else changes: the adapters,
the engine and their validation see the same values as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

HANDLE = "registrationToken"
HANDLE_HEADER = "x-registration-token"

_SEED_001_ADMIN = {  # step 2 answers the admin's email and phone as ``email`` and ``phone``
    "email": "adminEmail",
    "phone": "adminPhone",
    "name": "adminName",
    "fullName": "adminName",
    "confirmPassword": "confirmPassword",
    "passwordConfirmation": "confirmPassword",
}
_SEED_001_PERSON = {"name": "fullName"}  # the completion's ``teacher.name`` / ``student.name``
_SEED_001_OTP = {"code": "otp", "emailOtp": "otp", "phoneOtp": "otp"}
_SEED_001_STUDENT_CODE = {"organizationCode": "orgCode"}

# route -> {a name the seed also uses: the name the adapter reads}
ALIASES: dict[str, dict[str, str]] = {
    # 000 phased: the seed names phases, not fields; the security phase takes the
    # confirmation under seed 001's name too, and the org code under its long name
    "/auth/registration/security": {
        "confirmPassword": "passwordConfirmation",
        "organizationCode": "orgCode",
    },
    "/auth/verify-email-code": {"otp": "code", "verificationCode": "code"},
    # 001 evalon
    "/api/organizations/register/step1": {"name": "organisationName"},
    "/api/organizations/register/step2": _SEED_001_ADMIN,
    "/api/organizations/register/verify-email-otp": _SEED_001_OTP,
    "/api/organizations/register/verify-phone-otp": _SEED_001_OTP,
    "/api/organizations/register/step3": {"logoKey": "logoTempKey"},
    "/api/teachers/register/step1": _SEED_001_PERSON,
    "/api/teachers/register": _SEED_001_PERSON,
    "/api/students/register/step1": _SEED_001_PERSON,
    "/api/students/register/step2": _SEED_001_STUDENT_CODE,
    # 002 pending: its pending-user record calls the bcrypt hash ``hashedPassword``
    "/api/auth/verify-and-create": {"code": "verificationCode"},
    "/api/users": {"hashedPassword": "passwordHash", "verified": "isVerified"},
    # 003 oneshot: the code is the mail's "6-digit OTP"
    "/api/v1/auth/verify-email": {"otp": "code", "verificationCode": "code"},
    # 004 verify_first: the answer calls the name ``full_name``
    "/auth/verify-email": {"verificationCode": "code"},
    "/auth/register": {"fullName": "name"},
}

_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """``registrationToken`` -> ``registration_token``."""
    return _HUMP.sub(r"_\1", name).lower()


def camel(name: str) -> str:
    """``first_name`` -> ``firstName``; a name without underscores is kept."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# a key's two spellings, kept for the short names bodies carry (bounded: keys are the
# client's); the aliases' spellings worked out once per route
_SPELLINGS: dict[str, tuple[str, str]] = {}
_SPELLINGS_MAX, _SPELLINGS_LONGEST = 4096, 64
_ALIAS_SPELLINGS = {
    route: [((alias, snake(alias)), name, snake(name)) for alias, name in aliases.items()]
    for route, aliases in ALIASES.items()
}


def _spellings(key: str) -> tuple[str, str]:
    """``(camel(key), snake(key))``."""
    found = _SPELLINGS.get(key)
    if found is None:
        found = (camel(key), snake(key))
        if len(key) <= _SPELLINGS_LONGEST and len(_SPELLINGS) < _SPELLINGS_MAX:
            _SPELLINGS[key] = found
    return found


def canonical(
    body: Mapping[str, Any], route: str, handle_header: str | None = None
) -> dict[str, Any]:
    """``body`` with each value also under the names the route's adapter reads."""
    found = dict(body)
    for key, value in body.items():
        if isinstance(key, str):
            for variant in _spellings(key):
                found.setdefault(variant, value)
    for variants, name, snake_name in _ALIAS_SPELLINGS.get(route, ()):
        for variant in variants:
            if variant in body and name not in body and snake_name not in body:
                found[name] = body[variant]
    if handle_header and not found.get(HANDLE):
        found[HANDLE] = handle_header
    return found
