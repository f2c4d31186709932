"""The OpenID Provider's authorization codes and refresh tokens, by the SHA-256 of the secret.

Use is atomic: ``consume`` and ``rotate`` are ``UPDATE ... WHERE used_at IS NULL``,
so of two requests racing with one code or one refresh token exactly one wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.oidc import AuthorizationCode, RefreshToken
from regflow.persistence.tables import oauth_codes as c
from regflow.persistence.tables import oauth_refresh_tokens as r


def _code(m: Any) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=m["code_hash"],
        client_id=m["client_id"],
        account_id=m["account_id"],
        redirect_uri=m["redirect_uri"],
        scope=m["scope"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        auth_time=m["auth_time"],
        amr=tuple(m["amr"]),
        nonce=m["nonce"],
        code_challenge=m["code_challenge"],
        code_challenge_method=m["code_challenge_method"],
        used_at=m["used_at"],
    )


def _refresh(m: Any) -> RefreshToken:
    return RefreshToken(
        id=m["id"],
        token_hash=m["token_hash"],
        family_id=m["family_id"],
        client_id=m["client_id"],
        account_id=m["account_id"],
        scope=m["scope"],
        token_version=m["token_version"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        auth_time=m["auth_time"],
        amr=tuple(m["amr"]),
        code_hash=m["code_hash"],
        used_at=m["used_at"],
        revoked_at=m["revoked_at"],
    )


class SqlAuthorizationCodes:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, code: AuthorizationCode) -> None:
        await self._conn.execute(
            insert(c).values(
                code_hash=code.code_hash,
                client_id=code.client_id,
                account_id=code.account_id,
                redirect_uri=code.redirect_uri,
                scope=code.scope,
                nonce=code.nonce,
                code_challenge=code.code_challenge,
                code_challenge_method=code.code_challenge_method,
                auth_time=code.auth_time,
                amr=list(code.amr),
                created_at=code.created_at,
                expires_at=code.expires_at,
                used_at=code.used_at,
            )
        )

    async def get(self, code_hash: str) -> AuthorizationCode | None:
        row = (await self._conn.execute(select(c).where(c.c.code_hash == code_hash))).first()
        return _code(row._mapping) if row else None

    async def consume(self, code_hash: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(c).where(c.c.code_hash == code_hash, c.c.used_at.is_(None)).values(used_at=now)
        )
        return bool(result.rowcount)


class SqlRefreshTokens:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        await self._conn.execute(
            insert(r).values(
                id=token.id,
                token_hash=token.token_hash,
                family_id=token.family_id,
                client_id=token.client_id,
                account_id=token.account_id,
                scope=token.scope,
                token_version=token.token_version,
                auth_time=token.auth_time,
                amr=list(token.amr),
                code_hash=token.code_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
                revoked_at=token.revoked_at,
            )
        )

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = (await self._conn.execute(select(r).where(r.c.token_hash == token_hash))).first()
        return _refresh(row._mapping) if row else None

    async def rotate(self, token_id: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(r)
            .where(r.c.id == token_id, r.c.used_at.is_(None), r.c.revoked_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)

    async def revoke_family(self, family_id: str, now: datetime) -> int:
        result = await self._conn.execute(
            update(r)
            .where(r.c.family_id == family_id, r.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def revoke_by_code(self, code_hash: str, now: datetime) -> int:
        families = select(r.c.family_id).where(r.c.code_hash == code_hash).scalar_subquery()
        result = await self._conn.execute(
            update(r)
            .where(r.c.family_id.in_(families), r.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def revoke_for(self, account_id: str, client_id: str | None, now: datetime) -> int:
        where = [r.c.account_id == account_id, r.c.revoked_at.is_(None)]
        if client_id is not None:
            where.append(r.c.client_id == client_id)
        result = await self._conn.execute(update(r).where(*where).values(revoked_at=now))
        return int(result.rowcount)

    async def family_open(self, family_id: str) -> bool:
        """True when the family exists and none of its tokens is revoked."""
        rows = (
            await self._conn.execute(select(r.c.revoked_at).where(r.c.family_id == family_id))
        ).all()
        return bool(rows) and all(row[0] is None for row in rows)
