"""``regflow clients list`` reads ``REGFLOW_OIDC_CLIENTS`` and refuses a client of two kinds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from regflow.cli.main import cli
from regflow.settings import Settings

CLIENTS: list[dict[str, Any]] = [
    {
        "client_id": "web",
        "name": "Web app",
        "redirect_uris": ["https://app.example/callback"],
        "post_logout_redirect_uris": ["https://app.example/"],
        "public": True,
        "first_party": True,
        "flows": ["organization"],
    },
    {
        "client_id": "partner",
        "redirect_uris": ["https://partner.example/cb"],
        "client_secret_sha256": "ab" * 32,
        "organization": "test-university",
    },
]


def test_clients_list_shows_each_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGFLOW_OIDC_CLIENTS", json.dumps(CLIENTS))
    result = CliRunner().invoke(cli, ["clients", "list"])
    assert result.exit_code == 0, result.output
    assert "web (Web app): public (PKCE S256), first-party, no consent" in result.output
    assert "partner: confidential (client secret), asks for consent" in result.output
    assert "https://app.example/callback" in result.output and "test-university" in result.output
    assert "ab" * 32 not in result.output


@pytest.mark.parametrize(
    "bad",
    [
        {"client_id": "x", "redirect_uris": ["https://a.example/cb"]},  # neither kind
        {**CLIENTS[0], "client_secret_sha256": "ab" * 32},  # both kinds
        {**CLIENTS[0], "redirect_uris": ["https://a.example/cb#frag"]},
        {**CLIENTS[0], "redirect_uris": ["javascript:alert(1)"]},
    ],
)
def test_a_client_of_no_or_two_kinds_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(oidc_clients=[bad])
