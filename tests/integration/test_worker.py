"""The outbox worker on a migrated SQLite file, delivering to a real SMTP server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from regflow.api.devmailbox import dev_mailbox_router
from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.core.ports import UnitOfWork, UnitOfWorkFactory
from regflow.delivery.base import DeliveryError, Sender
from regflow.delivery.console import ConsoleSmsSender
from regflow.delivery.smtp import SmtpSender
from regflow.delivery.templates import Renderer
from regflow.delivery.worker import OutboxWorker
from regflow.persistence.database import create_engine
from regflow.persistence.migrate import upgrade
from regflow.persistence.uow import SqlUnitOfWorkFactory
from regflow.services.mailbox import DevMailbox
from support.restartable_smtp import SmtpServer


class Clock:
    """A clock the test moves; the worker never waits for real backoff."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'regflow.db'}"
    await asyncio.to_thread(upgrade, url)
    return url


@pytest.fixture
async def uow_factory(db_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(db_url)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def make_worker(
    uow_factory: UnitOfWorkFactory,
    smtp: SmtpServer,
    clock: Clock,
    renderer: Renderer,
    **kwargs: Any,
) -> OutboxWorker:
    senders: dict[OutboxKind, Sender] = {
        OutboxKind.EMAIL: SmtpSender(
            f"smtp://127.0.0.1:{smtp.port}", "regflow@id.example.test", renderer, timeout=2
        ),
        OutboxKind.SMS: ConsoleSmsSender(renderer),
    }
    return OutboxWorker(uow_factory, senders, clock=clock, jitter=lambda low, high: high, **kwargs)


async def add_messages(
    uow_factory: SqlUnitOfWorkFactory, clock: Clock, count: int = 1, **changes: Any
) -> list[str]:
    ids = []
    async with uow_factory() as uow:
        for index in range(count):
            values: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "kind": OutboxKind.EMAIL,
                "recipient": f"user{index}@example.test",
                "template": "verification_code",
                "context": {
                    "code": f"{index:06d}",
                    "expires_minutes": 10,
                    "flow": "member",
                    "link": f"https://id.example.test/v1/verify/t{index}",
                },
                "created_at": clock.now + timedelta(microseconds=index),
                "available_at": clock.now,
            }
            values.update(changes)
            await uow.outbox.add(OutboxMessage(**values))
            ids.append(values["id"])
        await uow.commit()
    return ids


async def stored(uow_factory: SqlUnitOfWorkFactory) -> dict[str, OutboxMessage]:
    async with uow_factory(read_only=True) as uow:
        return {m.id: m for m in await uow.outbox.recent(1000)}


async def test_delivers_and_scrubs(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    ids = await add_messages(uow_factory, clock, 3)
    worker = make_worker(uow_factory, smtp, clock, renderer)

    assert await worker.run_once() == 3
    assert await worker.run_once() == 0

    assert sorted(smtp.inbox.codes()) == sorted(f"<{i}@id.example.test>" for i in ids)
    rows = await stored(uow_factory)
    for message_id in ids:
        row = rows[message_id]
        assert row.status is OutboxStatus.SENT
        assert row.sent_at == clock.now
        assert row.attempts == 1
        assert row.context == {}  # the code is not kept once delivered
    assert (worker.sent, worker.failed, worker.dead) == (3, 0, 0)


async def test_context_kept_without_scrubbing(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    [message_id] = await add_messages(uow_factory, clock)
    await make_worker(uow_factory, smtp, clock, renderer, scrub_after_send=False).run_once()
    row = (await stored(uow_factory))[message_id]
    assert row.status is OutboxStatus.SENT
    assert row.context["code"] == "000000"


async def test_retries_while_server_is_down_then_delivers(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    ids = await add_messages(uow_factory, clock, 2)
    worker = make_worker(uow_factory, smtp, clock, renderer)
    smtp.stop()

    assert await worker.run_once() == 2
    rows = await stored(uow_factory)
    for message_id in ids:
        assert rows[message_id].status is OutboxStatus.RETRYING
        assert rows[message_id].attempts == 1
        assert rows[message_id].last_error
        assert rows[message_id].available_at == clock.now + timedelta(seconds=2)
    assert worker.failed == 2
    assert await worker.run_once() == 0  # backing off

    smtp.start()
    clock.advance(2)
    assert await worker.run_once() == 2
    rows = await stored(uow_factory)
    assert all(rows[i].status is OutboxStatus.SENT for i in ids)
    assert all(rows[i].attempts == 2 and rows[i].last_error is None for i in ids)
    assert len(smtp.inbox.mails) == 2
    assert worker.sent == 2


async def test_backoff_doubles_up_to_the_cap(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    worker = make_worker(uow_factory, smtp, clock, renderer, backoff_cap_seconds=10)
    delays = [worker.backoff(n).total_seconds() for n in range(5)]
    assert delays == [2, 4, 8, 10, 10]


async def test_permanent_failure_goes_dead_at_once(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    [message_id] = await add_messages(uow_factory, clock)
    smtp.inbox.reply = "550 5.1.1 no such user"
    worker = make_worker(uow_factory, smtp, clock, renderer)

    assert await worker.run_once() == 1
    row = (await stored(uow_factory))[message_id]
    assert row.status is OutboxStatus.DEAD
    assert row.attempts == 1
    assert row.last_error is not None and "550" in row.last_error
    assert (worker.sent, worker.failed, worker.dead) == (0, 0, 1)
    clock.advance(3600)
    assert await worker.run_once() == 0


async def test_dead_after_max_attempts(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    [message_id] = await add_messages(uow_factory, clock)
    smtp.stop()
    worker = make_worker(uow_factory, smtp, clock, renderer, max_attempts=3)
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(3600)
    row = (await stored(uow_factory))[message_id]
    assert row.status is OutboxStatus.DEAD
    assert row.attempts == 3
    assert (worker.failed, worker.dead) == (2, 1)
    assert await worker.run_once() == 0


async def test_missing_sender_and_crashing_sender(
    uow_factory: SqlUnitOfWorkFactory, clock: Clock
) -> None:
    class Crashing:
        async def send(self, message: OutboxMessage) -> None:
            raise RuntimeError("secret 000000 in a bug message")

    [webhook] = await add_messages(uow_factory, clock, kind=OutboxKind.WEBHOOK)
    [mail] = await add_messages(uow_factory, clock)
    worker = OutboxWorker(uow_factory, {OutboxKind.EMAIL: Crashing()}, clock=clock)

    assert await worker.run_once() == 2
    rows = await stored(uow_factory)
    assert rows[webhook].status is OutboxStatus.DEAD
    assert rows[mail].status is OutboxStatus.RETRYING
    assert rows[mail].last_error == "RuntimeError"  # the exception text may hold secrets


async def test_two_workers_never_send_a_message_twice(
    db_url: str, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    engines = [create_engine(db_url), create_engine(db_url)]  # as two processes would
    try:
        factories = [SqlUnitOfWorkFactory(engine) for engine in engines]
        ids = await add_messages(factories[0], clock, 30)
        workers = [
            make_worker(f, smtp, clock, renderer, batch_size=4, owner=f"w{n}")
            for n, f in enumerate(factories)
        ]
        while sum(await asyncio.gather(*(w.run_once() for w in workers))):
            pass
        assert sorted(smtp.inbox.codes()) == sorted(f"<{i}@id.example.test>" for i in ids)
        assert workers[0].sent + workers[1].sent == 30
        assert workers[0].sent > 0 and workers[1].sent > 0  # both took part
        rows = await stored(factories[0])
        assert all(rows[i].attempts == 1 for i in ids)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_run_wakes_at_once_and_survives_errors(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    calls = 0

    def flaky_factory(*, read_only: bool = False) -> UnitOfWork:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database restarting")
        return uow_factory(read_only=read_only)

    worker = make_worker(flaky_factory, smtp, clock, renderer, poll_seconds=60)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.sleep(0.05)  # first round fails; the loop then waits up to 60 s
        await add_messages(uow_factory, clock, 2)
        worker.wake()
        async with asyncio.timeout(5):
            while worker.sent < 2:
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task
    assert calls >= 2
    assert len(smtp.inbox.mails) == 2


async def test_dev_mailbox_shows_codes_until_scrubbed(
    uow_factory: SqlUnitOfWorkFactory, smtp: SmtpServer, clock: Clock, renderer: Renderer
) -> None:
    [mail_id] = await add_messages(uow_factory, clock)
    clock.advance(1)
    [sms_id] = await add_messages(
        uow_factory,
        clock,
        kind=OutboxKind.SMS,
        recipient="+33612345678",
        context={"code": "777111", "expires_minutes": 10, "flow": "member"},
    )
    app = FastAPI()
    app.include_router(dev_mailbox_router(DevMailbox(uow_factory, renderer)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        listed = (await client.get("/dev/mailbox.json")).json()
        assert [m["id"] for m in listed] == [sms_id, mail_id]  # newest first
        assert listed[0]["code"] == "777111"
        assert listed[0]["text"].startswith("777111 is your verification code")
        assert listed[1]["subject"] == "Your verification code"
        assert listed[1]["link"] == "https://id.example.test/v1/verify/t0"
        page = await client.get("/dev/mailbox")
        assert page.headers["cache-control"] == "no-store"
        assert "777111" in page.text and "user0@example.test" in page.text
        assert "<script" not in page.text

        await make_worker(uow_factory, smtp, clock, renderer).run_once()
        listed = (await client.get("/dev/mailbox.json")).json()
        assert all(m["status"] == "sent" and m["code"] is None for m in listed)
        assert all(m["scrubbed"] for m in listed)


async def test_delivery_error_is_an_exception_with_permanence() -> None:
    error = DeliveryError("boom", True)
    assert error.permanent and str(error) == "boom"
