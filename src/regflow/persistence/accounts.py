"""Accounts: one per email and per username, enforced by unique constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.confusables import skeleton
from regflow.core.model import Account
from regflow.persistence.compiled import run
from regflow.persistence.inserts import insert_or_name_taken
from regflow.persistence.tables import accounts as t
from regflow.persistence.tables import totp_credentials as totp

# built once: see persistence/registrations.py
_BY_EMAIL = select(t).where(t.c.email == bindparam("b_email"))
_BY_ID = select(t).where(t.c.id == bindparam("b_id"))
# built once: an account by address and its TOTP credential's confirmation, if any (a
# sign-in reads both: one statement, the credential keyed by the account)
_TOTP_CONFIRMED = "totp_confirmed_at"
_SIGN_IN_BY_EMAIL = (
    select(t, totp.c.confirmed_at.label(_TOTP_CONFIRMED))
    .select_from(t.outerjoin(totp, totp.c.account_id == t.c.id))
    .where(t.c.email == bindparam("b_email"))
)
_INSERT = insert(t)
_EMAIL_EXISTS = select(exists().where(t.c.email == bindparam("b_email")))
_USERNAME_EXISTS = select(
    exists().where(
        (t.c.username == bindparam("b_username"))
        | (t.c.username_skeleton == bindparam("b_skeleton"))
    )
)


def _row(m: Any) -> Account:
    return Account(
        id=m["id"],
        email=m["email"],
        password_hash=m["password_hash"],
        created_at=m["created_at"],
        email_verified_at=m["email_verified_at"],
        phone=m["phone"],
        phone_verified_at=m["phone_verified_at"],
        username=m["username"],
        first_name=m["first_name"],
        last_name=m["last_name"],
        token_version=m["token_version"],
        status=m["status"],
        locale=m["locale"],
    )


def account_row(a: Account) -> dict[str, Any]:
    """The ``accounts`` row of ``a`` (also what an import writes)."""
    return {
        "id": a.id,
        "email": a.email,
        "password_hash": a.password_hash,
        "created_at": a.created_at,
        "email_verified_at": a.email_verified_at,
        "phone": a.phone,
        "phone_verified_at": a.phone_verified_at,
        "username": a.username,
        "username_skeleton": skeleton(a.username) if a.username else None,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "token_version": a.token_version,
        "status": a.status,
        "locale": a.locale,
    }


class SqlAccounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, a: Account) -> None:
        values = account_row(a)
        await insert_or_name_taken(self._conn, t, _INSERT, values, ("email", "username", "id"))

    async def get(self, account_id: str) -> Account | None:
        row = (await run(self._conn, _BY_ID, {"b_id": account_id})).first()
        return _row(row) if row else None

    async def get_by_email(self, email: str) -> Account | None:
        row = (await run(self._conn, _BY_EMAIL, {"b_email": email})).first()
        return _row(row) if row else None

    async def get_by_email_for_sign_in(self, email: str) -> tuple[Account, bool] | None:
        row = (await run(self._conn, _SIGN_IN_BY_EMAIL, {"b_email": email})).first()
        return (_row(row), row[_TOTP_CONFIRMED] is not None) if row else None

    async def email_exists(self, email: str) -> bool:
        return bool((await run(self._conn, _EMAIL_EXISTS, {"b_email": email})).scalar())

    async def username_exists(self, username: str) -> bool:
        """True when ``username`` or a look-alike of it (same skeleton) is taken."""
        params = {"b_username": username, "b_skeleton": skeleton(username)}
        return bool((await run(self._conn, _USERNAME_EXISTS, params)).scalar())

    async def change_password(self, account_id: str, password_hash: str, now: datetime) -> None:
        """A new password: every token issued before dies (token version bumped); a reset
        proved the address, so an unconfirmed one counts as confirmed from now on."""
        await self._conn.execute(
            update(t)
            .where(t.c.id == account_id)
            .values(
                password_hash=password_hash,
                token_version=t.c.token_version + 1,
                email_verified_at=func.coalesce(t.c.email_verified_at, now),
            )
        )

    async def set_password_hash(self, account_id: str, password_hash: str) -> None:
        await self._conn.execute(
            update(t).where(t.c.id == account_id).values(password_hash=password_hash)
        )

    async def bump_token_version(self, account_id: str) -> int:
        result = await self._conn.execute(
            update(t)
            .where(t.c.id == account_id)
            .values(token_version=t.c.token_version + 1)
            .returning(t.c.token_version)
        )
        row = result.first()
        return int(row[0]) if row else -1
