"""The outbox worker: claim due messages, send them, record each outcome.

Each round claims a batch in one short transaction (a lease, so several
workers never take the same message), sends outside any transaction, then
records the outcomes together in one transaction (every ``record_seconds`` when
sending is slow, at once after an SMS). A temporary failure is retried after an
exponential backoff with full jitter; a permanent failure, or the last allowed
attempt, leaves the message ``dead``. Delivery is at least once: a worker that
dies between sending and recording lets the lease run out and the messages it
had not recorded are sent again, with the same ``Message-ID``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.core.ports import UnitOfWorkFactory
from regflow.delivery.base import DeliveryError, Sender

log = logging.getLogger(__name__)

Jitter = Callable[[float, float], float]
RECORD_SECONDS = 0.1  # outcomes of a batch are recorded together, but never held longer
Observer = Callable[[OutboxMessage, str], None]  # (message, "sent" | "failed" | "dead")


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one delivery attempt came to, until it is recorded."""

    message: OutboxMessage
    sent: bool
    error: str = ""
    retry_at: datetime | None = None

    @property
    def sms_sent(self) -> bool:
        return self.sent and self.message.kind is OutboxKind.SMS


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
        batch_size: int = 100,
        lease_seconds: float = 60,
        max_attempts: int = 5,
        scrub_after_send: bool = True,
        owner: str | None = None,
        backoff_base_seconds: float = 2.0,
        backoff_cap_seconds: float = 600.0,
        jitter: Jitter = random.uniform,
        observer: Observer | None = None,
        record_seconds: float = RECORD_SECONDS,
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
        self.record_seconds = record_seconds
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
        done: list[_Outcome] = []
        oldest = 0.0  # when the first outcome of ``done`` was known
        try:
            for index, message in enumerate(batch):
                if time.monotonic() > deadline:
                    log.warning("outbox lease nearly over, %d messages left", len(batch) - index)
                    break
                outcome = await self._deliver(message)
                if not done:
                    oldest = time.monotonic()
                done.append(outcome)
                # Outcomes are recorded together (one transaction for the batch), but never
                # held long: a worker dying now sends again only what it did not record,
                # the last ``record_seconds`` of sending. A sent SMS is recorded at once,
                # so the SMS budget of the next one counts it.
                if outcome.sms_sent or time.monotonic() - oldest >= self.record_seconds:
                    recording, done = done, []
                    await self._record(recording)
        finally:  # cancelled too: what was sent is recorded, not sent again
            if done:
                await self._record(done)
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

    async def _deliver(self, message: OutboxMessage) -> _Outcome:
        sender = self._senders.get(message.kind)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for {message.kind.value}", permanent=True)
            await sender.send(message)
        except DeliveryError as exc:
            return self._failure(message, exc.message, permanent=exc.permanent)
        except Exception as exc:  # a sender bug: keep its text out of the row, retry
            log.exception("sender crashed on outbox message %s", message.id)
            return self._failure(message, type(exc).__name__, permanent=False)
        return _Outcome(message, sent=True)

    def _failure(self, message: OutboxMessage, error: str, *, permanent: bool) -> _Outcome:
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
        return _Outcome(message, sent=False, error=error, retry_at=retry_at)

    async def _record(self, outcomes: Sequence[_Outcome]) -> None:
        """Record ``outcomes`` in one transaction, then count them and tell the observer."""
        try:
            async with self._uow_factory() as uow:
                sent = [o.message.id for o in outcomes if o.sent]
                await uow.outbox.mark_all_sent(sent, self._clock(), scrub=self.scrub_after_send)
                for o in outcomes:
                    if not o.sent:
                        await uow.outbox.mark_failed(o.message.id, o.error, retry_at=o.retry_at)
                await uow.commit()
        except Exception:  # the lease will expire and the messages be tried again
            ids = ", ".join(o.message.id for o in outcomes)
            log.exception("could not record the outcome of outbox messages %s", ids)
            return
        for o in outcomes:
            if o.sent:
                self.sent += 1
                result = "sent"
            elif o.retry_at is None:
                self.dead += 1
                result = "dead"
            else:
                self.failed += 1
                result = "failed"
            if self.observer is not None:
                try:
                    self.observer(o.message, result)
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
