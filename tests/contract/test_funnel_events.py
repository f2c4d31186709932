"""Funnel events ride on their registration's own write and reach ``funnel_events`` by the drain.

Against SQLite and PostgreSQL: the events of a unit of work are stored with the
registration's ``INSERT``/``UPDATE`` (or one ``UPDATE`` at commit), nothing is
written on rollback or by a write that lost the version race, the drain moves
them in recorded order exactly once, and concurrent appends during drains lose
and duplicate nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from regflow.core.model import FunnelEvent, Registration, RegistrationStatus
from regflow.errors import ConcurrentUpdate
from regflow.persistence.tables import funnel_events, registrations
from regflow.persistence.uow import SqlUnitOfWorkFactory

NOW = datetime.now(UTC).replace(microsecond=654321)


def new_registration() -> Registration:
    return Registration(
        id=str(uuid.uuid4()),
        flow="member",
        token_hash=uuid.uuid4().hex * 2,
        status=RegistrationStatus.ACTIVE,
        data={},
        verified={},
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        variant="b",
        contract="phased",
    )


def ev(r: Registration, kind: str, **extra: str) -> FunnelEvent:
    return FunnelEvent(r.id, r.flow, kind, NOW, variant=r.variant, contract=r.contract, **extra)


async def logged(uows: SqlUnitOfWorkFactory, rid: str) -> list[tuple[object, ...]]:
    async with uows.engine.connect() as conn:
        rows = await conn.execute(
            select(funnel_events)
            .where(funnel_events.c.registration_id == rid)
            .order_by(funnel_events.c.id)
        )
        return [
            (r.kind, r.step, r.code, r.channel, r.variant, r.contract, r.organization_id, r.at)
            for r in rows
        ]


async def pending(uows: SqlUnitOfWorkFactory, rid: str) -> str | None:
    async with uows.engine.connect() as conn:
        value = await conn.scalar(
            select(registrations.c.pending_events).where(registrations.c.id == rid)
        )
        return None if value is None else str(value)


async def drain_all(uows: SqlUnitOfWorkFactory) -> None:
    while True:
        async with uows() as uow:
            moved = await uow.sweep.drain_events(200)
            await uow.commit()
        if moved < 200:
            return


def statements(uows: SqlUnitOfWorkFactory) -> list[str]:
    seen: list[str] = []

    @event.listens_for(uows.engine.sync_engine, "before_cursor_execute")
    def _seen(conn: object, cursor: object, sql: str, *args: object) -> None:
        seen.append(sql.split()[0].upper())

    return seen


async def test_events_ride_on_the_registrations_writes_and_drain_in_order(
    uows: SqlUnitOfWorkFactory,
) -> None:
    r = new_registration()
    seen = statements(uows)
    async with uows() as uow:
        await uow.funnel.add(ev(r, "started"))
        await uow.funnel.add(ev(r, "step_viewed", step="email"))
        await uow.registrations.add(r)
        await uow.commit()
    assert [s for s in seen if s in {"INSERT", "UPDATE"}] == ["INSERT"]  # the row, nothing else
    async with uows() as uow:
        loaded = await uow.registrations.get(r.id)
        assert loaded is not None
        await uow.funnel.add(ev(r, "verification_sent", channel="email"))
        await uow.funnel.add(ev(r, "step_failed", step="email", code="INVALID_EMAIL"))
        await uow.registrations.update(loaded)
        await uow.commit()
    assert await logged(uows, r.id) == []  # not in the log until drained
    assert (await pending(uows, r.id) or "").count("\n") == 4

    await drain_all(uows)
    assert await logged(uows, r.id) == [
        ("started", None, None, None, "b", "phased", None, NOW),
        ("step_viewed", "email", None, None, "b", "phased", None, NOW),
        ("verification_sent", None, None, "email", "b", "phased", None, NOW),
        ("step_failed", "email", "INVALID_EMAIL", None, "b", "phased", None, NOW),
    ]
    assert await pending(uows, r.id) is None
    await drain_all(uows)  # a second drain moves nothing again
    assert len(await logged(uows, r.id)) == 4


async def test_events_with_no_write_of_their_registration_are_appended_at_commit(
    uows: SqlUnitOfWorkFactory,
) -> None:
    r = new_registration()
    async with uows() as uow:
        await uow.registrations.add(r)
        await uow.commit()
    async with uows() as uow:
        await uow.funnel.add(ev(r, "verification_failed", code="INVALID_CODE", channel="sms"))
        await uow.commit()
    async with uows() as uow:  # and after the add in the same unit of work
        other = new_registration()
        await uow.registrations.add(other)
        await uow.funnel.add(ev(other, "completed", organization_id="org-1"))
        await uow.commit()
    await drain_all(uows)
    assert [row[0] for row in await logged(uows, r.id)] == ["verification_failed"]
    assert [(row[0], row[6]) for row in await logged(uows, other.id)] == [("completed", "org-1")]


async def test_rollback_and_a_lost_race_write_no_event(uows: SqlUnitOfWorkFactory) -> None:
    counted: list[FunnelEvent] = []
    uows.observer = counted.append
    r = new_registration()
    async with uows() as uow:
        await uow.registrations.add(r)
        await uow.commit()
    async with uows() as uow:  # no commit: rolled back
        await uow.funnel.add(ev(r, "step_viewed", step="email"))
        await uow.registrations.update(replace(r))
    stale = replace(r)
    async with uows() as uow:
        await uow.registrations.update(replace(r))  # moves the version on
        await uow.commit()
    async with uows() as uow:
        await uow.funnel.add(ev(r, "expired"))
        with pytest.raises(ConcurrentUpdate):
            await uow.registrations.update(stale)
        await uow.funnel.add(ev(r, "step_viewed", step="identity"))
        await uow.commit()  # the lost write's event is gone, the later one stays
    await drain_all(uows)
    assert [(row[0], row[1]) for row in await logged(uows, r.id)] == [("step_viewed", "identity")]
    assert [(e.kind, e.step) for e in counted] == [("step_viewed", "identity")]


async def test_appends_during_drains_are_moved_once(uows: SqlUnitOfWorkFactory) -> None:
    regs = [new_registration() for _ in range(8)]
    async with uows() as uow:
        for r in regs:
            await uow.registrations.add(r)
        await uow.commit()
    rounds = 15
    done = asyncio.Event()

    async def steps(r: Registration) -> None:
        for i in range(rounds):  # a drain never moves the version: no ConcurrentUpdate here
            async with uows() as uow:
                current = await uow.registrations.get(r.id)
                assert current is not None
                await uow.funnel.add(ev(r, "step_viewed", step=f"s{i}"))
                await uow.registrations.update(current)
                await uow.commit()

    async def drains() -> None:
        while not done.is_set():
            await drain_all(uows)
            await asyncio.sleep(0)

    drainer = asyncio.create_task(drains())
    await asyncio.gather(*(steps(r) for r in regs))
    done.set()
    await drainer
    await drain_all(uows)
    for r in regs:
        assert [row[1] for row in await logged(uows, r.id)] == [f"s{i}" for i in range(rounds)]
