"""The development mailbox: recent outbox messages as a newcomer would receive them.

Only mounted with ``REGFLOW_DEV_MAILBOX`` on. It shows codes and links on
purpose, so the service can be tried without a real mailbox or phone. Once a
message is sent with context scrubbing on, its code is gone and only the
metadata remains; the dev setup therefore runs the worker without scrubbing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.core.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


class RenderedMail(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class MessageRenderer(Protocol):
    """What the mailbox needs from a renderer (``regflow.delivery.templates.Renderer``)."""

    def render_email(
        self, template: str, context: Mapping[str, Any], locale: str
    ) -> RenderedMail: ...

    def render_sms(self, template: str, context: Mapping[str, Any], locale: str) -> str: ...


@dataclass(frozen=True)
class MailboxEntry:
    """An outbox message as its recipient would get it (subject and bodies rendered), with
    the code and link of a verification message; ``scrubbed`` once its context is gone."""

    id: str
    kind: OutboxKind
    recipient: str
    template: str
    locale: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    code: str | None = None
    link: str | None = None
    scrubbed: bool = False


class DevMailbox:
    """Reads the outbox and renders each message like the sender would."""

    def __init__(self, uow_factory: UnitOfWorkFactory, renderer: MessageRenderer) -> None:
        self._uow_factory = uow_factory
        self._renderer = renderer

    async def recent(self, limit: int = 50) -> list[MailboxEntry]:
        """The ``limit`` newest messages, newest first."""
        async with self._uow_factory(read_only=True) as uow:
            messages = await uow.outbox.recent(limit)
        return [self._entry(message) for message in messages]

    def _entry(self, message: OutboxMessage) -> MailboxEntry:
        entry = MailboxEntry(
            id=message.id,
            kind=message.kind,
            recipient=message.recipient,
            template=message.template,
            locale=message.locale,
            status=message.status,
            attempts=message.attempts,
            last_error=message.last_error,
            created_at=message.created_at,
            sent_at=message.sent_at,
            scrubbed=not message.context,
        )
        if message.template == "verification_code":
            entry = replace(
                entry,
                code=_text(message.context.get("code")),
                link=_text(message.context.get("link")),
            )
        if not message.context:  # scrubbed after delivery: nothing left to render
            return entry
        try:
            if message.kind is OutboxKind.EMAIL:
                mail = self._renderer.render_email(
                    message.template, message.context, message.locale
                )
                entry = replace(entry, subject=mail.subject, text=mail.text, html=mail.html)
            elif message.kind is OutboxKind.SMS:
                text = self._renderer.render_sms(message.template, message.context, message.locale)
                entry = replace(entry, text=text)
        except Exception:  # a development view: show the metadata even if rendering fails
            log.exception("dev mailbox could not render outbox message %s", message.id)
        return entry


def _text(value: object) -> str | None:
    return None if value is None else str(value)
