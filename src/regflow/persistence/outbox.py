"""The transactional outbox: rows written with the change, leased to workers.

Claiming is safe with several workers: PostgreSQL locks candidate rows with
``FOR UPDATE SKIP LOCKED``; SQLite serializes writers, so the claim's
``BEGIN IMMEDIATE`` transaction already excludes a second claimer. A lease
that runs out (a worker died) makes the message claimable again.

A claim is one statement (``UPDATE ... WHERE id IN (due ids) RETURNING``) and
the messages a worker delivered are marked sent with one statement, however
many there are: the worker's cost per message is not a transaction each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Update,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from regflow.persistence.compiled import run
from regflow.persistence.tables import accounts
from regflow.persistence.tables import outbox_messages as t

_DUE = (OutboxStatus.PENDING.value, OutboxStatus.RETRYING.value)
_SMS: ColumnElement[str] = literal_column(f"'{OutboxKind.SMS.value}'")
_INSERT = insert(t)  # built once: see persistence/registrations.py
# one message or the other, as an account holds the recipient's address or not: the INSERT
# decides, so that both cases run the same statement with the same parameters
_KNOWN = exists().where(accounts.c.email == bindparam("b_recipient"))
_INSERT_BY_ACCOUNT = insert(t).values(
    id=bindparam("b_id"),
    kind=bindparam("b_kind"),
    recipient=bindparam("b_recipient"),
    template=case(
        (_KNOWN, bindparam("b_known_template", type_=t.c.template.type)),
        else_=bindparam("b_template", type_=t.c.template.type),
    ),
    context=case(
        (_KNOWN, bindparam("b_known_context", type_=t.c.context.type)),
        else_=bindparam("b_context", type_=t.c.context.type),
    ),
    locale=bindparam("b_locale"),
    status=bindparam("b_status"),
    attempts=bindparam("b_attempts"),
    available_at=bindparam("b_available_at", type_=t.c.available_at.type),
    created_at=bindparam("b_created_at", type_=t.c.created_at.type),
)


@cache
def _claim(dialect: str, limit: int) -> Update:
    """Lease up to ``limit`` due messages (oldest first) and return them, in one statement."""
    now = bindparam("now", type_=t.c.available_at.type)
    due = (
        select(t.c.id)
        .where(
            t.c.status.in_(_DUE),
            t.c.available_at <= now,
            or_(t.c.lease_until.is_(None), t.c.lease_until < now),
        )
        .order_by(t.c.available_at)
        .limit(limit)
    )
    if dialect == "postgresql":  # SQLite: BEGIN IMMEDIATE already excludes other claimers
        due = due.with_for_update(skip_locked=True)
    return (
        update(t)
        .where(t.c.id.in_(due.scalar_subquery()))
        .values(
            lease_until=bindparam("lease_until", type_=t.c.lease_until.type),
            lease_owner=bindparam("owner", type_=t.c.lease_owner.type),
        )
        .returning(*t.c)
    )


def _row(m: Any) -> OutboxMessage:
    return OutboxMessage(
        id=m["id"],
        kind=OutboxKind(m["kind"]),
        recipient=m["recipient"],
        template=m["template"],
        context=dict(m["context"]),
        created_at=m["created_at"],
        available_at=m["available_at"],
        status=OutboxStatus(m["status"]),
        attempts=m["attempts"],
        last_error=m["last_error"],
        sent_at=m["sent_at"],
        locale=m["locale"],
    )


class SqlOutbox:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def add(self, m: OutboxMessage) -> None:
        await run(
            self._conn,
            _INSERT,
            {
                "id": m.id,
                "kind": m.kind.value,
                "recipient": m.recipient,
                "template": m.template,
                "context": m.context,
                "locale": m.locale,
                "status": m.status.value,
                "attempts": m.attempts,
                "available_at": m.available_at,
                "created_at": m.created_at,
            },
        )

    async def add_by_account(
        self, m: OutboxMessage, known_template: str, known_context: dict[str, Any]
    ) -> None:
        """Queue ``m``, with ``known_template`` and ``known_context`` instead when an account
        has the address ``m`` goes to: one statement whichever it is (the "already
        registered" mail costs what a code does)."""
        await run(
            self._conn,
            _INSERT_BY_ACCOUNT,
            {
                "b_id": m.id,
                "b_kind": m.kind.value,
                "b_recipient": m.recipient,
                "b_template": m.template,
                "b_context": m.context,
                "b_known_template": known_template,
                "b_known_context": known_context,
                "b_locale": m.locale,
                "b_status": m.status.value,
                "b_attempts": m.attempts,
                "b_available_at": m.available_at,
                "b_created_at": m.created_at,
            },
        )

    async def claim(
        self, *, limit: int, now: datetime, lease_until: datetime, owner: str
    ) -> list[OutboxMessage]:
        rows = await self._conn.execute(
            _claim(self._dialect, limit), {"now": now, "lease_until": lease_until, "owner": owner}
        )
        claimed = [_row(r._mapping) for r in rows]
        claimed.sort(key=lambda m: (m.available_at, m.created_at))  # RETURNING has no order
        return claimed

    async def mark_sent(self, message_id: str, now: datetime, *, scrub: bool) -> None:
        await self.mark_all_sent([message_id], now, scrub=scrub)

    async def mark_all_sent(
        self, message_ids: Sequence[str], now: datetime, *, scrub: bool
    ) -> None:
        """Record the delivery of every message of ``message_ids`` (one statement)."""
        if not message_ids:
            return
        values: dict[str, Any] = {
            "status": OutboxStatus.SENT.value,
            "sent_at": now,
            "attempts": t.c.attempts + 1,
            "lease_until": None,
            "lease_owner": None,
            "last_error": None,
        }
        if scrub:  # codes and links are not kept once delivered
            values["context"] = {}
        await self._conn.execute(update(t).where(t.c.id.in_(message_ids)).values(**values))

    async def mark_failed(self, message_id: str, error: str, *, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {
            "attempts": t.c.attempts + 1,
            "last_error": error[:2000],
            "lease_until": None,
            "lease_owner": None,
        }
        if retry_at is None:
            values["status"] = OutboxStatus.DEAD.value
        else:
            values["status"] = OutboxStatus.RETRYING.value
            values["available_at"] = retry_at
        await self._conn.execute(update(t).where(t.c.id == message_id).values(**values))

    async def recent(self, limit: int) -> list[OutboxMessage]:
        rows = await self._conn.execute(select(t).order_by(t.c.created_at.desc()).limit(limit))
        return [_row(r._mapping) for r in rows]

    # -- operators: what is waiting or dead, and requeueing (regflow outbox, /v1/admin/outbox) --

    async def listing(self, statuses: Sequence[OutboxStatus], limit: int) -> list[OutboxMessage]:
        """Messages in ``statuses``, oldest first."""
        query = (
            select(t)
            .where(t.c.status.in_([s.value for s in statuses]))
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        )
        return [_row(r._mapping) for r in await self._conn.execute(query)]

    async def counts(self) -> dict[OutboxStatus, int]:
        rows = await self._conn.execute(select(t.c.status, func.count()).group_by(t.c.status))
        found = {OutboxStatus(status): int(count) for status, count in rows}
        return {status: found.get(status, 0) for status in OutboxStatus}

    async def requeue(self, message_id: str | None, now: datetime) -> int:
        """Dead messages (one, or all when ``message_id`` is None) back to pending.

        Their attempts start again from zero; the last error stays until the next try.
        """
        query = update(t).where(t.c.status == OutboxStatus.DEAD.value)
        if message_id is not None:
            query = query.where(t.c.id == message_id)
        result = await self._conn.execute(
            query.values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                available_at=now,
                lease_until=None,
                lease_owner=None,
            )
        )
        return int(result.rowcount or 0)

    # -- the SMS budget (regflow.delivery.sms_budget) --------------------------------------

    async def sms_sent_since(self, since: datetime, prefix: str | None = None) -> int:
        """SMS delivered since ``since``, to numbers starting with ``prefix`` when given.

        E.164 country calling codes are a prefix code, so ``+1`` never counts ``+12``
        as another country: a number starting with ``+1`` is in zone 1.
        """
        # Only ``mark_all_sent`` writes ``sent_at``, with the status 'sent': the sending
        # time alone says an SMS went out. Without statistics SQLite would rather search
        # the status index (every sent message) than the partial index of SMS (0019);
        # 'sms' is a constant so that SQLite and prepared PostgreSQL plans may use it.
        query = select(func.count()).where(t.c.kind == _SMS, t.c.sent_at >= since)
        if prefix is not None:
            query = query.where(t.c.recipient.startswith(prefix, autoescape=True))
        return int(await self._conn.scalar(query) or 0)
