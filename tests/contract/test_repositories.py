"""The repository ports, one suite against the SQLite and the PostgreSQL adapters.

The PostgreSQL database is shared by the session, so every row here carries
fresh ids, and the outbox test lives in a timeline of its own (1990) so that
other tests' pending messages are never due in it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from regflow.core.model import (
    Account,
    Channel,
    FunnelEvent,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    Verification,
)
from regflow.core.ports import IdempotencyRecord
from regflow.errors import ConcurrentUpdate, UniqueViolation
from regflow.persistence.database import create_engine
from regflow.persistence.tables import funnel_events, outbox_messages
from regflow.persistence.uow import SqlUnitOfWorkFactory

NOW = datetime.now(UTC).replace(microsecond=123456)
PAST = datetime(1990, 1, 1, 12, 0, tzinfo=UTC)


def _id() -> str:
    return str(uuid.uuid4())


def registration() -> Registration:
    return Registration(
        id=_id(),
        flow="member",
        token_hash=uuid.uuid4().hex * 2,
        status=RegistrationStatus.ACTIVE,
        data={"email": {"email": "ada@example.com"}, "identity": {"first_name": "Ada"}},
        verified={"email": "ada@example.com"},
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        variant="b",
        locale="fr",
    )


def account(email: str | None = None, username: str | None = None) -> Account:
    tag = uuid.uuid4().hex[:12]
    return Account(
        id=_id(),
        email=email or f"acct-{tag}@example.com",
        password_hash="$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA",
        created_at=NOW,
        email_verified_at=NOW,
        username=username or f"user{tag}",
        first_name="Ada",
    )


def verification(registration_id: str) -> Verification:
    return Verification(
        id=_id(),
        registration_id=registration_id,
        channel=Channel.EMAIL,
        target="ada@example.com",
        code_hmac="a" * 64,
        link_hash=uuid.uuid4().hex * 2,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=10),
        resend_available_at=NOW + timedelta(minutes=1),
    )


def message(available_at: datetime) -> OutboxMessage:
    return OutboxMessage(
        id=_id(),
        kind=OutboxKind.EMAIL,
        recipient="ada@example.com",
        template="verification_code",
        context={"code": "123456"},
        created_at=available_at,
        available_at=available_at,
    )


async def test_registrations_round_trip_and_optimistic_version(
    uows: SqlUnitOfWorkFactory,
) -> None:
    reg = registration()
    async with uows() as uow:
        await uow.registrations.add(reg)
        await uow.commit()
    async with uows(read_only=True) as uow:
        stored = await uow.registrations.get(reg.id)
        assert await uow.registrations.get(_id()) is None
    assert stored == reg  # every field, datetimes aware and exact, JSON intact
    assert stored.created_at.tzinfo is not None

    stale = await _get(uows, reg.id)
    fresh = await _get(uows, reg.id)
    fresh.data["identity"]["last_name"] = "Lovelace"
    async with uows() as uow:
        await uow.registrations.update(fresh)
        await uow.commit()
    assert fresh.version == 1

    stale.status = RegistrationStatus.COMPLETED
    async with uows() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.registrations.update(stale)
    assert stale.version == 0
    current = await _get(uows, reg.id)
    assert current.version == 1 and current.status is RegistrationStatus.ACTIVE
    assert current.data["identity"] == {"first_name": "Ada", "last_name": "Lovelace"}


async def test_a_write_sets_the_token_hash_and_status_only_when_they_changed(
    uows: SqlUnitOfWorkFactory,
) -> None:
    """SQLite rewrites the index entries of every column an UPDATE sets, even to the same
    value: a step that keeps the token and the status leaves both out of its UPDATE."""
    reg = registration()
    async with uows() as uow:
        await uow.registrations.add(reg)
        await uow.commit()
    updates: list[str] = []

    def executed(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE REGISTRATIONS"):
            updates.append(sql.split(" WHERE ")[0])

    event.listen(uows.engine.sync_engine, "before_cursor_execute", executed)
    try:
        async with uows() as uow:
            step = await uow.registrations.get(reg.id)
            assert step is not None
            step.data["identity"]["last_name"] = "Byron"
            await uow.registrations.update(step)  # a step: the token and status kept
            step.status = RegistrationStatus.COMPLETED
            await uow.registrations.update(step)  # the status changed: both are set
            step.data["identity"]["first_name"] = "Augusta"
            await uow.registrations.update(step)  # as written last: left out again
            await uow.commit()
        async with uows() as uow:
            other = await uow.registrations.get(reg.id)
            assert other is not None
            other.token_hash = "f" * 64
            await uow.registrations.update(other)  # a new token: set
            await uow.commit()
        async with uows() as uow:  # not read in this unit of work: every column set
            await uow.registrations.update(other)
            await uow.commit()
    finally:
        event.remove(uows.engine.sync_engine, "before_cursor_execute", executed)
    kept = ["token_hash" not in u and "status" not in u for u in updates]
    assert kept == [True, False, True, False, False]
    assert all("data" in u for u in updates)
    stored = await _get(uows, reg.id)
    assert stored.version == 5 and stored.status is RegistrationStatus.COMPLETED
    assert stored.token_hash == "f" * 64
    assert stored.data["identity"] == {"first_name": "Augusta", "last_name": "Byron"}


@pytest.fixture
async def own_uows(own_db_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """Units of work on a database of this test's own (it leaves a dead message behind)."""
    engine = create_engine(own_db_url)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        await engine.dispose()


async def test_the_sms_budget_counts_sms_sent_since_a_moment(
    own_uows: SqlUnitOfWorkFactory,
) -> None:
    """Sent SMS only: not a mail, not an SMS that failed or gave up, not one sent before."""
    uows = own_uows
    before, since = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    number = "+15550001234"
    sms = [replace(message(NOW), id=_id(), kind=OutboxKind.SMS, recipient=number) for _ in "abcd"]
    mail = message(NOW)
    async with uows() as uow:
        for m in [*sms, mail]:
            await uow.outbox.add(m)
        await uow.outbox.mark_all_sent([sms[0].id, mail.id], NOW, scrub=False)
        await uow.outbox.mark_all_sent([sms[1].id], before, scrub=False)
        await uow.outbox.mark_failed(sms[2].id, "carrier down", retry_at=NOW)
        await uow.outbox.mark_failed(sms[3].id, "refused", retry_at=None)
        await uow.commit()
    async with uows(read_only=True) as uow:
        assert await uow.outbox.sms_sent_since(since) == 1
        assert await uow.outbox.sms_sent_since(before) == 2
        assert await uow.outbox.sms_sent_since(since, "+1") == 1
        assert await uow.outbox.sms_sent_since(since, "+44") == 0


async def _get(uows: SqlUnitOfWorkFactory, registration_id: str) -> Registration:
    async with uows(read_only=True) as uow:
        found = await uow.registrations.get(registration_id)
    assert found is not None
    return found


async def test_verification_attempts_stop_at_max_and_consume_once(
    uows: SqlUnitOfWorkFactory,
) -> None:
    reg = registration()
    v = verification(reg.id)
    async with uows() as uow:
        await uow.registrations.add(reg)
        await uow.verifications.add(v)
        await uow.commit()
    async with uows() as uow:
        counts = [await uow.verifications.count_attempt(v.id, 3) for _ in range(5)]
        await uow.commit()
    assert counts == [1, 2, 3, None, None]
    async with uows() as uow:  # a new code for the same target keeps the failures
        await uow.verifications.reissue(
            Verification(**{**v.__dict__, "code_hmac": "b" * 64, "attempts": 0})
        )
        await uow.commit()
    async with uows(read_only=True) as uow:
        current = await uow.verifications.get_current(reg.id, Channel.EMAIL)
    assert current is not None
    assert current.attempts == 3 and current.sends == 2 and current.code_hmac == "b" * 64

    other = verification(reg.id)
    other.created_at = NOW + timedelta(seconds=1)
    async with uows() as uow:
        await uow.verifications.add(other)
        assert await uow.verifications.consume(other.id, NOW) is True
        assert await uow.verifications.consume(other.id, NOW) is False
        assert await uow.verifications.count_attempt(other.id, 5) is None  # used: no attempts
        await uow.commit()
    async with uows(read_only=True) as uow:
        newest = await uow.verifications.get_current(reg.id, Channel.EMAIL)
        by_link = await uow.verifications.get_by_link(str(other.link_hash))
    assert newest is not None and newest.id == other.id and newest.consumed_at == NOW
    assert by_link is not None and by_link.id == other.id


async def test_accounts_are_unique_by_email_and_username(uows: SqlUnitOfWorkFactory) -> None:
    first = account()
    async with uows() as uow:
        await uow.accounts.add(first)
        await uow.commit()
    async with uows() as uow:
        with pytest.raises(UniqueViolation) as same_email:
            await uow.accounts.add(account(email=first.email))
        with pytest.raises(UniqueViolation) as same_username:
            await uow.accounts.add(account(username=first.username))
        survivor = account()  # the unit of work is still usable after a violation
        await uow.accounts.add(survivor)
        await uow.commit()
    assert same_email.value.field == "email"
    assert same_username.value.field == "username"
    async with uows(read_only=True) as uow:
        assert await uow.accounts.get_by_email(first.email) == first
        assert await uow.accounts.get(survivor.id) == survivor
        assert await uow.accounts.email_exists(first.email)
        assert first.username and await uow.accounts.username_exists(first.username)
        assert not await uow.accounts.email_exists("nobody-" + first.email)


async def test_a_sign_in_reads_the_account_with_its_confirmed_second_factor(
    uows: SqlUnitOfWorkFactory,
) -> None:
    from regflow.core.second_factor import TotpCredential

    person = account()
    now = datetime.now(UTC)
    async with uows() as uow:
        await uow.accounts.add(person)
        await uow.commit()
    async with uows(read_only=True) as uow:
        assert await uow.accounts.get_by_email_for_sign_in(person.email) == (person, False)
        assert await uow.accounts.get_by_email_for_sign_in("nobody-" + person.email) is None
    async with uows() as uow:  # set up, not yet confirmed: not enrolled
        await uow.second_factors.start_totp(TotpCredential(person.id, "sealed", now))
        await uow.commit()
    async with uows(read_only=True) as uow:
        assert await uow.accounts.get_by_email_for_sign_in(person.email) == (person, False)
    async with uows() as uow:
        assert await uow.second_factors.confirm_totp(person.id, 1, now)
        await uow.commit()
    async with uows(read_only=True) as uow:
        assert await uow.accounts.get_by_email_for_sign_in(person.email) == (person, True)


async def test_leaving_a_unit_of_work_without_commit_writes_nothing(
    uows: SqlUnitOfWorkFactory,
) -> None:
    taken = account()
    async with uows() as uow:
        await uow.accounts.add(taken)
        await uow.commit()
    reg, half, msg = registration(), account(), message(PAST)
    with pytest.raises(UniqueViolation):
        async with uows() as uow:
            await uow.registrations.add(reg)
            await uow.accounts.add(half)
            await uow.outbox.add(msg)
            await uow.accounts.add(account(email=taken.email))  # fails: the block is left
    async with uows() as uow:  # and a block simply left without commit
        await uow.accounts.add(account(email="left-" + taken.email))
    async with uows(read_only=True) as uow:
        assert await uow.registrations.get(reg.id) is None
        assert await uow.accounts.get(half.id) is None
        assert not await uow.accounts.email_exists("left-" + taken.email)
        assert msg.id not in {m.id for m in await uow.outbox.recent(10_000)}


async def test_idempotency_key_is_stored_once(uows: SqlUnitOfWorkFactory) -> None:
    record = IdempotencyRecord(_id(), "key-1", "c" * 64, {"account": {"id": "x"}}, NOW)
    async with uows() as uow:
        await uow.idempotency.add(record)
        await uow.commit()
    async with uows() as uow:
        with pytest.raises(UniqueViolation) as again:
            await uow.idempotency.add(IdempotencyRecord(**{**record.__dict__, "request_hash": ""}))
        assert await uow.idempotency.get(record.scope, "key-2") is None
        assert await uow.idempotency.get(_id(), "key-1") is None
        assert await uow.idempotency.get(record.scope, "key-1") == record
    assert again.value.field == "idempotency_key"


async def test_outbox_leases_each_message_to_one_owner(uows: SqlUnitOfWorkFactory) -> None:
    mine = [message(PAST + timedelta(seconds=i)) for i in range(5)]
    ids = {m.id for m in mine}
    async with uows() as uow:
        for m in mine:
            await uow.outbox.add(m)
        await uow.commit()
    now = PAST + timedelta(minutes=1)

    async def claim(owner: str, at: datetime) -> set[str]:
        async with uows() as uow:
            got = await uow.outbox.claim(
                limit=3, now=at, lease_until=at + timedelta(minutes=5), owner=owner
            )
            await uow.commit()
        return {m.id for m in got}

    try:
        a, b = await asyncio.gather(claim("worker-a", now), claim("worker-b", now))
        assert a <= ids and b <= ids  # nothing of other tests is due in 1990
        assert not a & b, "one message leased to two owners"
        assert a | b == ids and len(a) <= 3 and len(b) <= 3
        assert await claim("worker-c", now + timedelta(minutes=4)) == set()  # leases hold
        expired = await claim("worker-c", now + timedelta(minutes=6))
        assert len(expired) == 3 and expired <= ids  # expired leases: claimable again
    finally:
        async with uows() as uow:  # never leave due messages behind for other tests
            for m in mine:
                await uow.outbox.mark_sent(m.id, now, scrub=True)
            await uow.commit()


async def test_outbox_claims_the_oldest_and_marks_a_batch_sent(
    uows: SqlUnitOfWorkFactory,
) -> None:
    base = datetime(1980, 1, 1, 12, 0, tzinfo=UTC)  # before every other test's messages
    mine = [message(base + timedelta(seconds=s)) for s in (3, 0, 2, 1)]
    async with uows() as uow:
        for m in mine:
            await uow.outbox.add(m)
        await uow.commit()
    oldest = sorted(mine, key=lambda m: m.available_at)
    now = base + timedelta(minutes=1)
    try:
        async with uows() as uow:
            got = await uow.outbox.claim(
                limit=3, now=now, lease_until=now + timedelta(minutes=5), owner="w"
            )
            await uow.outbox.mark_all_sent([], now, scrub=True)  # nothing to record
            await uow.outbox.mark_all_sent([m.id for m in got[:2]], now, scrub=True)
            await uow.commit()
        assert [m.id for m in got] == [m.id for m in oldest[:3]]  # oldest first
        assert got[0].context == {"code": "123456"} and got[0].status is OutboxStatus.PENDING
        async with uows.engine.connect() as conn:
            rows = {
                r.id: r
                for r in await conn.execute(
                    select(outbox_messages).where(outbox_messages.c.id.in_([m.id for m in mine]))
                )
            }
        for m in oldest[:2]:
            row = rows[m.id]
            assert (row.status, row.attempts, row.context, row.sent_at) == ("sent", 1, {}, now)
            assert row.lease_owner is None and row.lease_until is None
        leased, untouched = rows[oldest[2].id], rows[oldest[3].id]
        assert (leased.status, leased.lease_owner, leased.attempts) == ("pending", "w", 0)
        assert leased.context == {"code": "123456"}
        assert untouched.lease_owner is None
    finally:
        async with uows() as uow:  # never leave due messages behind for other tests
            await uow.outbox.mark_all_sent([m.id for m in mine], now, scrub=True)
            await uow.commit()


async def test_funnel_events_are_appended(uows: SqlUnitOfWorkFactory) -> None:
    rid = _id()
    events = [
        FunnelEvent(rid, "member", "started", NOW),
        FunnelEvent(rid, "member", "step_failed", NOW, step="email", code="INVALID_EMAIL"),
    ]
    async with uows() as uow:
        for event in events:
            await uow.funnel.add(event)
        await uow.commit()
    engine = uows.engine
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(funnel_events)
                .where(funnel_events.c.registration_id == rid)
                .order_by(funnel_events.c.id)
            )
        ).all()
    assert [(r.kind, r.step, r.code, r.contract) for r in rows] == [
        ("started", None, None, "native"),
        ("step_failed", "email", "INVALID_EMAIL", "native"),
    ]
    assert rows[0].id < rows[1].id and rows[0].at == NOW


async def test_a_registration_is_read_with_its_codes(uows: SqlUnitOfWorkFactory) -> None:
    reg, bare = registration(), registration()
    first, phone = verification(reg.id), verification(reg.id)
    newest = verification(reg.id)
    newest.created_at = NOW + timedelta(seconds=1)
    phone.channel, phone.target = Channel.PHONE, "+15555550100"
    async with uows() as uow:
        await uow.registrations.add(reg)
        await uow.registrations.add(bare)
        for v in (first, newest, phone):
            await uow.verifications.add(v)
        await uow.commit()
    async with uows() as uow:  # locked: PostgreSQL reads the row alone (see the module)
        locked = await uow.registrations.get_with_challenges(reg.id)
        locked_by_token = await uow.registrations.find_active_with_challenges(reg.token_hash)
    assert locked is not None and locked_by_token is not None
    assert locked[0].id == locked_by_token[0].id == reg.id
    if uows.engine.dialect.name == "postgresql":
        assert locked[1] is None and locked_by_token[1] is None
    else:
        assert len(locked[1] or []) == len(locked_by_token[1] or []) == 3
    async with uows(read_only=True) as uow:
        found = await uow.registrations.get_with_challenges(reg.id)
        by_token = await uow.registrations.find_active_with_challenges(reg.token_hash)
        alone = await uow.registrations.get_with_challenges(bare.id)
        assert await uow.registrations.get_with_challenges(_id()) is None
        assert await uow.registrations.find_active_with_challenges("0" * 64) is None
        assert found is not None and by_token is not None and alone is not None
        assert found[0].data == reg.data and by_token[0].id == reg.id and alone == (bare, [])
        assert found[1] is not None and by_token[1] is not None
        assert {v.id for v in found[1]} == {v.id for v in by_token[1]}
        assert {v.id for v in found[1]} == {first.id, newest.id, phone.id}
        uow.verifications.seen(reg.id, found[1])
        uow.verifications.seen(bare.id, [])
        asked: list[str] = []

        def executed(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
            asked.append(sql)

        event.listen(uows.engine.sync_engine, "before_cursor_execute", executed)
        try:
            email = await uow.verifications.get_current(reg.id, Channel.EMAIL)
            texted = await uow.verifications.get_current(reg.id, Channel.PHONE)
            none = await uow.verifications.get_current(bare.id, Channel.EMAIL)
        finally:
            event.remove(uows.engine.sync_engine, "before_cursor_execute", executed)
    assert asked == []  # what was seen is known: no statement asks again
    assert email is not None and email.id == newest.id and email == newest
    assert texted == phone and none is None


async def test_a_right_code_is_counted_and_used_at_once(uows: SqlUnitOfWorkFactory) -> None:
    reg = registration()
    v = verification(reg.id)
    async with uows() as uow:
        await uow.registrations.add(reg)
        await uow.verifications.add(v)
        await uow.commit()
    async with uows() as uow:
        assert await uow.verifications.count_attempt(v.id, 5) == 1
        assert await uow.verifications.count_attempt(v.id, 5, consume_at=NOW) == 2
        assert await uow.verifications.count_attempt(v.id, 5, consume_at=NOW) is None  # used
        assert await uow.verifications.count_attempt(v.id, 5) is None
        await uow.commit()
    async with uows(read_only=True) as uow:
        current = await uow.verifications.get_current(reg.id, Channel.EMAIL)
    assert current is not None and current.attempts == 2 and current.consumed_at == NOW
    spent = verification(reg.id)
    spent.attempts, spent.created_at = 5, NOW + timedelta(seconds=1)
    async with uows() as uow:
        await uow.verifications.add(spent)
        assert await uow.verifications.count_attempt(spent.id, 5, consume_at=NOW) is None
        await uow.commit()


async def test_a_code_mail_turns_into_already_registered_for_a_known_address(
    uows: SqlUnitOfWorkFactory,
) -> None:
    known = account()
    async with uows() as uow:
        await uow.accounts.add(known)
        await uow.commit()
    later = datetime(2999, 1, 1, tzinfo=UTC)  # never due: no worker of another test sends it
    sent: list[OutboxMessage] = []
    async with uows() as uow:
        for recipient in (known.email, f"new-{uuid.uuid4().hex[:12]}@example.com"):
            code = message(later)
            code.recipient = recipient
            signed_in = {"sign_in_url": "https://example.com/sign-in"}
            await uow.outbox.add_by_account(code, "already_registered", signed_in)
            sent.append(code)
        await uow.commit()
    async with uows.engine.connect() as conn:
        rows = {
            r.id: r
            for r in await conn.execute(
                select(outbox_messages).where(outbox_messages.c.id.in_([m.id for m in sent]))
            )
        }
        await conn.execute(outbox_messages.delete().where(outbox_messages.c.id.in_(rows)))
        await conn.commit()
    first, second = rows[sent[0].id], rows[sent[1].id]
    assert (first.template, first.context) == (
        "already_registered",
        {"sign_in_url": "https://example.com/sign-in"},
    )
    assert (second.template, second.context) == ("verification_code", {"code": "123456"})
    assert first.recipient == known.email and first.available_at == later
