"""Mail over TLS to a real aiosmtpd server whose certificate a private CA (trustme) issued.

STARTTLS and implicit TLS deliver when the CA is trusted (``REGFLOW_SMTP_CA_FILE``),
and the server saw the mail inside TLS; an untrusted CA or a certificate for
another name is refused before anything is sent, as a temporary failure.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.delivery.base import DeliveryError
from regflow.delivery.smtp import SmtpSender
from regflow.delivery.templates import Renderer
from support.harness import make_settings, started_app

CODE = re.compile(r"\b(\d{6})\b")


class TlsInbox:
    """Keeps each accepted mail with whether its session was inside TLS."""

    def __init__(self) -> None:
        self.mails: list[tuple[EmailMessage, bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        inside_tls = server.transport.get_extra_info("ssl_object") is not None
        self.mails.append((mail, inside_tls))
        return "250 OK"


async def connections_closed(server: asyncio.Server) -> None:
    """Wait until the server side of every session, a refused handshake's too, has closed.

    Python 3.11's ``Server.wait_closed`` does not wait for open connections, and a
    transport still closing when the test's loop ends is reported as unclosed.
    """
    for _ in range(500):
        await asyncio.sleep(0.01)  # the client's own close runs in this loop too
        if getattr(server, "_active_count", 0) == 0:
            return
    raise AssertionError("the SMTP server still holds a connection after 5 s")


_LINGERING = {"01", "08"}  # ESTABLISHED, CLOSE_WAIT (/proc/net/tcp's st column)


async def connections_gone(port: int) -> None:
    """Wait (up to 5 s, running this loop) until no connection to or from ``port`` is
    established or half-closed on this machine."""
    for _ in range(500):
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
        ends = [(row.split()[1], row.split()[2], row.split()[3]) for row in rows]
        if not any(
            state in _LINGERING and port in (int(a.split(":")[1], 16), int(b.split(":")[1], 16))
            for a, b, state in ends
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"a connection to port {port} is still open after 5 s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


class Server:
    def __init__(self, controller: Controller, inbox: TlsInbox, port: int) -> None:
        self.controller, self.inbox, self.port = controller, inbox, port


@pytest.fixture
def starttls_server(ca: trustme.CA) -> Iterator[Server]:
    inbox, port = TlsInbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(ca, "127.0.0.1", "localhost"),
        require_starttls=True,  # no mail in clear
    )
    controller.start()
    try:
        yield Server(controller, inbox, port)
    finally:
        time.sleep(0.1)  # let the server side of the last session close before its loop stops
        controller.stop()


def message(recipient: str) -> OutboxMessage:
    now = datetime.now(UTC)
    return OutboxMessage(
        id=str(uuid.uuid4()),
        kind=OutboxKind.EMAIL,
        recipient=recipient,
        template="verification_code",
        context={"code": "123456", "expires_minutes": 10, "flow": "member"},
        created_at=now,
        available_at=now,
    )


def starttls_sender(server: Server, ca_file: Path | None = None) -> SmtpSender:
    url = f"smtp://127.0.0.1:{server.port}?starttls=true"
    return SmtpSender(url, "regflow@id.example.test", Renderer(), timeout=5, ca_file=ca_file)


async def test_starttls_delivers_to_a_server_of_the_trusted_ca(
    starttls_server: Server, ca_file: Path
) -> None:
    await starttls_sender(starttls_server, ca_file).send(message("ada@example.test"))
    [(mail, inside_tls)] = starttls_server.inbox.mails
    assert inside_tls and str(mail["To"]) == "ada@example.test"


async def test_one_tls_context_serves_every_mail_until_the_ca_file_changes(
    starttls_server: Server, ca_file: Path
) -> None:
    sender = starttls_sender(starttls_server, ca_file)
    await sender.send(message("ada@example.test"))
    await sender.send(message("bob@example.test"))
    assert [inside for _, inside in starttls_server.inbox.mails] == [True, True]
    # the operator points the file at another CA: the next mail verifies against it
    other = trustme.CA()
    other.cert_pem.write_to_path(str(ca_file))
    os.utime(ca_file, (time.time() + 5, time.time() + 5))  # a later mtime, whatever the clock
    with pytest.raises(DeliveryError) as refused:
        await sender.send(message("eve@example.test"))
    # asyncio closes a transport whose TLS upgrade failed on the loop's next turns: let it,
    # before this test's loop ends (a worker's loop runs on, so nothing stays open there)
    await connections_gone(starttls_server.port)
    assert not refused.value.permanent
    assert len(starttls_server.inbox.mails) == 2


async def test_implicit_tls_delivers_and_a_foreign_name_is_refused(
    ca: trustme.CA, ca_file: Path
) -> None:
    for names, delivered in ((("127.0.0.1",), True), (("mail.example.test",), False)):
        inbox, port = TlsInbox(), free_port()
        # aiosmtpd's Controller probes readiness in clear: serve its protocol directly
        server = await asyncio.get_running_loop().create_server(
            functools.partial(SMTP, inbox),
            host="127.0.0.1",
            port=port,
            ssl=server_context(ca, *names),
        )
        try:
            sender = SmtpSender(
                f"smtps://127.0.0.1:{port}",
                "regflow@id.example.test",
                Renderer(),
                5,
                ca_file=ca_file,
            )
            if delivered:
                await sender.send(message("bob@example.test"))
                [(mail, inside_tls)] = inbox.mails
                assert inside_tls and str(mail["To"]) == "bob@example.test"
            else:
                with pytest.raises(DeliveryError) as refused:
                    await sender.send(message("bob@example.test"))
                assert not refused.value.permanent  # fixed by the operator, then retried
                assert inbox.mails == []
        finally:
            await connections_closed(server)
            server.close()
            await server.wait_closed()


async def test_an_untrusted_certificate_is_a_temporary_failure_and_nothing_is_sent(
    starttls_server: Server,
) -> None:
    sender = starttls_sender(starttls_server)  # the system's trust store lacks this CA
    with pytest.raises(DeliveryError) as refused:
        await sender.send(message("eve@example.test"))
    assert not refused.value.permanent
    assert starttls_server.inbox.mails == []


async def test_the_service_mails_codes_over_starttls_with_its_ca_file(
    starttls_server: Server, ca_file: Path, sqlite_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        sqlite_url,
        tmp_path,
        smtp_url=f"smtp://127.0.0.1:{starttls_server.port}?starttls=true",
        smtp_ca_file=ca_file,
        smtp_timeout_seconds=5,
        worker_poll_seconds=0.05,
        dev_mailbox=False,
    )
    email = f"tls-{uuid.uuid4().hex[:8]}@example.com"
    async with started_app(settings, run_worker=True) as h:
        rid, auth = await h.start("member")
        r = await h.client.post(
            f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth
        )
        assert r.status_code == 200, r.text
        for _ in range(200):
            if starttls_server.inbox.mails:
                break
            await asyncio.sleep(0.05)
        [(mail, inside_tls)] = starttls_server.inbox.mails
        assert inside_tls and str(mail["To"]) == email
        body = mail.get_body(("plain",))
        assert body is not None
        code = CODE.search(body.get_content())
        assert code is not None
        r = await h.client.post(
            f"/v1/registrations/{rid}/verifications/email/confirm",
            json={"code": code.group(1)},
            headers=auth,
        )
        assert r.status_code == 200 and r.json()["verified"]["email"] is True
        for _ in range(200):  # the worker records the delivery just after the server's 250
            [sent] = [m for m in await h.outbox() if m.recipient == email]
            if sent.status is OutboxStatus.SENT:
                break
            await asyncio.sleep(0.05)
        assert sent.status is OutboxStatus.SENT and sent.attempts == 1
