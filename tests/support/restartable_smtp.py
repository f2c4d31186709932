"""A real aiosmtpd server on a fixed free port that can be stopped and started again."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd handler: answers ``reply`` to DATA and keeps what it accepted."""

    def __init__(self) -> None:
        self.reply = "250 OK"
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            mail = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            self.mails.append(mail)
        return self.reply

    def codes(self) -> list[str]:
        """The Message-IDs received (a retry of one message shows up twice)."""
        return [str(m["Message-ID"]) for m in self.mails]


class SmtpServer:
    """Keeps its port across stop/start, so a sender configured once finds it again."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
