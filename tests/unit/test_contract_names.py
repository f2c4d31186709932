"""Drop-in names: case variants, a seed's second name for a value, the handle header."""

from __future__ import annotations

import pytest

from regflow.api.contracts.names import camel, canonical, snake


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
