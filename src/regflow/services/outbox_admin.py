"""The outbox for the operator: what waits, what is retried, what died; requeueing.

Shared by ``regflow outbox`` and ``GET /v1/admin/outbox``. A message is shown
with its id, kind, template, status, attempts, times and last error, and its
recipient masked (``j***@example.com``, ``+91******10``, a webhook URL without
its query); never its context, which holds codes and links until delivery.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from regflow.core.identifiers import mask_email
from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.core.webhooks import iso
from regflow.errors import ErrorCode, NotFound, ValidationFailed
from regflow.services.context import ServiceContext

OPEN = (OutboxStatus.PENDING, OutboxStatus.RETRYING, OutboxStatus.DEAD)
MAX_LIMIT = 1000


def masked_recipient(message: OutboxMessage) -> str:
    recipient = message.recipient
    if message.kind is OutboxKind.EMAIL:
        return mask_email(recipient)
    if message.kind is OutboxKind.WEBHOOK:
        parts = urlsplit(recipient)
        return (
            f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
        )
    if len(recipient) <= 6:
        return "***"
    return f"{recipient[:3]}{'*' * (len(recipient) - 5)}{recipient[-2:]}"


def message_view(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "template": message.template,
        "status": message.status.value,
        "recipient": masked_recipient(message),
        "locale": message.locale,
        "attempts": message.attempts,
        "created_at": iso(message.created_at),
        "available_at": iso(message.available_at),
        "last_error": message.last_error,
    }


def parse_statuses(statuses: list[str] | None) -> list[OutboxStatus]:
    """The statuses asked for (default pending, retrying, dead); 422 for an unknown one."""
    if not statuses:
        return list(OPEN)
    try:
        return [OutboxStatus(s) for s in statuses]
    except ValueError:
        message = "Choose among: " + ", ".join(s.value for s in OutboxStatus) + "."
        raise ValidationFailed.single("status", ErrorCode.INVALID_CHOICE, message) from None


class OutboxAdmin:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def overview(self, statuses: list[str] | None, limit: int = 100) -> dict[str, Any]:
        """Counts per status and the oldest ``limit`` messages in ``statuses``."""
        wanted = parse_statuses(statuses)
        limit = max(1, min(limit, MAX_LIMIT))
        async with self.ctx.uow(read_only=True) as uow:
            counts = await uow.outbox.counts()
            messages = await uow.outbox.listing(wanted, limit)
        return {
            "counts": {status.value: count for status, count in counts.items()},
            "statuses": [s.value for s in wanted],
            "messages": [message_view(m) for m in messages],
        }

    async def requeue(self, message_id: str | None) -> int:
        """Put one dead message (or every one, with None) back in the queue, attempts reset."""
        async with self.ctx.uow() as uow:
            moved = await uow.outbox.requeue(message_id, self.ctx.clock())
            await uow.commit()
        if message_id is not None and moved == 0:
            raise NotFound("No dead message has this id.", code=ErrorCode.MESSAGE_NOT_FOUND)
        if moved:
            self.ctx.outbox_written()
        return moved
