"""A ``regflow worker`` process killed mid-batch loses nothing: its lease runs out, another sends.

Real parts only: a migrated PostgreSQL database (or SQLite file) shared by two
``regflow worker`` processes started as an operator would, and an aiosmtpd
server in the test process. The first worker is SIGKILLed (no shutdown of any
kind) while the SMTP server holds its reply to a mail, so it dies between
sending and recording: the one case where at-least-once means a duplicate.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.persistence.database import create_engine
from regflow.persistence.migrate import upgrade
from regflow.persistence.tables import outbox_messages
from regflow.persistence.uow import SqlUnitOfWorkFactory
from support.harness import pg_database
from support.server import free_port, regflow_command, service_env

MESSAGES = 200
LEASE_SECONDS = 3.0
BATCH_SIZE = 20  # REGFLOW_OUTBOX_BATCH_SIZE: what one worker holds at a time
HOLD_AT = 21  # the sink holds its reply to this mail: the first worker has delivered 20
MAIL_DELAY = 0.01  # per mail in the sink, so a batch takes a while
DOMAIN = "id.example.test"
START_TIMEOUT = 30.0
DRAIN_TIMEOUT = 60.0
CLOCK_SLACK = 0.05  # datetimes stored to the microsecond, compared with time.time()


class SlowInbox:
    """aiosmtpd handler: notes when each ``Message-ID`` arrived, takes ``MAIL_DELAY`` per mail,
    and holds its reply to mail number ``HOLD_AT`` until ``release`` is set."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[str, float]] = []  # (outbox id, time.time() at DATA)
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        outbox_id = str(mail["Message-ID"]).strip("<>").removesuffix(f"@{DOMAIN}")
        with self._lock:
            self.arrivals.append((outbox_id, time.time()))
            count = len(self.arrivals)
        if count == HOLD_AT:  # the mail is here; its sender waits for the 250
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        await asyncio.sleep(MAIL_DELAY)
        return "250 OK"

    def snapshot(self) -> list[tuple[str, float]]:
        with self._lock:
            return list(self.arrivals)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database for this test alone: a worker delivers every due row it finds."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'regflow.db'}"
        upgrade(url)
        yield url
        return
    server_url = request.getfixturevalue("pg_url")  # skips, with its reason, when unset
    with pg_database(server_url, f"regflow_kill_{uuid.uuid4().hex[:10]}") as url:
        upgrade(url)
        yield url


async def enqueue(uow_factory: SqlUnitOfWorkFactory, count: int) -> list[str]:
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with uow_factory() as uow:
        for index, message_id in enumerate(ids):
            context = {"code": f"{index:06d}", "expires_minutes": 10, "flow": "member"}
            await uow.outbox.add(
                OutboxMessage(
                    id=message_id,
                    kind=OutboxKind.EMAIL,
                    recipient=f"user{index}@example.test",
                    template="verification_code",
                    context=context,
                    created_at=now,
                    available_at=now,
                )
            )
        await uow.commit()
    return ids


async def outbox_rows(engine: AsyncEngine) -> dict[str, Any]:
    """Every outbox row with its lease, read in a read-only transaction."""
    t = outbox_messages
    async with engine.connect() as conn:
        conn = await conn.execution_options(regflow_read_only=True)
        result = await conn.execute(select(t.c.id, t.c.status, t.c.lease_until, t.c.lease_owner))
        return {row.id: row for row in result}


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            [regflow_command(), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )


async def wait_until(
    done: Callable[[], Any], timeout: float, worker: subprocess.Popen[bytes], log: Path
) -> None:
    """Poll ``done`` (sync or async) until true; fails early if ``worker`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        result = done()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if worker.poll() is not None:
            pytest.fail(f"regflow worker exited with {worker.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not done after {timeout}s; worker log:\n{log.read_text()[-4000:]}")
        await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=15)


async def test_a_worker_killed_mid_batch_loses_no_message(shared_db: str, tmp_path: Path) -> None:
    engine = create_engine(shared_db)
    inbox = SlowInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = service_env(
        tmp_path,
        {
            "REGFLOW_DATABASE_URL": shared_db,
            "REGFLOW_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "REGFLOW_MAIL_FROM": f"regflow@{DOMAIN}",
            "REGFLOW_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "REGFLOW_OUTBOX_BATCH_SIZE": str(BATCH_SIZE),
            "REGFLOW_WORKER_POLL_SECONDS": "0.1",
        },
    )
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        ids = await enqueue(SqlUnitOfWorkFactory(engine), MESSAGES)

        workers.append(start_worker(env, logs[0]))
        await wait_until(inbox.holding.is_set, START_TIMEOUT, workers[0], logs[0])
        os.kill(workers[0].pid, signal.SIGKILL)  # no shutdown: mid-batch, mid-mail
        killed_at = time.time()
        workers[0].wait(timeout=15)
        inbox.release.set()  # the reply goes nowhere: the mail arrived, its row says nothing
        in_flight = inbox.snapshot()[HOLD_AT - 1][0]
        leased = [
            row
            for row in (await outbox_rows(engine)).values()
            if row.status == OutboxStatus.PENDING.value and row.lease_owner is not None
        ]
        held = {row.id: row.lease_until.timestamp() for row in leased}
        before_kill = Counter(message_id for message_id, _ in inbox.snapshot())

        workers.append(start_worker(env, logs[1]))

        async def all_sent() -> bool:
            rows = (await outbox_rows(engine)).values()
            return all(row.status == OutboxStatus.SENT.value for row in rows)

        await wait_until(all_sent, DRAIN_TIMEOUT, workers[1], logs[1])
        final = await outbox_rows(engine)
    finally:
        inbox.release.set()
        for process in workers:
            stop(process)
        smtp.stop()
        await engine.dispose()

    # the killed worker held a batch under a lease of REGFLOW_OUTBOX_LEASE_SECONDS
    assert in_flight in held
    assert len({row.lease_owner for row in leased}) == 1  # one owner: the killed worker
    assert held[in_flight] > killed_at  # its lease was still running
    assert all(until <= killed_at + LEASE_SECONDS for until in held.values())

    # at least once: every message arrived, every row is sent
    arrivals = inbox.snapshot()
    delivered = Counter(message_id for message_id, _ in arrivals)
    assert set(delivered) == set(ids)
    assert set(final) == set(ids)
    assert all(row.status == OutboxStatus.SENT.value for row in final.values())
    # duplicates only among what the killed worker held: here exactly the mail it died on
    duplicates = {message_id for message_id, n in delivered.items() if n > 1}
    assert duplicates <= set(held) and len(duplicates) <= BATCH_SIZE
    assert duplicates == {in_flight} and delivered[in_flight] == 2
    assert not set(held) & (set(before_kill) - {in_flight})  # the rest of its batch was unsent

    # nothing the killed worker held was sent again before its lease ran out
    second_arrivals = arrivals[sum(before_kill.values()) :]
    for message_id, at in second_arrivals:
        if message_id in held:
            assert at >= held[message_id] - CLOCK_SLACK, (message_id, at, held[message_id])
