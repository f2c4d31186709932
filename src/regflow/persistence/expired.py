"""Deleting what has run out: the sweep's pruning of short-lived rows.

Each method deletes at most ``limit`` rows (the ids picked first, then deleted,
as the event pruning does) and answers how many went; the sweep repeats it in
batches. What stays a little longer, and why, is said per table.

The sweep runs every minute inside a write transaction (on SQLite one that holds
every other writer back), so each pick searches an index (migration 0017): the
one on the end of the row's life, and for "revoked" a partial index holding only
revoked rows. A table gone by several conditions is picked by one ``UNION ALL``
arm per condition rather than by one ``OR``: SQLite reads ``expires_at < ? OR
revoked_at IS NOT NULL`` only by scanning the whole table, while each arm alone
searches its own index (PostgreSQL plans both alike).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.persistence.tables import (
    email_changes,
    login_sessions,
    mfa_challenges,
    oauth_codes,
    oauth_refresh_tokens,
    password_resets,
    totp_credentials,
)


class SqlExpiredRows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _delete(self, table: Table, key: str, limit: int, *gone: ColumnElement[bool]) -> int:
        """Delete up to ``limit`` rows that meet any of ``gone``. A row meeting two is
        picked twice and deleted once: that batch falls short of ``limit`` and the
        sweep's next pass takes what is left."""
        arms = [select(table.c[key]).where(where) for where in gone]
        picked = (arms[0] if len(arms) == 1 else union_all(*arms)).limit(limit).scalar_subquery()
        result = await self._conn.execute(delete(table).where(table.c[key].in_(picked)))
        return int(result.rowcount or 0)

    async def authorization_codes(self, before: datetime, limit: int) -> int:
        """Codes that expired before ``before`` (used or not)."""
        return await self._delete(
            oauth_codes, "code_hash", limit, oauth_codes.c.expires_at < before
        )

    async def refresh_tokens(self, now: datetime, limit: int) -> int:
        """Refresh tokens past their end, and revoked ones (their family is over)."""
        t = oauth_refresh_tokens
        return await self._delete(t, "id", limit, t.c.expires_at < now, t.c.revoked_at.is_not(None))

    async def login_sessions(self, now: datetime, idle_before: datetime, limit: int) -> int:
        """Sessions past their absolute end, idle since before ``idle_before``, or revoked."""
        t = login_sessions
        return await self._delete(
            t,
            "id",
            limit,
            t.c.expires_at < now,
            t.c.last_seen_at < idle_before,
            t.c.revoked_at.is_not(None),
        )

    async def mfa_challenges(self, now: datetime, limit: int) -> int:
        """Second-step challenges of logins that expired."""
        t = mfa_challenges
        return await self._delete(t, "id", limit, t.c.expires_at < now)

    async def totp_enrolments(self, started_before: datetime, limit: int) -> int:
        """TOTP set-ups never confirmed, started before ``started_before`` (a confirmed
        credential is never touched)."""
        t = totp_credentials
        where = t.c.confirmed_at.is_(None) & (t.c.created_at < started_before)
        return await self._delete(t, "account_id", limit, where)

    async def email_changes(self, now: datetime, limit: int) -> int:
        """Changes whose code expired and whose undo link (if any) has expired too."""
        t = email_changes
        where = (
            (t.c.expires_at < now)
            & (t.c.resend_available_at < now)
            & or_(t.c.undo_expires_at.is_(None), t.c.undo_expires_at < now)
        )
        return await self._delete(t, "id", limit, where)

    async def password_resets(self, now: datetime, limit: int) -> int:
        """Resets whose code and link expired (used or not)."""
        t = password_resets
        where = (t.c.expires_at < now) & (t.c.resend_available_at < now)
        return await self._delete(t, "id", limit, where)
