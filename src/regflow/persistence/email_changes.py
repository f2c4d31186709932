"""Email changes: one per account; attempts counted and codes consumed atomically in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.email_change import EmailChange
from regflow.persistence.tables import accounts
from regflow.persistence.tables import email_changes as t


def _row(m: Any) -> EmailChange:
    return EmailChange(
        id=m["id"],
        account_id=m["account_id"],
        new_email=m["new_email"],
        code_hmac=m["code_hmac"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        resend_available_at=m["resend_available_at"],
        attempts=m["attempts"],
        consumed_at=m["consumed_at"],
        old_email=m["old_email"],
        undo_hash=m["undo_hash"],
        undo_expires_at=m["undo_expires_at"],
    )


class SqlEmailChanges:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, account_id: str) -> EmailChange | None:
        row = (await self._conn.execute(select(t).where(t.c.account_id == account_id))).first()
        return _row(row._mapping) if row else None

    async def get_by_undo(self, undo_hash: str) -> EmailChange | None:
        row = (await self._conn.execute(select(t).where(t.c.undo_hash == undo_hash))).first()
        return _row(row._mapping) if row else None

    async def replace(self, change: EmailChange) -> None:
        """The account's new pending change (an earlier one, pending or undoable, goes)."""
        await self._conn.execute(delete(t).where(t.c.account_id == change.account_id))
        await self._conn.execute(
            insert(t).values(
                id=change.id,
                account_id=change.account_id,
                new_email=change.new_email,
                code_hmac=change.code_hmac,
                created_at=change.created_at,
                expires_at=change.expires_at,
                resend_available_at=change.resend_available_at,
                attempts=0,
                consumed_at=None,
                old_email=None,
                undo_hash=None,
                undo_expires_at=None,
            )
        )

    async def count_attempt(self, change_id: str, max_attempts: int) -> int | None:
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == change_id, t.c.attempts < max_attempts, t.c.consumed_at.is_(None))
            .values(attempts=t.c.attempts + 1)
            .returning(t.c.attempts)
        )
        row = result.first()
        return int(row[0]) if row else None

    async def consume(
        self, change_id: str, now: datetime, old_email: str, undo_hash: str, undo_until: datetime
    ) -> bool:
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == change_id, t.c.consumed_at.is_(None))
            .values(
                consumed_at=now,
                old_email=old_email,
                undo_hash=undo_hash,
                undo_expires_at=undo_until,
            )
        )
        return result.rowcount == 1

    async def close(self, change_id: str) -> bool:
        """Forget a change (undone, or its undo link spent): True only for the first caller."""
        result = await self._conn.execute(delete(t).where(t.c.id == change_id))
        return result.rowcount == 1

    async def set_email(self, account_id: str, email: str, now: datetime) -> bool:
        """Move the account to ``email`` (verified now), bumping the token version; False
        when another account holds the address (the unique constraint decides, so two
        racing changes to one address cannot both win)."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    update(accounts)
                    .where(accounts.c.id == account_id)
                    .values(
                        email=email,
                        email_verified_at=now,
                        token_version=accounts.c.token_version + 1,
                    )
                )
        except IntegrityError:
            return False
        return True
