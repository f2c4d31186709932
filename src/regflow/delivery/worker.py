"""The outbox worker: claim due messages, send them, record each outcome.

Each round claims a batch in one short transaction (a lease, so several
workers never take the same message), sends outside any transaction, then
records every outcome in its own transaction. A temporary failure is retried
after an exponential backoff with full jitter; a permanent failure, or the
last allowed attempt, leaves the message ``dead``. Delivery is at least once:
a worker that dies between sending and recording lets the lease run out and
the message is sent again, with the same ``Message-ID``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.core.ports import UnitOfWorkFactory
from regflow.delivery.base import DeliveryError, Sender

log = logging.getLogger(__name__)

Jitter = Callable[[float, float], float]
Observer = Callable[[OutboxMessage, str], None]  # (message, "sent" | "failed" | "dead")


class OutboxWorker:
    """Delivers outbox messages with ``senders`` chosen by message kind.

    Counters: ``sent`` (delivered), ``failed`` (temporary failures that will
    be retried) and ``dead`` (given up) since the worker was created. An
    ``observer``, when set, is told each recorded outcome (the composition root
    feeds the Prometheus counters with it, so delivery never imports them).
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        senders: Mapping[OutboxKind, Sender],
        *,
        clock: Callable[[], datetime],
        poll_seconds: float = 1.0,
        batch_size: int = 20,
        lease_seconds: float = 60,
        max_attempts: int = 5,
        scrub_after_send: bool = True,
        owner: str | None = None,
        backoff_base_seconds: float = 2.0,
        backoff_cap_seconds: float = 600.0,
        jitter: Jitter = random.uniform,
        observer: Observer | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._senders = dict(senders)
        self._clock = clock
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.scrub_after_send = scrub_after_send
        default_owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.owner = (owner or default_owner)[-64:]
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        self._jitter = jitter
        self.observer = observer
        self._wakeup = asyncio.Event()
        self.sent = 0
        self.failed = 0
        self.dead = 0

    def wake(self) -> None:
        """Ask for a round now (a request just wrote to the outbox)."""
        self._wakeup.set()

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many messages were claimed."""
        now = self._clock()
        async with self._uow_factory() as uow:
            batch = await uow.outbox.claim(
                limit=self.batch_size,
                now=now,
                lease_until=now + timedelta(seconds=self.lease_seconds),
                owner=self.owner,
            )
            await uow.commit()
        # Stop sending well before the lease runs out: past it, another worker may
        # claim the same messages. The rest is picked up once the lease expires.
        deadline = time.monotonic() + self.lease_seconds / 2
        for index, message in enumerate(batch):
            if time.monotonic() > deadline:
                log.warning("outbox lease nearly over, %d messages left", len(batch) - index)
                break
            await self._deliver(message)
        return len(batch)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; errors are logged and the loop goes on."""
        log.info("outbox worker %s started", self.owner)
        while not stop.is_set():
            self._wakeup.clear()  # a wake() during the round triggers the next one
            try:
                claimed = await self.run_once()
            except Exception:  # the worker must outlive a database hiccup
                log.exception("outbox round failed")
                claimed = 0
            if claimed < self.batch_size:
                await self._wait(stop)
        log.info("outbox worker %s stopped", self.owner)

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next try after ``attempts`` earlier failures (full jitter)."""
        ceiling = min(self.backoff_base_seconds * 2**attempts, self.backoff_cap_seconds)
        return timedelta(seconds=self._jitter(0, ceiling))

    async def _deliver(self, message: OutboxMessage) -> None:
        sender = self._senders.get(message.kind)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for {message.kind.value}", permanent=True)
            await sender.send(message)
        except DeliveryError as exc:
            await self._record_failure(message, exc.message, permanent=exc.permanent)
        except Exception as exc:  # a sender bug: keep its text out of the row, retry
            log.exception("sender crashed on outbox message %s", message.id)
            await self._record_failure(message, type(exc).__name__, permanent=False)
        else:
            await self._record(message, sent=True)

    async def _record_failure(self, message: OutboxMessage, error: str, *, permanent: bool) -> None:
        dead = permanent or message.attempts + 1 >= self.max_attempts
        retry_at = None if dead else self._clock() + self.backoff(message.attempts)
        log.warning(
            "outbox message %s (%s, attempt %d) failed%s: %s",
            message.id,
            message.kind.value,
            message.attempts + 1,
            ", dead" if dead else "",
            error,
        )
        await self._record(message, sent=False, error=error, retry_at=retry_at)

    async def _record(
        self,
        message: OutboxMessage,
        *,
        sent: bool,
        error: str = "",
        retry_at: datetime | None = None,
    ) -> None:
        try:
            async with self._uow_factory() as uow:
                if sent:
                    await uow.outbox.mark_sent(
                        message.id, self._clock(), scrub=self.scrub_after_send
                    )
                else:
                    await uow.outbox.mark_failed(message.id, error, retry_at=retry_at)
                await uow.commit()
        except Exception:  # the lease will expire and the message be tried again
            log.exception("could not record the outcome of outbox message %s", message.id)
            return
        if sent:
            self.sent += 1
            outcome = "sent"
        elif retry_at is None:
            self.dead += 1
            outcome = "dead"
        else:
            self.failed += 1
            outcome = "failed"
        if self.observer is not None:
            try:
                self.observer(message, outcome)
            except Exception:  # metrics must never stop delivery
                log.exception("outbox observer failed")

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
