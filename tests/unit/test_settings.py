"""Settings read from ``REGFLOW_*`` variables and checked on construction."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from regflow.settings import Settings


def test_outbox_lease_defaults_to_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGFLOW_OUTBOX_LEASE_SECONDS", raising=False)
    assert Settings().outbox_lease_seconds == 60


def test_outbox_lease_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGFLOW_OUTBOX_LEASE_SECONDS", "2.5")
    assert Settings().outbox_lease_seconds == 2.5


@pytest.mark.parametrize("seconds", [0, -5, 0.5])
def test_outbox_lease_below_a_second_is_refused(seconds: float) -> None:
    with pytest.raises(ValidationError, match="outbox_lease_seconds"):
        Settings(outbox_lease_seconds=seconds)


def test_outbox_batch_size_is_read_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGFLOW_OUTBOX_BATCH_SIZE", raising=False)
    assert Settings().outbox_batch_size == 100
    monkeypatch.setenv("REGFLOW_OUTBOX_BATCH_SIZE", "20")
    assert Settings().outbox_batch_size == 20
    for size in (0, 1001):
        with pytest.raises(ValidationError, match="outbox_batch_size"):
            Settings(outbox_batch_size=size)


def client(**extra: object) -> dict[str, object]:
    return {"client_id": "app", "redirect_uris": ["https://app.test/cb"], "public": True, **extra}


def test_an_oidc_client_gets_rs256_id_tokens_unless_it_asks_otherwise() -> None:
    settings = Settings(oidc_clients=[client()])
    assert settings.oidc_clients[0].id_token_signed_response_alg == "RS256"
    chosen = Settings(oidc_clients=[client(id_token_signed_response_alg="EdDSA")])
    assert chosen.oidc_clients[0].id_token_signed_response_alg == "EdDSA"


@pytest.mark.parametrize("alg", ["ES256", "HS256", "none", "RS384"])
def test_an_id_token_algorithm_regflow_cannot_sign_with_is_refused(alg: str) -> None:
    # the access tokens' algorithm is EdDSA: an ES256 key is not held, HS256 never
    with pytest.raises(ValidationError, match="id_token_signed_response_alg"):
        Settings(jwt_algorithm="EdDSA", oidc_clients=[client(id_token_signed_response_alg=alg)])
