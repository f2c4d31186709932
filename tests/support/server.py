"""The real service as a subprocess on a real port, and an SMTP server that keeps what it gets.

``running_service`` does what an operator does: ``regflow db upgrade`` and then
``regflow serve --port N``, each as its own process, with ``REGFLOW_*``
variables only. The service's stderr (its JSON logs) goes to
``service_log(tmp_path)`` so a test can read it once the service stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

SECRET_KEY = "e2e-secret-key-0123456789abcdef-not-for-production"
START_TIMEOUT = 90.0  # a loaded 2-core machine takes long to import the app
STOP_TIMEOUT = 15.0
POLL = 0.05


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def regflow_command() -> str:
    """The ``regflow`` console script of the interpreter running the tests."""
    beside = Path(sys.executable).parent / "regflow"
    if beside.exists():
        return str(beside)
    found = shutil.which("regflow")
    if found is None:
        raise RuntimeError("the regflow command is not installed")
    return found


def service_log(tmp_path: Path) -> Path:
    """Where ``running_service(tmp_path, ...)`` writes the service's stderr."""
    return tmp_path / "service-stderr.log"


def service_env(tmp_path: Path, overrides: Mapping[str, str]) -> dict[str, str]:
    """The process environment: no inherited ``REGFLOW_*``, test defaults, then ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGFLOW_")}
    env.update(
        {
            "REGFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
            "REGFLOW_SECRET_KEY": SECRET_KEY,
            "REGFLOW_DATA_DIR": str(tmp_path / "data"),
            "REGFLOW_ARGON2_MEMORY_KIB": "8192",
            "REGFLOW_ARGON2_TIME_COST": "1",
            "REGFLOW_DEV_MAILBOX": "false",
            "REGFLOW_LOG_JSON": "true",
            "REGFLOW_LOG_LEVEL": "INFO",
        }
    )
    env.update(overrides)
    return env


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"regflow serve exited with {process.returncode}:\n{log.read_text()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get("/healthz").status_code == 200:
                    return
            time.sleep(POLL)
    raise TimeoutError(f"regflow serve not healthy after {START_TIMEOUT}s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # SIGTERM: uvicorn shuts down gracefully (lifespan included)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_service(
    tmp_path: Path, env_overrides: Mapping[str, str], *, public_url: bool = True
) -> Iterator[str]:
    """Migrate the database and serve on a free port; yields the base URL.

    ``REGFLOW_PUBLIC_URL`` defaults to that base URL (``public_url=False`` leaves it
    unset, as a newcomer does). The process is stopped with SIGTERM (killed only if
    it does not exit) when the block ends.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = service_env(tmp_path, {"REGFLOW_PUBLIC_URL": base_url} if public_url else {})
    env.update(env_overrides)
    command = regflow_command()
    migrated = subprocess.run(
        [command, "db", "upgrade"], env=env, capture_output=True, timeout=60, check=False
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"regflow db upgrade failed:\n{migrated.stderr.decode()}")
    log = service_log(tmp_path)
    with log.open("wb") as stderr, (tmp_path / "service-stdout.log").open("wb") as stdout:
        process = subprocess.Popen(
            [command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            _wait_healthy(base_url, process, log)
            yield base_url
        finally:
            _stop(process)


class _Collector:
    """aiosmtpd handler: keeps every accepted mail (it runs on the controller's thread)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.arrived:
            self.received.append(([str(r) for r in envelope.rcpt_tos], mail))
            self.arrived.notify_all()
        return "250 OK"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that accepts everything and keeps it.

    ``with SmtpSink() as sink: ... sink.url ... sink.wait_for(address, 10)``
    """

    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Collector()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        with self._handler.arrived:
            return list(self._handler.received)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for(self, recipient: str, timeout: float = 10.0) -> EmailMessage:
        """The first mail whose envelope names ``recipient``; TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._handler.arrived:
            while True:
                for recipients, mail in self._handler.received:
                    if recipient in recipients:
                        return mail
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no mail for {recipient} within {timeout}s")
                self._handler.arrived.wait(left)


def text_body(mail: EmailMessage) -> str:
    """The text/plain part of ``mail``."""
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text part"
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content
