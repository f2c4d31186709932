"""TOTP credentials, recovery codes and login challenges; every use is an atomic UPDATE."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.second_factor import ChallengePurpose, MfaChallenge, TotpCredential
from regflow.persistence.compiled import run
from regflow.persistence.tables import mfa_challenges as c
from regflow.persistence.tables import recovery_codes as r
from regflow.persistence.tables import totp_credentials as t

_TOTP_OF = select(t).where(t.c.account_id == bindparam("b_account"))  # built once


def _challenge(m: Any) -> MfaChallenge:
    return MfaChallenge(
        id=m["id"],
        token_hash=m["token_hash"],
        account_id=m["account_id"],
        purpose=ChallengePurpose(m["purpose"]),
        organization_id=m["organization_id"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        attempts=m["attempts"],
        consumed_at=m["consumed_at"],
    )


class SqlSecondFactors:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- TOTP ----------------------------------------------------------------------------------

    async def get_totp(self, account_id: str) -> TotpCredential | None:
        m = (await run(self._conn, _TOTP_OF, {"b_account": account_id})).first()
        if m is None:
            return None
        return TotpCredential(
            account_id=m["account_id"],
            sealed_secret=m["sealed_secret"],
            created_at=m["created_at"],
            confirmed_at=m["confirmed_at"],
            last_step=m["last_step"],
        )

    async def start_totp(self, credential: TotpCredential) -> bool:
        """Replace an unconfirmed credential; False when a confirmed one exists."""
        await self._conn.execute(
            delete(t).where(t.c.account_id == credential.account_id, t.c.confirmed_at.is_(None))
        )
        if await self.get_totp(credential.account_id) is not None:
            return False
        await self._conn.execute(
            insert(t).values(
                account_id=credential.account_id,
                sealed_secret=credential.sealed_secret,
                created_at=credential.created_at,
                confirmed_at=None,
                last_step=None,
            )
        )
        return True

    async def confirm_totp(self, account_id: str, step: int, now: datetime) -> bool:
        result = await self._conn.execute(
            update(t)
            .where(t.c.account_id == account_id, t.c.confirmed_at.is_(None))
            .values(confirmed_at=now, last_step=step)
        )
        return result.rowcount == 1

    async def use_step(self, account_id: str, step: int) -> bool:
        """Record ``step`` as used; False for a step at or before the last one (a replay)."""
        result = await self._conn.execute(
            update(t)
            .where(
                t.c.account_id == account_id,
                t.c.confirmed_at.is_not(None),
                (t.c.last_step.is_(None)) | (t.c.last_step < step),
            )
            .values(last_step=step)
        )
        return result.rowcount == 1

    async def remove(self, account_id: str) -> None:
        await self._conn.execute(delete(r).where(r.c.account_id == account_id))
        await self._conn.execute(delete(t).where(t.c.account_id == account_id))

    # -- recovery codes ------------------------------------------------------------------------

    async def replace_recovery_codes(
        self, account_id: str, digests: Sequence[str], now: datetime
    ) -> None:
        await self._conn.execute(delete(r).where(r.c.account_id == account_id))
        for digest in digests:
            await self._conn.execute(
                insert(r).values(
                    id=str(uuid.uuid4()),
                    account_id=account_id,
                    code_hmac=digest,
                    created_at=now,
                    used_at=None,
                )
            )

    async def use_recovery_code(self, account_id: str, digest: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(r)
            .where(r.c.account_id == account_id, r.c.code_hmac == digest, r.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def recovery_codes_left(self, account_id: str) -> int:
        query = select(func.count()).where(r.c.account_id == account_id, r.c.used_at.is_(None))
        return int(await self._conn.scalar(query) or 0)

    # -- login challenges ----------------------------------------------------------------------

    async def add_challenge(self, challenge: MfaChallenge) -> None:
        await self._conn.execute(
            insert(c).values(
                id=challenge.id,
                token_hash=challenge.token_hash,
                account_id=challenge.account_id,
                purpose=challenge.purpose.value,
                organization_id=challenge.organization_id,
                created_at=challenge.created_at,
                expires_at=challenge.expires_at,
                attempts=challenge.attempts,
                consumed_at=challenge.consumed_at,
            )
        )

    async def get_challenge(self, token_hash: str) -> MfaChallenge | None:
        row = (await self._conn.execute(select(c).where(c.c.token_hash == token_hash))).first()
        return _challenge(row._mapping) if row else None

    async def count_challenge_attempt(self, challenge_id: str, max_attempts: int) -> int | None:
        result = await self._conn.execute(
            update(c)
            .where(c.c.id == challenge_id, c.c.attempts < max_attempts, c.c.consumed_at.is_(None))
            .values(attempts=c.c.attempts + 1)
            .returning(c.c.attempts)
        )
        row = result.first()
        return int(row[0]) if row else None

    async def consume_challenge(self, challenge_id: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(c)
            .where(c.c.id == challenge_id, c.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        return result.rowcount == 1
