"""Development senders: nothing leaves the machine.

Both still render the message, so a broken template fails in development as
it would in production. Neither logs a body or a full address: the dev
mailbox (``/dev/mailbox``, with ``REGFLOW_DEV_MAILBOX``) shows the content.
"""

from __future__ import annotations

import logging

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError, mask_recipient
from regflow.delivery.sms_text import sms_body
from regflow.delivery.templates import Renderer, RenderError

log = logging.getLogger(__name__)


class ConsoleSmsSender:
    """SMS for development: logs that an SMS went to a masked number, never its body."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer

    async def send(self, message: OutboxMessage) -> None:
        """Render the SMS (to catch template errors) and log the masked recipient."""
        body = sms_body(self._renderer, message, "ConsoleSmsSender", check_number=False)
        log.info(
            "SMS (console) id=%s template=%s to=%s length=%d; body in the dev mailbox",
            message.id,
            message.template,
            mask_recipient(message.recipient),
            len(body),
        )


class NullEmailSender:
    """Email when ``REGFLOW_SMTP_URL`` is unset: delivered to the dev mailbox only."""

    def __init__(self, renderer: Renderer | None = None) -> None:
        self._renderer = renderer

    async def send(self, message: OutboxMessage) -> None:
        """Render the mail if a renderer was given, log the masked recipient, send nothing."""
        if message.kind is not OutboxKind.EMAIL:
            raise DeliveryError(f"NullEmailSender cannot send {message.kind.value}", True)
        if self._renderer is not None:
            try:
                self._renderer.render_email(message.template, message.context, message.locale)
            except RenderError as exc:
                raise DeliveryError(str(exc), permanent=True) from exc
        log.info(
            "email not sent (no SMTP configured) id=%s template=%s to=%s; see the dev mailbox",
            message.id,
            message.template,
            mask_recipient(message.recipient),
        )
