"""Email over SMTP with aiosmtplib.

The URL is ``smtp://user:pass@host:port`` (plain, or ``?starttls=true`` to
upgrade), or ``smtps://...`` for implicit TLS. Certificates are verified,
against the system's trust store or, for a server with a private CA, against
``ca_file`` (``REGFLOW_SMTP_CA_FILE``); a certificate that does not verify is
a temporary failure (nothing is sent in clear instead).
Default ports: 25 for ``smtp``, 587 with STARTTLS, 465 for ``smtps``.

Outcome mapping: a 5xx reply is permanent (dead letter); a 4xx reply, a
timeout, a refused or dropped connection, and a refused login (a configuration
problem, not the message's) are temporary (retried; past the attempts, dead
messages can be requeued with ``regflow outbox requeue --all-dead``). Each message
has a stable ``Message-ID`` built from the outbox id, so a retry after a lost
acknowledgement is recognisable as a duplicate by the receiving side.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.delivery.base import DeliveryError, mask_recipient
from regflow.delivery.templates import Renderer, RenderError

log = logging.getLogger(__name__)

_FORBIDDEN = ("\r", "\n", "\0")


class _Headers(HeaderRegistry):
    """The standard header registry, minus its cost: it makes a new class for every
    header it parses (a ``type()`` call, a fifth of composing a mail); this one makes
    one class per header name and keeps it. The headers are the very same."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._made.get(name.lower())
        if made is None:
            made = self._made[name.lower()] = super().__getitem__(name)
        return made


# email.policy.default (what EmailMessage() uses) with the registry above
_POLICY = policy.default.clone(header_factory=_Headers())
_TRUE = ("1", "true", "yes", "on")


class SmtpSender:
    """Sends ``OutboxKind.EMAIL`` messages to one SMTP server."""

    def __init__(
        self,
        url: str,
        mail_from: str,
        renderer: Renderer,
        timeout: float = 10,
        *,
        ca_file: Path | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must look like smtp://user:pass@host:port")
        if _unsafe(mail_from):
            raise ValueError("mail_from must be a single line")
        query = parse_qs(parts.query)
        self.host: str = parts.hostname
        self.use_tls = parts.scheme == "smtps"
        self.start_tls = not self.use_tls and query.get("starttls", [""])[0].lower() in _TRUE
        self.port: int = parts.port or (465 if self.use_tls else 587 if self.start_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1] or mail_from
        self.domain = self.envelope_from.rpartition("@")[2] or "localhost"
        self.timeout = timeout
        self.ca_file = str(ca_file) if ca_file is not None else None
        self._renderer = renderer
        # built once, not per mail: the EHLO name (a DNS lookup) and the TLS context (the
        # trust store read from disk); the context again when the CA file changes
        self._local_hostname: str | None = None
        self._tls: tuple[float | None, ssl.SSLContext] | None = None

    def __repr__(self) -> str:  # never shows the password
        scheme = "smtps" if self.use_tls else "smtp"
        return f"SmtpSender({scheme}://{self.host}:{self.port}, starttls={self.start_tls})"

    def message_id(self, message: OutboxMessage) -> str:
        """The stable ``Message-ID`` of ``message``: the same on every attempt."""
        return f"<{message.id}@{self.domain}>"

    def compose(self, message: OutboxMessage) -> EmailMessage:
        """The MIME mail for ``message`` (text with an HTML alternative)."""
        if message.kind is not OutboxKind.EMAIL:
            raise DeliveryError(f"SmtpSender cannot send {message.kind.value}", permanent=True)
        if _unsafe(message.recipient) or "@" not in message.recipient:
            raise DeliveryError("invalid recipient address (header injection?)", permanent=True)
        try:
            rendered = self._renderer.render_email(
                message.template, message.context, message.locale
            )
        except RenderError as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        if _unsafe(rendered.subject):
            raise DeliveryError("subject contains a line break", permanent=True)
        mail = EmailMessage(policy=_POLICY)
        mail["From"] = self.mail_from
        mail["To"] = message.recipient
        mail["Subject"] = rendered.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = self.message_id(message)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        mail.set_content(rendered.text)
        mail.add_alternative(rendered.html, subtype="html")
        return mail

    async def send(self, message: OutboxMessage) -> None:
        """Deliver ``message``; raises ``DeliveryError`` (permanent on 5xx)."""
        mail = self.compose(message)
        masked = mask_recipient(message.recipient)
        try:
            tls = await self._tls_context() if self.use_tls or self.start_tls else None
            await aiosmtplib.send(
                mail,
                sender=self.envelope_from,
                recipients=[message.recipient],
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self._password,
                use_tls=self.use_tls,
                start_tls=self.start_tls,
                tls_context=tls,
                local_hostname=await self._ehlo_name(),
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            # the server refused our credentials, not this message: keep it for after the fix
            error = f"SMTP authentication failed ({exc.code}) at {self.host}:{self.port}"
            raise DeliveryError(error, permanent=False) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise DeliveryError(f"SMTP recipient refused ({codes})", permanent) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # The server's text may quote the address: keep only the mask.
            text = _redact(exc.message, message.recipient, masked)
            error = f"SMTP {exc.code} {type(exc).__name__}: {text}"
            raise DeliveryError(error, permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            error = f"SMTP unavailable {self.host}:{self.port}: {type(exc).__name__}"
            raise DeliveryError(error, permanent=False) from exc
        log.info("email sent: id=%s template=%s to=%s", message.id, message.template, masked)

    async def _ehlo_name(self) -> str:
        """This machine's name as aiosmtplib finds it (``socket.getfqdn``), looked up once."""
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        return self._local_hostname

    async def _tls_context(self) -> ssl.SSLContext:
        """What aiosmtplib would build for each mail: the server's certificate verified,
        against ``ca_file`` when given; rebuilt only when that file changes."""
        changed = os.stat(self.ca_file).st_mtime if self.ca_file is not None else None
        if self._tls is None or self._tls[0] != changed:
            self._tls = (changed, await asyncio.to_thread(self._build_tls_context))
        return self._tls[1]

    def _build_tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        if self.ca_file is not None:
            context.load_verify_locations(cafile=self.ca_file)
        return context


def _unsafe(value: str) -> bool:
    return any(char in value for char in _FORBIDDEN)


def _redact(text: str, recipient: str, masked: str) -> str:
    return text.replace(recipient, masked)[:300]
