"""Erasing an account: the account row (its memberships, profile, second factor, login
sessions and reset challenge go with it, ``ON DELETE CASCADE``) and what else names it."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.persistence.tables import (
    accounts,
    idempotency_records,
    invitations,
    outbox_messages,
    password_resets,
    registrations,
)


class SqlErasure:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def erase(
        self, account_id: str, email: str, email_key: str, phone: str | None = None
    ) -> None:
        """Delete the account and every row that holds its address or its answers: the
        registrations that made it (their codes and completion replays), its reset
        challenge (kept under the address's HMAC) and the mail queued or sent to it."""
        made = select(registrations.c.id).where(registrations.c.account_id == account_id)
        rids = [row[0] for row in (await self._conn.execute(made)).all()]
        if rids:
            await self._conn.execute(
                delete(idempotency_records).where(idempotency_records.c.scope.in_(rids))
            )
            await self._conn.execute(delete(registrations).where(registrations.c.id.in_(rids)))
        await self._conn.execute(
            delete(password_resets).where(password_resets.c.email_key == email_key)
        )
        recipients = [email] if phone is None else [email, phone]
        await self._conn.execute(
            delete(outbox_messages).where(outbox_messages.c.recipient.in_(recipients))
        )
        await self._conn.execute(delete(invitations).where(invitations.c.email == email))
        await self._conn.execute(delete(accounts).where(accounts.c.id == account_id))
