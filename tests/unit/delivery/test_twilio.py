"""TwilioSmsSender against a real local HTTP server speaking the Messages API's shape."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError
from regflow.delivery.sms_twilio import TwilioSmsSender
from regflow.delivery.templates import Renderer
from support.http_sink import HttpSink
from support.server import free_port

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-not-real"


@pytest.fixture
def twilio() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


def sms(**changes: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "id": "4c0f6f0e-1111-4a39-9f7e-1c2b3d4e5f60",
        "kind": OutboxKind.SMS,
        "recipient": "+919876543210",
        "template": "verification_code",
        "context": {"code": "482915", "expires_minutes": 10, "flow": "organization"},
        "created_at": NOW,
        "available_at": NOW,
    }
    values.update(changes)
    return OutboxMessage(**values)


def sender(base_url: str, **kwargs: Any) -> TwilioSmsSender:
    return TwilioSmsSender(SID, TOKEN, "+15005550006", Renderer(), base_url=base_url, **kwargs)


async def test_posts_the_form_fields_with_basic_auth(twilio: HttpSink) -> None:
    await sender(twilio.base_url).send(sms())

    [request] = twilio.wait(1)
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    scheme, _, credentials = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{SID}:{TOKEN}"
    form = parse_qs(request.body.decode())
    assert form["To"] == ["+919876543210"]
    assert form["From"] == ["+15005550006"]
    assert form["Body"][0].startswith("482915 is your verification code")
    assert set(form) == {"To", "From", "Body"}


async def test_a_trailing_slash_in_the_base_url_is_fine(twilio: HttpSink) -> None:
    await sender(twilio.base_url + "/").send(sms())
    assert twilio.wait(1)[0].path.startswith("/2010-04-01/Accounts/")


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (429, False), (500, False), (503, False)]
)
async def test_outcomes(twilio: HttpSink, status: int, permanent: bool) -> None:
    twilio.replies.append(status)
    with pytest.raises(DeliveryError) as caught:
        await sender(twilio.base_url).send(sms())
    assert caught.value.permanent is permanent
    assert str(status) in caught.value.message
    assert "9876543210" not in caught.value.message and TOKEN not in caught.value.message
    if status == 400:
        assert "21211" in caught.value.message  # Twilio's error code, not its text


async def test_unreachable_and_slow_servers_are_temporary(twilio: HttpSink) -> None:
    with pytest.raises(DeliveryError) as refused:
        await sender(f"http://127.0.0.1:{free_port()}").send(sms())
    assert refused.value.permanent is False


async def test_refuses_wrong_kind_and_bad_number(twilio: HttpSink) -> None:
    with pytest.raises(DeliveryError) as kind:
        await sender(twilio.base_url).send(sms(kind=OutboxKind.EMAIL))
    with pytest.raises(DeliveryError) as number:
        await sender(twilio.base_url).send(sms(recipient="+91 98765\n43210"))
    assert kind.value.permanent and number.value.permanent
    assert twilio.received == []


def test_configuration_is_checked_and_the_token_never_shown() -> None:
    with pytest.raises(ValueError, match="http"):
        TwilioSmsSender(SID, TOKEN, "+1500", Renderer(), base_url="ftp://x")
    with pytest.raises(ValueError, match="SID"):
        TwilioSmsSender("", TOKEN, "+1500", Renderer())
    assert TOKEN not in repr(TwilioSmsSender(SID, TOKEN, "+1500", Renderer()))
