"""SmtpSender against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError
from regflow.delivery.smtp import SmtpSender
from regflow.delivery.templates import Renderer

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class Inbox:
    """An aiosmtpd handler answering ``reply`` to DATA and keeping what it accepted."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.mails: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            mail = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return self.reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[Callable[[Inbox], int]]:
    """Start a server with a handler; returns its port. Stopped after the test."""
    started: list[Controller] = []

    def start(inbox: Inbox) -> int:
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def outbox_message(**changes: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "id": "0f4a9a2e-5d7b-4a39-9f7e-1c2b3d4e5f60",
        "kind": OutboxKind.EMAIL,
        "recipient": "ada@example.test",
        "template": "verification_code",
        "context": {
            "code": "482915",
            "expires_minutes": 10,
            "flow": "member",
            "link": "https://id.example.test/v1/verify/tok",
        },
        "created_at": NOW,
        "available_at": NOW,
    }
    values.update(changes)
    return OutboxMessage(**values)


def sender(port: int, **kwargs: Any) -> SmtpSender:
    return SmtpSender(
        f"smtp://127.0.0.1:{port}", "Regflow <no-reply@id.example.test>", Renderer(), **kwargs
    )


async def test_sends_text_and_html_with_stable_message_id(
    smtp_server: Callable[[Inbox], int],
) -> None:
    inbox = Inbox()
    port = smtp_server(inbox)
    message = outbox_message()

    await sender(port).send(message)
    await sender(port).send(message)  # a retry: same Message-ID

    assert len(inbox.mails) == 2
    mail_from, rcpt_tos, mail = inbox.mails[0]
    assert mail_from == "no-reply@id.example.test"
    assert rcpt_tos == ["ada@example.test"]
    assert mail["To"] == "ada@example.test"
    assert mail["From"] == "Regflow <no-reply@id.example.test>"
    assert mail["Subject"] == "Your verification code"
    assert mail["Message-ID"] == f"<{message.id}@id.example.test>"
    assert inbox.mails[1][2]["Message-ID"] == mail["Message-ID"]
    assert mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "482915" in text.get_content()
    assert "482915" in html.get_content()
    assert "https://id.example.test/v1/verify/tok" in html.get_content()


async def test_french_subject_is_encoded(smtp_server: Callable[[Inbox], int]) -> None:
    inbox = Inbox()
    port = smtp_server(inbox)
    await sender(port).send(outbox_message(locale="fr"))
    assert inbox.mails[0][2]["Subject"] == "Votre code de vérification"


async def test_5xx_is_permanent(smtp_server: Callable[[Inbox], int]) -> None:
    port = smtp_server(Inbox("554 5.7.1 ada@example.test rejected"))
    with pytest.raises(DeliveryError) as caught:
        await sender(port).send(outbox_message())
    assert caught.value.permanent
    assert "554" in str(caught.value)
    assert "ada@example.test" not in str(caught.value)  # the server's text is redacted


async def test_4xx_is_temporary(smtp_server: Callable[[Inbox], int]) -> None:
    port = smtp_server(Inbox("451 4.3.0 try again later"))
    with pytest.raises(DeliveryError) as caught:
        await sender(port).send(outbox_message())
    assert not caught.value.permanent


async def test_closed_port_is_temporary() -> None:
    with pytest.raises(DeliveryError) as caught:
        await sender(free_port(), timeout=2).send(outbox_message())
    assert not caught.value.permanent
    assert "482915" not in str(caught.value)


@pytest.mark.parametrize(
    "recipient", ["ada@example.test\r\nBcc: eve@example.test", "ada@example.test\n", "no-at-sign"]
)
async def test_header_injection_is_refused(recipient: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        await sender(free_port()).send(outbox_message(recipient=recipient))
    assert caught.value.permanent


async def test_unknown_template_and_wrong_kind_are_permanent() -> None:
    for message in (
        outbox_message(template="nope"),
        outbox_message(kind=OutboxKind.SMS, recipient="+33612345678"),
    ):
        with pytest.raises(DeliveryError) as caught:
            await sender(free_port()).send(message)
        assert caught.value.permanent


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.test", ("mail.example.test", 25, False, False, None)),
        (
            "smtp://u%40x:p%2Fw@mail.example.test:2525",
            ("mail.example.test", 2525, False, False, "u@x"),
        ),
        ("smtp://mail.example.test?starttls=true", ("mail.example.test", 587, False, True, None)),
        ("smtps://u:p@mail.example.test", ("mail.example.test", 465, True, False, "u")),
    ],
)
def test_url_parsing(url: str, expected: tuple[str, int, bool, bool, str | None]) -> None:
    s = SmtpSender(url, "regflow@localhost", Renderer())
    assert (s.host, s.port, s.use_tls, s.start_tls, s.username) == expected
    assert s.domain == "localhost"


def test_password_not_in_repr() -> None:
    s = SmtpSender("smtp://user:hunter2@mail.example.test", "regflow@localhost", Renderer())
    assert "hunter2" not in repr(s)
    assert "user" not in repr(s)


@pytest.mark.parametrize("url", ["http://mail.example.test", "smtp://", "smtp:///x"])
def test_bad_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpSender(url, "regflow@localhost", Renderer())


class Accounts:
    """aiosmtpd authenticator: one user, one password."""

    def __init__(self) -> None:
        self.tries: list[tuple[str, str]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.tries.append((login, password))
        return AuthResult(success=(login, password) == ("mailer", "p@ss:w/rd"))


@pytest.mark.parametrize(("password", "delivered"), [("p%40ss%3Aw%2Frd", True), ("wrong", False)])
async def test_auth_from_the_url(password: str, delivered: bool) -> None:
    inbox = Inbox()
    accounts = Accounts()
    port = free_port()
    # AUTH over plain TCP only because this server is on the loopback interface
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=accounts,
        auth_require_tls=False,
    )
    controller.start()
    try:
        smtp = SmtpSender(
            f"smtp://mailer:{password}@127.0.0.1:{port}", "no-reply@id.example.test", Renderer()
        )
        if delivered:
            await smtp.send(outbox_message())
            assert len(inbox.mails) == 1
        else:
            with pytest.raises(DeliveryError) as caught:
                await smtp.send(outbox_message())
            assert caught.value.permanent is False  # a configuration problem: retried, not lost
            assert "wrong" not in caught.value.message
            assert inbox.mails == []
        assert accounts.tries[0][0] == "mailer"
    finally:
        controller.stop()
