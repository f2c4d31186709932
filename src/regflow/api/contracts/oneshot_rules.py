"""Seed 003's validation rules, with its messages, as ``[{path, message}]`` details.

The seed documents these rules for ``POST /api/v1/auth/register``; they run
before the engine so that a frontend sees the seed's exact messages (one per
broken rule). The engine then validates again with the same rules (seed
password policy, names 2..50 letters, organization names 3..100 and reserved
slugs), so nothing the seed refuses can reach an account.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from regflow.core.identifiers import normalize_email
from regflow.errors import FieldProblem

NAMES = {"firstName": "First name", "lastName": "Last name"}


def _string(body: dict[str, Any], path: str, label: str, details: list[dict[str, str]]) -> str:
    value = body.get(path)
    if not isinstance(value, str):
        message = f"{label} is required" if value is None else f"{label} must be a string"
        details.append({"path": path, "message": message})
        return ""
    return value


def _person(value: str, path: str, label: str, details: list[dict[str, str]]) -> None:
    name = " ".join(value.split())
    if len(name) < 2:
        details.append({"path": path, "message": f"{label} must be at least 2 characters"})
    elif len(name) > 50:
        details.append({"path": path, "message": f"{label} must be at most 50 characters"})
    letters = all(
        unicodedata.category(ch)[0] in "LM" or ch in " -'’"
        for ch in unicodedata.normalize("NFC", name)
    )
    if name and not letters:
        details.append(
            {
                "path": path,
                "message": f"{label} can only contain letters, spaces, hyphens, and apostrophes",
            }
        )


def _password(value: str, details: list[dict[str, str]]) -> None:
    rules = (
        (len(value) >= 8, "Password must be at least 8 characters"),
        (any(unicodedata.category(c) == "Lu" for c in value), "one uppercase letter"),
        (any(unicodedata.category(c) == "Ll" for c in value), "one lowercase letter"),
        (any(unicodedata.category(c) == "Nd" for c in value), "one number"),
        (any(unicodedata.category(c)[0] not in "LN" for c in value), "one special character"),
    )
    for ok, message in rules:
        if not ok:
            text = (
                message
                if message.startswith("Password")
                else f"Password must contain at least {message}"
            )
            details.append({"path": "password", "message": text})


def check(body: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The cleaned fields (email normalized, names trimmed) and every broken rule."""
    details: list[dict[str, str]] = []
    email = _string(body, "email", "Email", details).strip()
    if isinstance(body.get("email"), str):
        if len(email) > 320:
            details.append({"path": "email", "message": "Email must be at most 320 characters"})
        else:
            try:
                email = normalize_email(email)
            except FieldProblem:
                details.append({"path": "email", "message": "Invalid email address"})
    password = _string(body, "password", "Password", details)
    if isinstance(body.get("password"), str):
        _password(password, details)
    names = {}
    for path, label in NAMES.items():
        value = _string(body, path, label, details)
        if isinstance(body.get(path), str):
            _person(value, path, label, details)
        names[path] = " ".join(value.split())
    organization = " ".join(_string(body, "organizationName", "Organization name", details).split())
    if isinstance(body.get("organizationName"), str):
        if len(organization) < 3:
            details.append(
                {
                    "path": "organizationName",
                    "message": "Organization name must be at least 3 characters",
                }
            )
        elif len(organization) > 100:
            details.append(
                {
                    "path": "organizationName",
                    "message": "Organization name must be at most 100 characters",
                }
            )
    clean = {
        "email": email,
        "password": password,
        "first_name": names["firstName"],
        "last_name": names["lastName"],
        "organization_name": organization,
    }
    return clean, details
