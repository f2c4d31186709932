"""WebhookSmsSender against httpx.MockTransport: the request, and each outcome's mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from regflow.app import sms_sender
from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError
from regflow.delivery.console import ConsoleSmsSender
from regflow.delivery.sms_webhook import WebhookSmsSender
from regflow.delivery.templates import Renderer
from support.harness import make_settings

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
URL = "https://sms.example.test/send"


def sms(recipient: str = "+919876543210", kind: OutboxKind = OutboxKind.SMS) -> OutboxMessage:
    return OutboxMessage(
        id="msg-1",
        kind=kind,
        recipient=recipient,
        template="verification_code",
        context={"code": "482915", "expires_minutes": 10, "flow": "teacher"},
        created_at=NOW,
        available_at=NOW,
    )


def sender(
    handler: Callable[[httpx.Request], httpx.Response], token: str | None = None
) -> WebhookSmsSender:
    return WebhookSmsSender(
        URL, Renderer(), token=token, timeout=2, transport=httpx.MockTransport(handler)
    )


async def test_posts_to_and_body_with_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    await sender(handler, token="s3cret").send(sms())
    (request,) = seen
    assert request.method == "POST" and str(request.url) == URL
    payload = json.loads(request.content)
    assert set(payload) == {"to", "body"} and payload["to"] == "+919876543210"
    assert "482915" in payload["body"]
    assert request.headers["idempotency-key"] == "msg-1"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        *[(status, False) for status in (500, 502, 503, 408, 429)],
        *[(status, True) for status in (400, 401, 404, 422, 301)],
    ],
)
async def test_status_mapping(status: int, permanent: bool) -> None:
    with pytest.raises(DeliveryError) as failed:
        await sender(lambda _: httpx.Response(status, text="+919876543210 refused")).send(sms())
    assert failed.value.permanent is permanent
    assert failed.value.message == f"SMS webhook answered {status}"  # no number, no body


async def test_timeouts_and_connection_errors_are_temporary() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for handler in (timeout, refused):
        with pytest.raises(DeliveryError) as failed:
            await sender(handler).send(sms())
        assert failed.value.permanent is False


async def test_refuses_what_it_cannot_send_without_a_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    for message in (sms("not-a-number"), sms("+919876543210\r\nX: y"), sms(kind=OutboxKind.EMAIL)):
        with pytest.raises(DeliveryError) as failed:
            await sender(handler).send(message)
        assert failed.value.permanent is True
    unknown = sms()
    unknown.template = "no_such_template"
    with pytest.raises(DeliveryError) as failed:
        await sender(handler).send(unknown)
    assert failed.value.permanent is True


def test_url_must_be_http_and_repr_hides_the_token() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookSmsSender("ftp://x", Renderer())
    text = repr(WebhookSmsSender(URL + "?key=abc", Renderer(), token="s3cret"))
    assert "s3cret" not in text and "abc" not in text


def test_the_app_builds_the_configured_provider(tmp_path: Path) -> None:
    base = make_settings("sqlite+aiosqlite:///:memory:", tmp_path)
    assert isinstance(sms_sender(base, Renderer()), ConsoleSmsSender)
    webhook = base.model_copy(update={"sms_provider": "webhook", "sms_webhook_url": URL})
    assert isinstance(sms_sender(webhook, Renderer()), WebhookSmsSender)
    for broken in (
        base.model_copy(update={"sms_provider": "webhook"}),
        base.model_copy(update={"sms_provider": "twilio"}),
    ):
        with pytest.raises(ValueError, match="REGFLOW_SMS"):
            sms_sender(broken, Renderer())
