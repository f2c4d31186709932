"""The one seam every transport implements, and the error it raises.

A sender only delivers: it never touches the database. The worker decides,
from ``DeliveryError.permanent``, whether the message is retried later or goes
to the dead letter state.
"""

from __future__ import annotations

from typing import Protocol

from regflow.core.model import OutboxMessage


class DeliveryError(Exception):
    """A message could not be delivered.

    ``permanent`` is true when retrying cannot help (the server refused the
    recipient with a 5xx, the template does not exist, the recipient would
    inject headers); otherwise the worker retries with backoff. The message text
    is stored as the outbox row's ``last_error``: it never holds a code or a
    full address.
    """

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Sender(Protocol):
    """Delivers one outbox message or raises ``DeliveryError``."""

    async def send(self, message: OutboxMessage) -> None: ...


def mask_recipient(recipient: str) -> str:
    """A loggable form of an address: ``a***@example.com`` or ``+33*******78``."""
    local, at, domain = recipient.rpartition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    if len(recipient) <= 4:
        return "***"
    return f"{recipient[:3]}{'*' * (len(recipient) - 5)}{recipient[-2:]}"
