"""Drop-in names: case variants, a seed's second name for a value, the handle header."""

from __future__ import annotations

from typing import Any

import pytest

from regflow.api.contracts.names import ALIASES, HANDLE, camel, canonical, snake


@pytest.mark.parametrize(
    ("camel_name", "snake_name"),
    [
        ("registrationToken", "registration_token"),
        ("firstName", "first_name"),
        ("email", "email"),
        ("logoTempKey", "logo_temp_key"),
        ("governmentRecognition", "government_recognition"),
    ],
)
def test_case_variants(camel_name: str, snake_name: str) -> None:
    assert snake(camel_name) == snake_name
    assert camel(snake_name) == camel_name


def test_every_key_in_both_cases_and_the_sent_name_wins() -> None:
    body = canonical({"first_name": "Ada", "firstName": "Grace", "lastName": "L"}, "/x")
    assert body["firstName"] == "Grace" and body["first_name"] == "Ada"
    assert body["last_name"] == "L"


def test_a_seed_second_name_for_a_value() -> None:
    step2 = "/api/organizations/register/step2"
    body = canonical({"email": "a@example.com", "phone": "9876543210"}, step2)
    assert body["adminEmail"] == "a@example.com" and body["adminPhone"] == "9876543210"
    both = canonical({"email": "answer@example.com", "admin_email": "form@example.com"}, step2)
    assert both["adminEmail"] == "form@example.com"  # the adapter's own name wins
    # elsewhere ``email`` is just the email
    assert "adminEmail" not in canonical({"email": "a@example.com"}, "/api/teachers/register/step1")


def test_the_handle_header_fills_a_missing_body_handle() -> None:
    assert canonical({}, "/x", "tok.id")["registrationToken"] == "tok.id"
    assert canonical({"registrationToken": "a.b"}, "/x", "tok.id")["registrationToken"] == "a.b"
    assert canonical({"registration_token": "a.b"}, "/x", "tok.id")["registrationToken"] == "a.b"


def _reference(
    body: dict[str, Any], route: str, handle_header: str | None = None
) -> dict[str, Any]:
    """``canonical`` as first written: every spelling worked out on each call."""
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


def test_spellings_kept_once_give_the_same_bodies() -> None:
    names = ["email", "firstName", "first_name", "confirmPassword", "verificationCode", "otp"]
    names += ["fullName", "full_name", "name", "phone", "admin_email", "x" * 65, "aB" * 40, ""]
    aliases = sorted({alias for spelled in ALIASES.values() for alias in spelled})
    names += aliases + [snake(a) for a in aliases]
    bodies: list[dict[str, Any]] = [{n: i} for i, n in enumerate(names)]
    bodies += [{a: 1, b: 2} for a in names[:8] + aliases for b in names]
    bodies += [{a: 1, snake(a): 2} for a in aliases] + [{snake(a): 1, a: 2} for a in aliases]
    bodies.append({1: "not a string key", "code": "123456"})  # type: ignore[dict-item]
    for route in [*ALIASES, "/elsewhere"]:
        for body in bodies * 2:  # the second time from what was kept
            for header in (None, "handle.r1"):
                assert canonical(body, route, header) == _reference(body, route, header)
