"""SMS through an HTTP webhook: ``POST {"to": "+E164", "body": "..."}`` with httpx.

For gateways that take a plain JSON request (an in-house relay, a provider's
generic webhook). ``REGFLOW_SMS_WEBHOOK_URL`` names the endpoint; an optional
``REGFLOW_SMS_WEBHOOK_TOKEN`` is sent as ``Authorization: Bearer``. Every
request carries ``Idempotency-Key: <outbox message id>``, the same on every
attempt, so a gateway can drop the duplicate a lost acknowledgement causes.

Outcome mapping: 2xx is delivered; 5xx, 408, 429, a timeout or a connection
error is temporary (retried with backoff); any other answer (a 4xx, a
redirect: redirects are not followed) is permanent (dead letter), as retrying
the same request cannot help. Neither the body nor the
full number is ever logged or kept in ``last_error``.
"""

from __future__ import annotations

import logging

import httpx

from regflow.core.model import OutboxMessage
from regflow.delivery.base import DeliveryError, mask_recipient
from regflow.delivery.sms_text import sms_body
from regflow.delivery.templates import Renderer

log = logging.getLogger(__name__)

TEMPORARY_STATUSES = frozenset({408, 429})


class WebhookSmsSender:
    """Sends ``OutboxKind.SMS`` messages to one HTTP endpoint."""

    def __init__(
        self,
        url: str,
        renderer: Renderer,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("REGFLOW_SMS_WEBHOOK_URL must be an http(s) URL")
        self.url = url
        self.timeout = timeout
        self._token = token
        self._renderer = renderer
        self._transport = transport  # tests pass httpx.MockTransport

    def __repr__(self) -> str:  # never shows the token
        return f"WebhookSmsSender({httpx.URL(self.url).copy_with(query=None)})"

    async def send(self, message: OutboxMessage) -> None:
        """Deliver ``message``; raises ``DeliveryError`` (permanent on most 4xx)."""
        body = sms_body(self._renderer, message, "WebhookSmsSender")
        headers = {"Idempotency-Key": message.id}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        masked = mask_recipient(message.recipient)
        # one client per message: SMS volume is low and there is no lifecycle to manage
        async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
            try:
                response = await client.post(
                    self.url, json={"to": message.recipient, "body": body}, headers=headers
                )
            except httpx.TimeoutException as exc:
                raise DeliveryError("SMS webhook timed out", permanent=False) from exc
            except httpx.HTTPError as exc:
                error = f"SMS webhook unavailable: {type(exc).__name__}"
                raise DeliveryError(error, permanent=False) from exc
        status = response.status_code
        if 200 <= status < 300:
            log.info("SMS sent: id=%s template=%s to=%s", message.id, message.template, masked)
            return
        permanent = status < 500 and status not in TEMPORARY_STATUSES
        raise DeliveryError(f"SMS webhook answered {status}", permanent=permanent)
