"""The production shape of docs/deploy.md: 2 API processes and 2 workers on PostgreSQL + Redis.

Real parts only: ``regflow serve --no-worker`` twice and ``regflow worker`` twice, started
as an operator would, one private PostgreSQL database, the machine's Redis (a key prefix
of this test's own) and an aiosmtpd server in the test process. The member flow's
requests alternate between the two API processes (the code is read from the mail a
worker delivered), a rate limit counts across both, and the worker caught sending a
mail is SIGKILLed mid-batch: every message is still delivered.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.persistence.database import create_engine
from regflow.persistence.migrate import upgrade
from regflow.persistence.tables import outbox_messages
from regflow.persistence.uow import SqlUnitOfWorkFactory
from support.harness import PASSWORD, pg_database
from support.server import free_port, regflow_command, service_env, text_body

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

REDIS_URL = os.environ.get("REGFLOW_TEST_REDIS_URL")
DOMAIN = "scale.example.test"
MESSAGES = 120
HOLD_AT = 21  # the sink holds its reply to this mail: its sender is mid-batch
LEASE_SECONDS = 3.0
START_TIMEOUT = 180.0  # four processes starting at once on a busy machine
DRAIN_TIMEOUT = 60.0
CODE = re.compile(r"^\s*(\d{6})\s*$", re.MULTILINE)


class Inbox:
    """aiosmtpd handler: keeps every mail by ``Message-ID`` and holds reply ``HOLD_AT``."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, EmailMessage]] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self.hold = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        outbox_id = str(mail["Message-ID"]).strip("<>").removesuffix(f"@{DOMAIN}")
        with self._lock:
            self.mails.append((outbox_id, mail))
            count = len(self.mails)
        if self.hold and count == HOLD_AT:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.005)
        return "250 OK"

    def ids(self) -> list[str]:
        with self._lock:
            return [message_id for message_id, _ in self.mails]

    def to(self, recipient: str) -> EmailMessage | None:
        with self._lock:
            return next((m for _, m in self.mails if m["To"] == recipient), None)


@pytest.fixture
def database(pg_url: str) -> Iterator[str]:
    if not REDIS_URL:
        pytest.skip("Redis not configured: set REGFLOW_TEST_REDIS_URL to run this test")
    with pg_database(pg_url, f"regflow_scale_{uuid.uuid4().hex[:10]}") as url:
        upgrade(url)
        yield url


def wait(done: Any, timeout: float, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if any(p.poll() is not None for p in processes):
            pytest.fail(f"a process exited:\n{_tails(logs)}")
        if time.monotonic() > deadline:
            pytest.fail(f"not done after {timeout}s:\n{_tails(logs)}")
        time.sleep(0.05)


def _tails(logs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.log")))


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


async def outbox_state(url: str) -> dict[str, tuple[str, str | None]]:
    engine = create_engine(url)
    t = outbox_messages
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(t.c.id, t.c.status, t.c.lease_owner))
            return {row.id: (row.status, row.lease_owner) for row in rows}
    finally:
        await engine.dispose()


async def enqueue(url: str, count: int) -> list[str]:
    """``count`` verification mails, due now, written as the services write them."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            for index, message_id in enumerate(ids):
                await uow.outbox.add(
                    OutboxMessage(
                        id=message_id,
                        kind=OutboxKind.EMAIL,
                        recipient=f"user{index}@example.test",
                        template="verification_code",
                        context={"code": f"{index:06d}", "expires_minutes": 10, "flow": "member"},
                        created_at=now,
                        available_at=now,
                    )
                )
            await uow.commit()
    finally:
        await engine.dispose()
    return ids


def test_two_api_processes_and_two_workers_share_limits_and_lose_no_message(
    database: str, tmp_path: Path
) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = service_env(
        tmp_path,
        {
            "REGFLOW_DATABASE_URL": database,
            "REGFLOW_REDIS_URL": str(REDIS_URL),
            "REGFLOW_RATE_LIMIT_PREFIX": f"scale-{uuid.uuid4().hex[:8]}",
            "REGFLOW_RATE_LIMITS": json.dumps({"username_ip": "4/minute"}),
            "REGFLOW_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "REGFLOW_MAIL_FROM": f"regflow@{DOMAIN}",
            "REGFLOW_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "REGFLOW_WORKER_POLL_SECONDS": "0.1",
        },
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    command = regflow_command()
    ports = [free_port(), free_port()]
    apis = [f"http://127.0.0.1:{port}" for port in ports]
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(name: str, *args: str) -> subprocess.Popen[bytes]:
        with (logs / f"{name}.log").open("wb") as stderr:
            process = subprocess.Popen(
                [command, *args], env=env, stdout=subprocess.DEVNULL, stderr=stderr
            )
        processes.append(process)
        return process

    try:
        for i, port in enumerate(ports):
            spawn(f"api-{i}", "serve", "--no-worker", "--port", str(port))
        workers = [spawn(f"worker-{i}", "worker") for i in range(2)]
        wait(lambda: all(_healthy(api) for api in apis), START_TIMEOUT, processes, logs)
        ready = [httpx.get(f"{api}/readyz").json() for api in apis]
        assert all(r == {"status": "ok", "database": "ok", "redis": "ok"} for r in ready)

        # 1. the member flow, each request on the other process
        email = f"scale-{uuid.uuid4().hex[:8]}@example.com"
        api = iter(apis * 8)
        r = httpx.post(f"{next(api)}/v1/registrations", json={"flow": "member"})
        assert r.status_code == 201, r.text
        rid, auth = r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}
        base = f"/v1/registrations/{rid}"
        r = httpx.post(f"{next(api)}{base}/steps/email", json={"email": email}, headers=auth)
        assert r.status_code == 200, r.text
        wait(lambda: inbox.to(email) is not None, DRAIN_TIMEOUT, processes, logs)
        mail = inbox.to(email)
        assert mail is not None
        (code,) = CODE.findall(text_body(mail))
        steps: list[tuple[str, dict[str, Any]]] = [
            ("verifications/email/confirm", {"code": code}),
            (
                "steps/identity",
                {"first_name": "Ada", "last_name": "Lovelace", "username": "u" + rid[:8]},
            ),
            ("steps/credentials", {"password": PASSWORD, "password_confirmation": PASSWORD}),
        ]
        for path, body in steps:
            r = httpx.post(f"{next(api)}{base}/{path}", json=body, headers=auth)
            assert r.status_code == 200, (path, r.text)
        r = httpx.post(f"{next(api)}{base}/complete", headers=auth)
        assert r.status_code == 201, r.text
        r = httpx.post(f"{next(api)}/v1/sessions", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text

        # 2. one limit across both processes: 4 per minute in all, not 4 each
        answers = [
            httpx.get(f"{apis[i % 2]}/v1/usernames/someone{i}/availability").status_code
            for i in range(6)
        ]
        assert answers == [200, 200, 200, 200, 429, 429]

        # 3. SIGKILL the worker caught sending mail HOLD_AT, mid-batch; nothing is lost
        inbox.hold = True
        before = len(inbox.ids())
        ids = asyncio.run(enqueue(database, MESSAGES))
        wait(inbox.holding.is_set, DRAIN_TIMEOUT, processes, logs)
        in_flight = inbox.ids()[HOLD_AT - 1]
        state = asyncio.run(outbox_state(database))
        owner = state[in_flight][1]
        assert owner is not None and state[in_flight][0] == OutboxStatus.PENDING.value
        victim = next(w for w in workers if f":{w.pid}:" in owner)
        survivor = next(w for w in workers if w is not victim)
        held = [i for i, (status, o) in state.items() if o == owner and status == "pending"]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=15)
        processes.remove(victim)
        inbox.release.set()

        def all_sent() -> bool:
            rows = asyncio.run(outbox_state(database))
            return all(status == OutboxStatus.SENT.value for status, _ in rows.values())

        wait(all_sent, DRAIN_TIMEOUT, processes, logs)
        assert survivor.poll() is None
    finally:
        inbox.release.set()
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        smtp.stop()

    assert len(held) >= 1  # the killed worker died holding a batch
    delivered = set(inbox.ids()[before:])
    assert delivered >= set(ids)  # every message arrived, at least once
