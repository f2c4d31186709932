"""Verification challenges: attempts counted and codes consumed atomically in SQL.

One instance lives for one unit of work and remembers the current challenge of
each (registration, channel) it read or wrote, so reading it again in the same
transaction (the state answered after a code is sent or confirmed) costs no
statement; a registration read with its challenges (one joined read) tells it all
of them at once. Every write goes through this class and keeps that memory exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import Channel, Verification
from regflow.persistence.compiled import run
from regflow.persistence.tables import verifications as t


def verification_row(m: Any, prefix: str = "") -> Verification:
    """The challenge in a row; ``prefix``: its columns' labels in a join."""
    return Verification(
        id=m[prefix + "id"],
        registration_id=m[prefix + "registration_id"],
        channel=Channel(m[prefix + "channel"]),
        target=m[prefix + "target"],
        code_hmac=m[prefix + "code_hmac"],
        link_hash=m[prefix + "link_hash"],
        created_at=m[prefix + "created_at"],
        expires_at=m[prefix + "expires_at"],
        resend_available_at=m[prefix + "resend_available_at"],
        attempts=m[prefix + "attempts"],
        sends=m[prefix + "sends"],
        consumed_at=m[prefix + "consumed_at"],
    )


_row = verification_row


_Key = tuple[str, Channel]
# built once: building a statement and its cache key per call costs more than running it
_INSERT = insert(t)
_CURRENT = (
    select(t)
    .where(t.c.registration_id == bindparam("b_rid"), t.c.channel == bindparam("b_channel"))
    .order_by(t.c.created_at.desc())
    .limit(1)
)
_REISSUE = (
    update(t)
    .where(t.c.id == bindparam("b_id"))
    .values(sends=t.c.sends + 1, consumed_at=None)  # code, link and times from parameters
)
_COUNT_ATTEMPT = (
    update(t)
    .where(
        t.c.id == bindparam("b_id"),
        t.c.attempts < bindparam("b_max"),
        t.c.consumed_at.is_(None),
    )
    .values(attempts=t.c.attempts + 1)
    .returning(t.c.attempts)
)
# a right code: its attempt counted and the code used, in one statement
_COUNT_AND_CONSUME = (
    update(t)
    .where(
        t.c.id == bindparam("b_id"),
        t.c.attempts < bindparam("b_max"),
        t.c.consumed_at.is_(None),
    )
    .values(attempts=t.c.attempts + 1, consumed_at=bindparam("b_now"))
    .returning(t.c.attempts)
)
# a used code presented again (seed 004's repeated verify-email) counts as an attempt too
_COUNT_USED_ATTEMPT = (
    update(t)
    .where(t.c.id == bindparam("b_id"), t.c.attempts < bindparam("b_max"))
    .values(attempts=t.c.attempts + 1)
    .returning(t.c.attempts)
)
_CONSUME = (
    update(t)
    .where(t.c.id == bindparam("b_id"), t.c.consumed_at.is_(None))
    .values(consumed_at=bindparam("b_now"))
)
_DELETE_FOR = delete(t).where(
    t.c.registration_id == bindparam("b_rid"), t.c.channel == bindparam("b_channel")
)
_DELETE_ALL_FOR = delete(t).where(t.c.registration_id == bindparam("b_rid"))


class SqlVerifications:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # the current challenge per (registration, channel) as this transaction left it;
        # None: known to have none
        self._current: dict[_Key, Verification | None] = {}

    def _remember(self, v: Verification) -> None:
        key = (v.registration_id, v.channel)
        known = self._current.get(key)
        if key in self._current and (known is None or known.created_at <= v.created_at):
            self._current[key] = replace(v)
        else:  # not known, or older than what is: let the next read ask the database
            self._current.pop(key, None)

    def _known_by_id(self, verification_id: str) -> tuple[_Key, Verification] | None:
        for key, v in self._current.items():
            if v is not None and v.id == verification_id:
                return key, v
        return None

    async def add(self, v: Verification) -> None:
        await run(
            self._conn,
            _INSERT,
            {
                "id": v.id,
                "registration_id": v.registration_id,
                "channel": v.channel.value,
                "target": v.target,
                "code_hmac": v.code_hmac,
                "link_hash": v.link_hash,
                "created_at": v.created_at,
                "expires_at": v.expires_at,
                "resend_available_at": v.resend_available_at,
                "attempts": v.attempts,
                "sends": v.sends,
                "consumed_at": v.consumed_at,
            },
        )
        self._remember(v)

    async def get_current(self, registration_id: str, channel: Channel) -> Verification | None:
        key = (registration_id, channel)
        if key in self._current:
            known = self._current[key]
            return None if known is None else replace(known)
        params = {"b_rid": registration_id, "b_channel": channel.value}
        row = (await run(self._conn, _CURRENT, params)).first()
        current = _row(row) if row else None
        self._current[key] = current
        return None if current is None else replace(current)

    def seen(self, registration_id: str, challenges: Sequence[Verification] | None) -> None:
        """Every challenge of a registration, as read in this transaction (with the
        registration: ``SqlRegistrations.get_with_challenges``): the newest of each channel
        is its current one, and a channel without any has none. None: they were not read."""
        if challenges is None:
            return
        newest: dict[Channel, Verification] = {}
        for v in challenges:
            known = newest.get(v.channel)
            if known is None or known.created_at < v.created_at:
                newest[v.channel] = v
        for channel in Channel:
            self._current[(registration_id, channel)] = newest.get(channel)

    async def get_by_link(self, link_hash: str) -> Verification | None:
        row = (await self._conn.execute(select(t).where(t.c.link_hash == link_hash))).first()
        return _row(row._mapping) if row else None

    async def reissue(self, v: Verification) -> None:
        # attempts are deliberately not written: resending never resets the failure count
        await run(
            self._conn,
            _REISSUE,
            {
                "b_id": v.id,
                "code_hmac": v.code_hmac,
                "link_hash": v.link_hash,
                "created_at": v.created_at,
                "expires_at": v.expires_at,
                "resend_available_at": v.resend_available_at,
            },
        )
        found = self._known_by_id(v.id)
        if found is not None:
            key, known = found
            self._current[key] = replace(v, attempts=known.attempts, sends=known.sends + 1)
        else:
            self._forget(v.id)

    async def count_attempt(
        self,
        verification_id: str,
        max_attempts: int,
        *,
        used: bool = False,
        consume_at: datetime | None = None,
    ) -> int | None:
        params: dict[str, Any] = {"b_id": verification_id, "b_max": max_attempts}
        if consume_at is not None:
            statement = _COUNT_AND_CONSUME
            params["b_now"] = consume_at
        else:
            statement = _COUNT_USED_ATTEMPT if used else _COUNT_ATTEMPT
        row = (await run(self._conn, statement, params)).first()
        found = self._known_by_id(verification_id)
        if row is not None and found is not None:
            found[1].attempts = int(row["attempts"])
            if consume_at is not None:
                found[1].consumed_at = consume_at
        else:
            self._forget(verification_id)
        return int(row["attempts"]) if row else None

    async def consume(self, verification_id: str, now: datetime) -> bool:
        result = await run(self._conn, _CONSUME, {"b_id": verification_id, "b_now": now})
        found = self._known_by_id(verification_id)
        if result.rowcount == 1 and found is not None:
            found[1].consumed_at = now
        else:
            self._forget(verification_id)
        return result.rowcount == 1

    async def delete_for(self, registration_id: str, channel: Channel) -> None:
        await run(self._conn, _DELETE_FOR, {"b_rid": registration_id, "b_channel": channel.value})
        self._current[(registration_id, channel)] = None

    async def delete_all_for(self, registration_id: str) -> None:
        await run(self._conn, _DELETE_ALL_FOR, {"b_rid": registration_id})
        for channel in Channel:
            self._current[(registration_id, channel)] = None

    def _forget(self, verification_id: str) -> None:
        found = self._known_by_id(verification_id)
        if found is not None:
            del self._current[found[0]]
