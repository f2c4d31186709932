"""Registrations, written back with optimistic concurrency (``version``).

Each write also carries the funnel events the unit of work recorded for that
registration so far (``persistence/funnel.py``): no statement of their own.

The statements are built once, here, with bind parameters: building one per call
and computing its cache key cost more than running it on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, bindparam, func, insert, literal_column, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from regflow.core.model import (
    InvitationLink,
    Registration,
    RegistrationStatus,
    Reserved,
    Role,
    Verification,
)
from regflow.errors import ConcurrentUpdate
from regflow.persistence.compiled import Fetched, run
from regflow.persistence.errors import unique_violation
from regflow.persistence.funnel import PendingFunnel, encode
from regflow.persistence.tables import registrations as t
from regflow.persistence.tables import verifications as vt
from regflow.persistence.verifications import verification_row

# every column but the events waiting for the sweep, which only the drain reads
_COLUMNS = [c for c in t.c if c.name != "pending_events"]
_GET = select(*_COLUMNS).where(t.c.id == bindparam("b_id"))
_GET_LOCKED = _GET.with_for_update()
# 'active' written into the SQL, not bound: only a constant lets SQLite and a prepared
# PostgreSQL statement search the partial unique index of live tokens (0018)
_ACTIVE: ColumnElement[str] = literal_column(f"'{RegistrationStatus.ACTIVE.value}'")
_FIND_ACTIVE = (
    select(*_COLUMNS)
    .where(t.c.token_hash == bindparam("b_token_hash"), t.c.status == _ACTIVE)
    .order_by(t.c.created_at.desc())
    .limit(1)
)
# with every verification challenge of the registration (few: one per channel), so that
# the use cases that send or check a code ask no second question. Only where the read
# takes no row lock that it may wait for: SQLite (a writer's BEGIN IMMEDIATE came first,
# so nothing can commit under it) and PostgreSQL's read-only units of work. A PostgreSQL
# statement that waits for a row lock reads the other tables as they were when it began,
# before the lock holder committed (its own row alone is read again): the challenges it
# joined would be stale (a code reissued, a second one issued beside the first), so
# there the locked row is read alone and its challenges when asked for (``None``: unread).
_CHALLENGES = [c.label(f"v_{c.name}") for c in vt.c]
_WITH_CHALLENGES = select(*_COLUMNS, *_CHALLENGES).select_from(
    t.outerjoin(vt, vt.c.registration_id == t.c.id)
)
_GET_WITH_CHALLENGES = _WITH_CHALLENGES.where(t.c.id == bindparam("b_id"))
_newest = t.alias("newest")
_ACTIVE_ID = (
    select(_newest.c.id)
    .where(
        _newest.c.token_hash == bindparam("b_token_hash"),
        _newest.c.status == _ACTIVE,
    )
    .order_by(_newest.c.created_at.desc())
    .limit(1)
    .scalar_subquery()
)
_FIND_ACTIVE_WITH_CHALLENGES = _WITH_CHALLENGES.where(t.c.id == _ACTIVE_ID)
# PostgreSQL, locking: the row alone (found like the joined read finds it)
_FIND_ACTIVE_LOCKED = select(*_COLUMNS).where(t.c.id == _ACTIVE_ID).with_for_update()
_INSERT = insert(t)
# ... unless an active registration holds its token (the partial unique index): one
# statement, where a lookup first took two
_UNLESS_ACTIVE = {
    "postgresql": postgresql.insert(t).on_conflict_do_nothing(
        index_elements=[t.c.token_hash], index_where=text("status = 'active'")
    ),
    "sqlite": sqlite.insert(t).on_conflict_do_nothing(
        index_elements=[t.c.token_hash], index_where=text("status = 'active'")
    ),
}
# the other columns are SET from the parameters' keys
_UPDATE = (
    update(t)
    .where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_version"))
    .values(version=bindparam("b_new_version"))
)
_UPDATE_WITH_EVENTS = _UPDATE.values(
    pending_events=func.coalesce(t.c.pending_events, "") + bindparam("b_events", type_=String)
)


# SQLite rewrites the index entries of every column an UPDATE sets, changed or not: a
# write leaves these indexed columns out while they hold what was read (the token hash's
# two indexes, two WAL pages a step); PostgreSQL is spared sending them
_INDEXED_KEYS = ("token_hash", "status")


def _indexed(r: Registration) -> tuple[str, str]:
    return r.token_hash, r.status.value


def _values(r: Registration) -> dict[str, Any]:
    invited = r.invitation
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
        "contested": r.contested,
        "attempt_hash": r.attempt_hash,
        "reserved_account_id": r.reserved.account_id,
        "reserved_organization_id": r.reserved.organization_id,
        "reserved_join_code": r.reserved.join_code,
        "invitation_id": invited.id if invited else None,
        "invitation_organization_id": invited.organization_id if invited else None,
        "invitation_role": invited.role.value if invited else None,
        "invitation_email": invited.email if invited else None,
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
        contested=bool(m["contested"]),
        attempt_hash=m["attempt_hash"],
        reserved=Reserved(
            account_id=m["reserved_account_id"],
            organization_id=m["reserved_organization_id"],
            join_code=m["reserved_join_code"],
        ),
        invitation=(
            InvitationLink(
                id=m["invitation_id"],
                organization_id=m["invitation_organization_id"],
                role=Role(m["invitation_role"]),
                email=m["invitation_email"],
            )
            if m["invitation_id"] is not None
            else None
        ),
    )


class SqlRegistrations:
    def __init__(self, conn: AsyncConnection, events: PendingFunnel, *, lock: bool) -> None:
        self._conn = conn
        self._events = events
        self._lock = lock  # in a writing unit of work, reads lock the row (PostgreSQL)
        self._lock_waits = lock and conn.dialect.name == "postgresql"
        self._read: dict[str, tuple[str, str]] = {}  # id: the indexed values read (or written)

    async def add(self, registration: Registration) -> None:
        """UniqueViolation("token_hash") when an active registration holds its token (a
        racing first request for the same address); the unit of work is then spent."""
        events = self._events.take(registration.id)
        try:
            await run(
                self._conn,
                _INSERT,
                {
                    "id": registration.id,
                    "version": registration.version,
                    "pending_events": encode(events) if events else None,
                    **_values(registration),
                },
            )
        except IntegrityError as error:
            violation = unique_violation(error, ("token_hash",))
            if violation is None:
                raise
            raise violation from None
        self._events.written.extend(events)

    async def add_unless_active(self, registration: Registration) -> bool:
        """Insert unless an active registration holds its token hash: then False, nothing
        is written and the events recorded for it are dropped with it."""
        events = self._events.take(registration.id)
        params = {
            "id": registration.id,
            "version": registration.version,
            "pending_events": encode(events) if events else None,
            **_values(registration),
        }
        statement = _UNLESS_ACTIVE[self._conn.dialect.name]
        if (await run(self._conn, statement, params)).rowcount != 1:
            return False
        self._events.written.extend(events)
        return True

    async def get(self, registration_id: str) -> Registration | None:
        # in a writing unit of work, writers of one registration queue here, before any of
        # their writes
        query = _GET_LOCKED if self._lock else _GET
        row = (await run(self._conn, query, {"b_id": registration_id})).first()
        return None if row is None else self._seen(_registration(row))

    async def get_with_challenges(
        self, registration_id: str
    ) -> tuple[Registration, list[Verification] | None] | None:
        params = {"b_id": registration_id}
        if self._lock_waits:
            return self._seen_in(_alone(await run(self._conn, _GET_LOCKED, params)))
        return self._seen_in(_with_challenges(await run(self._conn, _GET_WITH_CHALLENGES, params)))

    async def find_active_with_challenges(
        self, token_hash: str
    ) -> tuple[Registration, list[Verification] | None] | None:
        params = {"b_token_hash": token_hash}
        if self._lock_waits:
            return self._seen_in(_alone(await run(self._conn, _FIND_ACTIVE_LOCKED, params)))
        fetched = await run(self._conn, _FIND_ACTIVE_WITH_CHALLENGES, params)
        return self._seen_in(_with_challenges(fetched))

    async def find_active(self, token_hash: str) -> Registration | None:
        params = {"b_token_hash": token_hash}
        row = (await run(self._conn, _FIND_ACTIVE, params)).first()
        return None if row is None else self._seen(_registration(row))

    async def update(self, registration: Registration) -> None:
        """Write back if nobody else did since it was read; its recorded events ride along
        (and are dropped with the write when another writer won)."""
        events = self._events.take(registration.id)
        params = _values(registration)
        indexed = _indexed(registration)
        if self._read.get(registration.id) == indexed:
            for key in _INDEXED_KEYS:
                del params[key]
        params.update(
            b_id=registration.id,
            b_version=registration.version,
            b_new_version=registration.version + 1,
        )
        if events:
            params["b_events"] = encode(events)
        statement = _UPDATE_WITH_EVENTS if events else _UPDATE
        result = await run(self._conn, statement, params)
        if result.rowcount != 1:
            raise ConcurrentUpdate()
        registration.version += 1
        self._read[registration.id] = indexed
        self._events.written.extend(events)

    def _seen(self, registration: Registration) -> Registration:
        self._read[registration.id] = _indexed(registration)
        return registration

    def _seen_in(
        self, found: tuple[Registration, list[Verification] | None] | None
    ) -> tuple[Registration, list[Verification] | None] | None:
        if found is not None:
            self._seen(found[0])
        return found


def _alone(fetched: Fetched) -> tuple[Registration, None] | None:
    row = fetched.first()
    return None if row is None else (_registration(row), None)


def _with_challenges(fetched: Fetched) -> tuple[Registration, list[Verification] | None] | None:
    mappings = fetched.rows
    if not mappings:
        return None
    challenges = [verification_row(m, "v_") for m in mappings if m["v_id"] is not None]
    return _registration(mappings[0]), challenges
