"""The outbox for the operator: what waits, what is retried, what died; requeueing.

Shared by ``regflow outbox`` and ``GET /v1/admin/outbox``. A message is shown
with its id, kind, template, status, attempts, times and last error, and its
recipient masked (``j***@example.com``, ``+91******10``, a webhook URL without
its query); never its context, which holds codes and links until delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from regflow.core.identifiers import mask_email
from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
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


@dataclass(frozen=True)
class MessageView:
    """An outbox message as an operator sees it: its recipient masked, no context."""

    id: str
    kind: OutboxKind
    template: str
    status: OutboxStatus
    recipient: str  # masked
    locale: str
    attempts: int
    created_at: datetime
    available_at: datetime
    last_error: str | None

    @classmethod
    def of(cls, message: OutboxMessage) -> MessageView:
        return cls(
            id=message.id,
            kind=message.kind,
            template=message.template,
            status=message.status,
            recipient=masked_recipient(message),
            locale=message.locale,
            attempts=message.attempts,
            created_at=message.created_at,
            available_at=message.available_at,
            last_error=message.last_error,
        )


@dataclass(frozen=True)
class OutboxOverview:
    """Counts per status and the oldest messages in the statuses asked for."""

    counts: Mapping[OutboxStatus, int]
    statuses: tuple[OutboxStatus, ...]
    messages: tuple[MessageView, ...]


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

    async def overview(self, statuses: list[str] | None, limit: int = 100) -> OutboxOverview:
        """Counts per status and the oldest ``limit`` messages in ``statuses``."""
        wanted = parse_statuses(statuses)
        limit = max(1, min(limit, MAX_LIMIT))
        async with self.ctx.uow(read_only=True) as uow:
            counts = await uow.outbox.counts()
            messages = await uow.outbox.listing(wanted, limit)
        return OutboxOverview(
            dict(counts), tuple(wanted), tuple(MessageView.of(m) for m in messages)
        )

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
