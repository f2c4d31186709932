"""Registrations, written back with optimistic concurrency (``version``).

Each write also carries the funnel events the unit of work recorded for that
registration so far (``persistence/funnel.py``): no statement of their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import Registration, RegistrationStatus
from regflow.errors import ConcurrentUpdate
from regflow.persistence.funnel import PendingFunnel, appended, encode
from regflow.persistence.tables import registrations as t

# every column but the events waiting for the sweep, which only the drain reads
_COLUMNS = [c for c in t.c if c.name != "pending_events"]


def _values(r: Registration) -> dict[str, Any]:
    return {
        "flow": r.flow,
        "token_hash": r.token_hash,
        "status": r.status.value,
        "data": r.data,
        "verified": r.verified,
        "variant": r.variant,
        "contract": r.contract,
        "locale": r.locale,
        "account_id": r.account_id,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "expires_at": r.expires_at,
        "proof_hash": r.proof_hash,
    }


def _registration(m: Any) -> Registration:
    return Registration(
        id=m["id"],
        flow=m["flow"],
        token_hash=m["token_hash"],
        status=RegistrationStatus(m["status"]),
        data=dict(m["data"]),
        verified=dict(m["verified"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        expires_at=m["expires_at"],
        variant=m["variant"],
        contract=m["contract"],
        locale=m["locale"],
        account_id=m["account_id"],
        version=m["version"],
        proof_hash=m["proof_hash"],
    )


class SqlRegistrations:
    def __init__(self, conn: AsyncConnection, events: PendingFunnel, *, lock: bool) -> None:
        self._conn = conn
        self._events = events
        self._lock = lock  # in a writing unit of work, reads lock the row (PostgreSQL)

    async def add(self, registration: Registration) -> None:
        events = self._events.take(registration.id)
        await self._conn.execute(
            insert(t).values(
                id=registration.id,
                version=registration.version,
                pending_events=encode(events) if events else None,
                **_values(registration),
            )
        )
        self._events.written.extend(events)

    async def get(self, registration_id: str) -> Registration | None:
        query = select(*_COLUMNS).where(t.c.id == registration_id)
        if self._lock:  # writers of one registration queue here, before any of their writes
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return None if row is None else _registration(row._mapping)

    async def find_active(self, token_hash: str) -> Registration | None:
        query = (
            select(*_COLUMNS)
            .where(t.c.token_hash == token_hash, t.c.status == RegistrationStatus.ACTIVE.value)
            .order_by(t.c.created_at.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _registration(row._mapping)

    async def update(self, registration: Registration) -> None:
        """Write back if nobody else did since it was read; its recorded events ride along
        (and are dropped with the write when another writer won)."""
        events = self._events.take(registration.id)
        values = _values(registration)
        if events:
            values["pending_events"] = appended(encode(events))
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == registration.id, t.c.version == registration.version)
            .values(version=registration.version + 1, **values)
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate()
        registration.version += 1
        self._events.written.extend(events)
