"""Webhooks signed per the Standard Webhooks scheme (https://www.standardwebhooks.com).

Each outbox row of kind ``webhook`` names its subscriber by URL; the secret
comes from the configuration (``REGFLOW_WEBHOOKS``), never from the database.
The request is ``POST <url>`` with the JSON event ``{"type", "timestamp",
"data"}`` and three headers:

- ``webhook-id``: the outbox message id, the same on every attempt, so a
  receiver can recognise a retry of a delivery it already processed;
- ``webhook-timestamp``: the attempt's time in Unix seconds;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``
  keyed with the base64-decoded part of the ``whsec_...`` secret.

Outcome mapping, as the scheme recommends: 2xx is delivered; 410 Gone is
permanent (the receiver asks us to stop); every other answer, a timeout or a
connection error is retried with backoff until the attempts run out. A row
whose URL is no longer configured goes dead with that reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery import http
from regflow.delivery.base import DeliveryError

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
GONE = frozenset({410})
LABEL = "webhook"


def decode_secret(secret: str) -> bytes:
    """The signing key of a ``whsec_<base64>`` secret; ValueError when malformed or short."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret looks like whsec_<base64>")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret looks like whsec_<base64>") from exc
    if len(key) < 24:
        raise ValueError("a webhook secret needs at least 24 random bytes (192 bits)")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one request."""
    signed = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def encode(message: OutboxMessage) -> bytes:
    """The request body: the event as compact JSON (the exact bytes that are signed)."""
    return json.dumps(message.context, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Endpoint:
    """One subscriber: its URL and signing secret (``whsec_...``)."""

    url: str
    secret: str

    def __repr__(self) -> str:  # never shows the secret
        return f"Endpoint({display_url(self.url)})"


def display_url(url: str) -> str:
    """``scheme://host/path`` of a URL: what may be logged (no query, no credentials)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


class WebhookSender:
    """Delivers ``OutboxKind.WEBHOOK`` messages to the configured endpoints."""

    def __init__(
        self,
        endpoints: Iterable[Endpoint],
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._keys = {e.url: decode_secret(e.secret) for e in endpoints}
        self.timeout = timeout
        self._clock = clock  # wall time: receivers reject timestamps far from theirs
        self._transport = transport

    def __repr__(self) -> str:
        return f"WebhookSender({len(self._keys)} endpoints)"

    async def send(self, message: OutboxMessage) -> None:
        """Deliver ``message``; raises ``DeliveryError`` (permanent only on 410 or no endpoint)."""
        if message.kind is not OutboxKind.WEBHOOK:
            raise DeliveryError(f"WebhookSender cannot send {message.kind.value}", True)
        key = self._keys.get(message.recipient)
        if key is None:
            raise DeliveryError("no webhook endpoint is configured for this URL", permanent=True)
        body = encode(message)
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, message.id, timestamp, body),
        }
        response = await http.post(
            message.recipient,
            label=LABEL,
            timeout=self.timeout,
            transport=self._transport,
            content=body,
            headers=headers,
        )
        http.check(response, LABEL, permanent=GONE)
        log.info(
            "webhook sent: id=%s event=%s to=%s",
            message.id,
            message.template,
            display_url(message.recipient),
        )
