"""WebhookSender: Standard Webhooks signatures, checked with the reference library."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from regflow.core import webhooks
from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError
from regflow.delivery.webhooks import Endpoint, WebhookSender, decode_secret, sign
from support.http_sink import HttpSink

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def receiver() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


def event(url: str, **data: Any) -> OutboxMessage:
    [message] = webhooks.event_messages(
        [webhooks.Subscription(url)], webhooks.REGISTRATION_COMPLETED, data, NOW
    )
    return message


async def test_delivery_verifies_with_the_reference_library(receiver: HttpSink) -> None:
    secret = new_secret()
    url = receiver.url("/hooks/regflow")
    message = event(url, account={"id": "a1", "email": "zoë@example.test"})
    await WebhookSender([Endpoint(url, secret)]).send(message)

    [request] = receiver.wait(1)
    assert request.path == "/hooks/regflow"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == message.id
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload == {
        "type": "registration.completed",
        "timestamp": "2025-01-01T12:00:00Z",
        "data": {"account": {"id": "a1", "email": "zoë@example.test"}},
    }
    with pytest.raises(WebhookVerificationError):  # another secret does not verify it
        Webhook(new_secret()).verify(request.body, request.headers)
    tampered = request.body.replace(b"a1", b"a2")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request.headers)


async def test_the_id_is_stable_across_retries_and_the_timestamp_is_the_attempts(
    receiver: HttpSink,
) -> None:
    secret = new_secret()
    url = receiver.url("/h")
    message = event(url)
    receiver.replies.append(503)
    times = iter([1_700_000_000.0, 1_700_000_042.0])
    sender = WebhookSender([Endpoint(url, secret)], clock=lambda: next(times))
    with pytest.raises(DeliveryError) as failed:
        await sender.send(message)
    assert failed.value.permanent is False
    await sender.send(message)
    first, second = receiver.wait(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.id
    assert (first.headers["webhook-timestamp"], second.headers["webhook-timestamp"]) == (
        "1700000000",
        "1700000042",
    )
    assert first.body == second.body
    key = decode_secret(secret)
    assert second.headers["webhook-signature"] == sign(key, message.id, 1_700_000_042, second.body)
    # the reference implementation signs the same bytes the same way
    reference = Webhook(secret).sign(message.id, datetime.fromtimestamp(1_700_000_042, UTC), "")
    assert reference != second.headers["webhook-signature"]  # the body is part of it
    assert (
        Webhook(secret).sign(
            message.id, datetime.fromtimestamp(1_700_000_042, UTC), second.body.decode()
        )
        == second.headers["webhook-signature"]
    )


@pytest.mark.parametrize(("status", "permanent"), [(410, True), (400, False), (500, False)])
async def test_outcomes(receiver: HttpSink, status: int, permanent: bool) -> None:
    url = receiver.url("/h")
    receiver.replies.append(status)
    with pytest.raises(DeliveryError) as caught:
        await WebhookSender([Endpoint(url, new_secret())]).send(event(url))
    assert caught.value.permanent is permanent


async def test_an_unconfigured_url_goes_dead_without_a_request(receiver: HttpSink) -> None:
    sender = WebhookSender([Endpoint(receiver.url("/a"), new_secret())])
    with pytest.raises(DeliveryError) as caught:
        await sender.send(event(receiver.url("/b")))
    assert caught.value.permanent
    assert receiver.received == []


@pytest.mark.parametrize(
    "secret",
    ["", "whsec_", "whsec_not base64!", "plain", "whsec_" + base64.b64encode(b"short").decode()],
)
def test_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        decode_secret(secret)


def test_secrets_are_never_shown() -> None:
    secret = new_secret()
    endpoint = Endpoint("https://hooks.example.test/x?token=abc", secret)
    assert secret not in repr(endpoint) and "abc" not in repr(endpoint)
    assert secret not in repr(WebhookSender([endpoint]))


def test_event_messages_follow_subscriptions() -> None:
    subs = [
        webhooks.Subscription("https://a.test/h"),
        webhooks.Subscription("https://b.test/h", frozenset({webhooks.MEMBERSHIP_APPROVED})),
    ]
    completed = webhooks.event_messages(subs, webhooks.REGISTRATION_COMPLETED, {"x": 1}, NOW)
    approved = webhooks.event_messages(subs, webhooks.MEMBERSHIP_APPROVED, {"x": 1}, NOW)
    assert [m.recipient for m in completed] == ["https://a.test/h"]
    assert [m.recipient for m in approved] == ["https://a.test/h", "https://b.test/h"]
    assert len({m.id for m in approved}) == 2  # each subscriber is retried on its own
    assert all(m.kind is OutboxKind.WEBHOOK and len(m.id) <= 36 for m in approved)
    assert json.loads(json.dumps(approved[0].context))["type"] == "membership.approved"
    with pytest.raises(ValueError):
        webhooks.event_messages(subs, "account.deleted", {}, NOW)
