"""The periodic sweep: expire abandoned registrations, move and prune funnel events.

A registration nobody touches again never hits ``load_open``'s expiry, so the
sweep marks those past ``expires_at`` expired (status and ``expired`` event in
one transaction, through the engine like any other transition). Several
processes may sweep at once: the registration's optimistic version lets one
of them win and the others skip it, so each expiry is recorded once.

Events recorded with the registrations' own writes are moved into the event log
(``drain_events``), then, for retention, events recorded more than ``retention``
ago are deleted in batches.

Short-lived rows that have run out are deleted too (``ExpiredRows``), in
batches: authorization codes an hour after they expired (a replay soon after
still revokes what the code issued), refresh tokens past their end or revoked,
login sessions past their absolute or idle end or revoked, second-step
challenges that expired, TOTP set-ups never confirmed within a day, email
changes whose code and undo link both expired, password resets that expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from regflow.core.oidc import CODE_KEPT
from regflow.core.ports import ExpiredRows
from regflow.errors import ConcurrentUpdate, ValidationFailed
from regflow.services.base import RegistrationUseCase
from regflow.services.context import ServiceContext
from regflow.services.funnel import drain_events

log = logging.getLogger("regflow.sweep")


@dataclass(frozen=True)
class SweepResult:
    expired: int
    pruned: int
    moved: int = 0  # registrations whose recorded events went into the log
    removed: int = 0  # short-lived rows that had run out (codes, tokens, sessions, ...)


class Sweep(RegistrationUseCase):
    def __init__(
        self,
        ctx: ServiceContext,
        *,
        retention: timedelta,
        interval_seconds: float = 60.0,
        batch: int = 200,
        max_batches: int = 50,
    ) -> None:
        super().__init__(ctx)
        self.retention = retention
        self.interval_seconds = interval_seconds
        self.batch = batch
        self.max_batches = max_batches  # bounds one pass; the next pass goes on

    async def run_once(self) -> SweepResult:
        expired = pruned = 0
        for _ in range(self.max_batches):
            done, seen = await self._expire_batch()
            expired += done
            if seen < self.batch:
                break
        moved = await drain_events(self.ctx, self.max_batches)
        before = self.ctx.clock() - self.retention
        for _ in range(self.max_batches):
            async with self.ctx.uow() as uow:
                gone = await uow.sweep.prune_events(before, self.batch * 10)
                await uow.commit()
            pruned += gone
            if gone < self.batch * 10:
                break
        removed = await self._remove_expired()
        return SweepResult(expired, pruned, moved, removed)

    async def _remove_expired(self) -> int:
        """Delete the short-lived rows that have run out, table by table, in batches."""
        now = self.ctx.clock()
        limit = self.batch * 10
        prunes: list[Callable[[ExpiredRows], Awaitable[int]]] = [
            lambda rows: rows.authorization_codes(now - CODE_KEPT, limit),
            lambda rows: rows.refresh_tokens(now, limit),
            lambda rows: rows.login_sessions(now, now - self.ctx.login_sessions.idle, limit),
            lambda rows: rows.mfa_challenges(now, limit),
            lambda rows: rows.totp_enrolments(now - self.ctx.mfa.enrolment_ttl, limit),
            lambda rows: rows.email_changes(now, limit),
            lambda rows: rows.password_resets(now, limit),
        ]
        removed = 0
        for prune in prunes:
            for _ in range(self.max_batches):
                async with self.ctx.uow() as uow:
                    gone = await prune(uow.expired)
                    await uow.commit()
                removed += gone
                if gone < limit:
                    break
        return removed

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every ``interval_seconds`` until ``stop`` is set; errors are logged, not fatal."""
        while not stop.is_set():
            try:
                result = await self.run_once()
                if result.expired or result.pruned or result.removed:
                    log.info(
                        "sweep",
                        extra={
                            "expired": result.expired,
                            "pruned": result.pruned,
                            "removed": result.removed,
                        },
                    )
            except Exception:  # a database outage must not end the loop
                log.exception("sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)

    async def _expire_batch(self) -> tuple[int, int]:
        """Expire one batch in one transaction; (expired here, candidates seen)."""
        now = self.ctx.clock()
        done = 0
        async with self.ctx.uow() as uow:
            ids = await uow.sweep.due_for_expiry(now, self.batch)
            for registration_id in ids:
                registration = await uow.registrations.get(registration_id)
                try:
                    outcome = (
                        self.ctx.engine.expire_if_due(registration, now) if registration else None
                    )
                    if outcome is None:
                        continue
                    await self.persist(uow, outcome)
                except ConcurrentUpdate:
                    continue  # another request or process moved it first
                except ValidationFailed:  # its flow is no longer enabled: leave it be
                    log.warning("sweep skipped a registration of a disabled flow")
                    continue
                done += 1
            await uow.commit()
        return done, len(ids)
