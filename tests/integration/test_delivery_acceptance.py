"""Delivery never loses a message: SMTP outage, two workers, a dead worker, the SMS budget.

Real parts throughout: migrated SQLite files and private PostgreSQL databases,
a real aiosmtpd server that is stopped and started again, workers on separate
engines (as separate processes would have).
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.core.ports import UnitOfWorkFactory
from regflow.delivery.base import DeliveryError
from regflow.delivery.sms_budget import BudgetedSmsSender, SmsBudget, parse_country_budgets
from regflow.delivery.worker import OutboxWorker
from regflow.persistence.database import create_engine
from regflow.persistence.migrate import upgrade
from regflow.persistence.uow import SqlUnitOfWorkFactory
from support.harness import make_settings, started_app
from support.restartable_smtp import SmtpServer
from support.server import text_body

PG_URL = os.environ.get("REGFLOW_TEST_DATABASE_URL")
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Recording:
    """A sender that keeps every delivery (an in-process stand-in for a gateway)."""

    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()

    async def send(self, message: OutboxMessage) -> None:
        await asyncio.sleep(0)  # let the other worker interleave
        self.delivered[message.id] += 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def private_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database of each backend, for this test alone."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'regflow.db'}"
        upgrade(url)
        yield url
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set REGFLOW_TEST_DATABASE_URL")
    from support.harness import pg_database

    with pg_database(PG_URL, f"regflow_delivery_{uuid.uuid4().hex[:10]}") as url:
        upgrade(url)
        yield url


@pytest.fixture
async def factories(private_db: str) -> AsyncIterator[list[SqlUnitOfWorkFactory]]:
    """Two unit-of-work factories on two engines: two processes' worth of connections."""
    engines = [create_engine(private_db), create_engine(private_db)]
    yield [SqlUnitOfWorkFactory(engine) for engine in engines]
    for engine in engines:
        await engine.dispose()


async def add(
    uow_factory: UnitOfWorkFactory, now: datetime, count: int, **changes: Any
) -> list[str]:
    ids = []
    async with uow_factory() as uow:
        for index in range(count):
            values: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "kind": OutboxKind.EMAIL,
                "recipient": f"user{index}@example.test",
                "template": "verification_code",
                "context": {"code": f"{index:06d}", "expires_minutes": 10, "flow": "member"},
                "created_at": now,
                "available_at": now,
            }
            values.update(changes)
            await uow.outbox.add(OutboxMessage(**values))
            ids.append(values["id"])
        await uow.commit()
    return ids


async def statuses(uow_factory: UnitOfWorkFactory) -> dict[str, OutboxMessage]:
    async with uow_factory(read_only=True) as uow:
        return {m.id: m for m in await uow.outbox.recent(5000)}


# -- two workers, 1,000 messages ----------------------------------------------------------


@pytest.mark.parametrize(
    "private_db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_workers_deliver_1000_messages_once_each(
    factories: list[SqlUnitOfWorkFactory],
) -> None:
    clock = Clock(datetime.now(UTC))
    ids = await add(factories[0], clock.now, 1000)
    sink = Recording()
    workers = [
        OutboxWorker(f, {OutboxKind.EMAIL: sink}, clock=clock, batch_size=25, owner=f"w{n}")
        for n, f in enumerate(factories)
    ]

    async def drain(worker: OutboxWorker) -> None:
        while await worker.run_once():
            pass

    async with asyncio.timeout(120):
        await asyncio.gather(*(drain(w) for w in workers))

    assert set(sink.delivered) == set(ids)  # no loss
    assert max(sink.delivered.values()) == 1  # no duplicate
    assert workers[0].sent + workers[1].sent == 1000
    assert workers[0].sent > 0 and workers[1].sent > 0  # both took part
    rows = await statuses(factories[0])
    assert all(rows[i].status is OutboxStatus.SENT and rows[i].attempts == 1 for i in ids)


# -- a worker killed mid-batch --------------------------------------------------------------


async def test_messages_of_a_dead_worker_are_delivered_after_the_lease(
    factories: list[SqlUnitOfWorkFactory],
) -> None:
    clock = Clock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    ids = await add(factories[0], clock.now, 6)
    # the first worker claims a batch, then dies: it never sends nor records anything
    async with factories[0]() as uow:
        claimed = await uow.outbox.claim(
            limit=4, now=clock.now, lease_until=clock.now + timedelta(seconds=60), owner="killed"
        )
        await uow.commit()
    assert len(claimed) == 4
    sink = Recording()
    survivor = OutboxWorker(factories[1], {OutboxKind.EMAIL: sink}, clock=clock, lease_seconds=60)

    assert await survivor.run_once() == 2  # only what the dead worker did not hold
    clock.advance(59)
    assert await survivor.run_once() == 0  # its lease still holds
    clock.advance(2)
    assert await survivor.run_once() == 4  # lease over: delivered by the survivor

    assert set(sink.delivered) == set(ids) and max(sink.delivered.values()) == 1
    rows = await statuses(factories[1])
    assert all(rows[i].status is OutboxStatus.SENT for i in ids)


# -- the SMS budget, shared by two workers -------------------------------------------------


async def test_sms_budget_global_and_per_country_across_workers(
    factories: list[SqlUnitOfWorkFactory],
) -> None:
    clock = Clock(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    gateway = Recording()

    def worker(n: int) -> OutboxWorker:
        budget = SmsBudget(
            factories[n],
            per_hour=3,
            per_country_per_hour=2,
            countries=parse_country_budgets({"+1": 0}),
            clock=clock,
        )
        sender = BudgetedSmsSender(gateway, budget)
        return OutboxWorker(factories[n], {OutboxKind.SMS: sender}, clock=clock, batch_size=1)

    workers = [worker(0), worker(1)]

    async def sms(number: str) -> str:
        context = {"code": "123456", "expires_minutes": 10, "flow": "member"}
        [message_id] = await add(
            factories[0], clock.now, 1, kind=OutboxKind.SMS, recipient=number, context=context
        )
        await workers[len(gateway.delivered) % 2].run_once()  # alternate processes
        return message_id

    india = [await sms(f"+9198765432{n:02d}") for n in range(3)]
    uk = await sms("+447700900123")
    us = await sms("+12025550123")
    uk_again = await sms("+447700900124")
    rows = await statuses(factories[1])

    assert set(gateway.delivered) == {india[0], india[1], uk}
    assert rows[india[2]].status is OutboxStatus.DEAD
    assert rows[india[2]].last_error == (
        "SMS budget exceeded for +91: 2 sent in the last hour (limit 2)"
    )
    assert rows[us].last_error == "SMS budget exceeded for +1: 0 sent in the last hour (limit 0)"
    assert rows[uk_again].last_error == "SMS budget exceeded: 3 sent in the last hour (limit 3)"
    assert "9876543" not in str([r.last_error for r in rows.values()])

    clock.advance(3601)  # a sliding hour later the budget is back
    later = await sms("+919876543299")
    assert later in gateway.delivered


async def test_sms_budget_holds_within_one_batch(factories: list[SqlUnitOfWorkFactory]) -> None:
    """A worker records a batch's outcomes together, but a sent SMS at once: the budget
    of the next SMS of the same batch counts it."""
    clock = Clock(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    gateway = Recording()
    budget = SmsBudget(factories[0], per_hour=2, per_country_per_hour=10, clock=clock)
    worker = OutboxWorker(
        factories[0], {OutboxKind.SMS: BudgetedSmsSender(gateway, budget)}, clock=clock
    )
    context = {"code": "123456", "expires_minutes": 10, "flow": "member"}
    ids = [
        (
            await add(
                factories[0], clock.now, 1, kind=OutboxKind.SMS, recipient=number, context=context
            )
        )[0]
        for number in ("+447700900121", "+447700900122", "+447700900123")
    ]
    assert await worker.run_once() == 3  # one batch
    rows = await statuses(factories[0])
    assert sum(gateway.delivered.values()) == 2
    assert [rows[i].status for i in ids].count(OutboxStatus.DEAD) == 1
    assert worker.sent == 2 and worker.dead == 1


def test_country_budgets_are_validated() -> None:
    assert parse_country_budgets({"+91": 5, "44": 0}) == {91: 5, 44: 0}
    for bad in ({"IN": 5}, {"+0": 1}, {"+1234": 1}, {"+91": -1}):
        with pytest.raises(ValueError):
            parse_country_budgets(bad)


# -- the SMTP server down, then back --------------------------------------------------------


async def until(predicate: Any, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.05)


async def test_smtp_outage_loses_nothing_and_codes_stay_valid(
    sqlite_url: str, tmp_path: Path
) -> None:
    smtp = SmtpServer()  # not started: the mail server is down
    settings = make_settings(
        sqlite_url,
        tmp_path,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        smtp_timeout_seconds=2,
        worker_poll_seconds=0.05,
        outbox_max_attempts=100,
        dev_mailbox=False,
    )
    emails = [f"outage-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(3)]
    try:
        async with started_app(settings, run_worker=True) as h:
            worker = h.runtime.worker
            worker.backoff_base_seconds, worker.backoff_cap_seconds = 0.05, 0.2
            registrations = []
            for email in emails:
                rid, auth = await h.start("member")
                r = await h.client.post(
                    f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth
                )
                assert r.status_code == 200, r.text  # the API does not wait for the mail
                registrations.append((email, rid, auth))

            async def all_retried() -> bool:
                rows = await h.outbox()
                mine = [m for m in rows if m.recipient in emails]
                return len(mine) == 3 and all(m.attempts >= 2 for m in mine)

            await until(all_retried)
            rows = [m for m in await h.outbox() if m.recipient in emails]
            assert all(m.status is OutboxStatus.RETRYING and m.last_error for m in rows)
            assert smtp.inbox.mails == []

            smtp.start()  # the server is back

            async def all_sent() -> bool:
                rows = await h.outbox()
                return all(m.status is OutboxStatus.SENT for m in rows if m.recipient in emails)

            await until(all_sent)
            received = Counter(str(m["To"]) for m in smtp.inbox.mails)
            assert received == Counter(emails)  # each one, once
            for email, rid, auth in registrations:
                [mail] = [m for m in smtp.inbox.mails if str(m["To"]) == email]
                code = CODE.search(text_body(mail))
                assert code is not None
                r = await h.client.post(
                    f"/v1/registrations/{rid}/verifications/email/confirm",
                    json={"code": code.group(1)},
                    headers=auth,
                )
                assert r.status_code == 200, r.text  # the code mailed late is still valid
                assert r.json()["verified"]["email"] is True
    finally:
        smtp.stop()


async def test_delivery_error_text_is_what_the_row_keeps() -> None:
    error = DeliveryError("SMS budget exceeded", permanent=True)
    assert error.message == "SMS budget exceeded" and error.permanent
