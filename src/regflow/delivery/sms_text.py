"""What every SMS sender does before sending: check the message and render its text."""

from __future__ import annotations

import re

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError
from regflow.delivery.templates import Renderer, RenderError

E164 = re.compile(r"\+[1-9]\d{6,14}")


def sms_body(
    renderer: Renderer, message: OutboxMessage, sender: str, *, check_number: bool = True
) -> str:
    """The text of ``message``; ``DeliveryError`` (permanent) when it cannot be sent as SMS."""
    if message.kind is not OutboxKind.SMS:
        raise DeliveryError(f"{sender} cannot send {message.kind.value}", True)
    if check_number and not E164.fullmatch(message.recipient):
        raise DeliveryError("recipient is not an E.164 phone number", permanent=True)
    try:
        return renderer.render_sms(message.template, message.context, message.locale)
    except RenderError as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
