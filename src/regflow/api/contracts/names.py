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


def canonical(
    body: Mapping[str, Any], route: str, handle_header: str | None = None
) -> dict[str, Any]:
    """``body`` with each value also under the names the route's adapter reads."""
    found = dict(body)
    for key, value in body.items():
        if isinstance(key, str):
            for variant in (camel(key), snake(key)):
                found.setdefault(variant, value)
    for alias, name in ALIASES.get(route, {}).items():
        for variant in (alias, snake(alias)):
            if variant in body and name not in body and snake(name) not in body:
                found[name] = body[variant]
    if handle_header and not found.get(HANDLE):
        found[HANDLE] = handle_header
    return found
