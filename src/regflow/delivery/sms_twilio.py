"""SMS through a Twilio-compatible HTTP API.

``POST {base}/2010-04-01/Accounts/{account_sid}/Messages.json`` with the form
fields ``To``, ``From`` and ``Body``, authenticated with HTTP Basic (account
SID as user, auth token as password), as Twilio's Messages API documents. The
base URL is configurable (``REGFLOW_TWILIO_BASE_URL``, default
``https://api.twilio.com``) so regflow can talk to a compatible provider or to
a local test server.

Outcome mapping: 2xx is delivered; 5xx, 408, 425, 429, a timeout or a
connection error is temporary (retried with backoff); any other answer (a 4xx
such as Twilio's 400 for an unroutable number, a redirect) is permanent (dead
letter). Neither the body, the full number nor the token is ever logged.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from regflow.core.model import OutboxMessage
from regflow.delivery import http
from regflow.delivery.base import mask_recipient
from regflow.delivery.sms_text import sms_body
from regflow.delivery.templates import Renderer

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.twilio.com"
LABEL = "Twilio"


class TwilioSmsSender:
    """Sends ``OutboxKind.SMS`` messages through the Messages resource of one account."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        renderer: Renderer,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("REGFLOW_TWILIO_BASE_URL must be an http(s) URL")
        if not account_sid or not auth_token or not sender:
            raise ValueError("the Twilio provider needs an account SID, an auth token and a From")
        self.account_sid = account_sid
        self.sender = sender
        self.url = (
            f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}"
            "/Messages.json"
        )
        self.timeout = timeout
        self._auth_token = auth_token
        self._renderer = renderer
        self._transport = transport

    def __repr__(self) -> str:  # never shows the token
        return f"TwilioSmsSender({self.url})"

    async def send(self, message: OutboxMessage) -> None:
        """Deliver ``message``; raises ``DeliveryError`` (permanent on most 4xx)."""
        body = sms_body(self._renderer, message, "TwilioSmsSender")
        response = await http.post(
            self.url,
            label=LABEL,
            timeout=self.timeout,
            transport=self._transport,
            data={"To": message.recipient, "From": self.sender, "Body": body},
            auth=(self.account_sid, self._auth_token),
            headers={"Accept": "application/json"},
        )
        http.check(response, _label(response))
        log.info(
            "SMS sent (Twilio): id=%s template=%s to=%s",
            message.id,
            message.template,
            mask_recipient(message.recipient),
        )


def _label(response: httpx.Response) -> str:
    """``Twilio`` plus its numeric error code when the answer has one (never its text,
    which may quote the number)."""
    if response.is_success:
        return LABEL
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    return f"{LABEL} (error {code})" if isinstance(code, int) else LABEL
