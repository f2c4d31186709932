"""Login sessions for the hosted UI: create, current, revoke, revoke all for an account.

The hosted ``/sign-in``, the end of every hosted flow and ``/oauth2/authorize``
share one signed-in state: a row in ``login_sessions`` and a random secret in
the browser's cookie (the UI names the cookie; see ``regflow.ui.session``).
Each use case is one unit of work. Signing in again from the same browser
*rotates*: the session the cookie named is revoked and a new secret issued, so
a secret planted before sign-in (session fixation) never becomes a signed-in
one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from regflow.core import cryptokit
from regflow.core.login_sessions import LoginSession
from regflow.core.model import Account
from regflow.errors import NotFound
from regflow.services.context import ServiceContext

MAX_SECRET = 200  # a longer cookie value is no secret of ours; refused before hashing


@dataclass(frozen=True)
class StartedSession:
    """A new session and its secret (to be put in the cookie, shown nowhere else)."""

    secret: str
    session: LoginSession


@dataclass(frozen=True)
class SignedIn:
    """The person a valid session speaks for."""

    session: LoginSession
    account: Account

    @property
    def auth_time(self) -> datetime:
        return self.session.created_at


class LoginSessions:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def create(
        self, account_id: str, *, amr: tuple[str, ...] = ("pwd",), replacing: str | None = None
    ) -> StartedSession:
        """Sign ``account_id`` in; ``replacing`` (the browser's previous secret) is revoked."""
        now = self.ctx.clock()
        secret = cryptokit.new_token()
        async with self.ctx.uow() as uow:
            account = await uow.accounts.get(account_id)
            if account is None:
                raise NotFound("No such account.")
            if replacing and len(replacing) <= MAX_SECRET:
                old = await uow.login_sessions.get_by_token_hash(cryptokit.sha256_hex(replacing))
                if old is not None:
                    await uow.login_sessions.revoke(old.id, now)
            session = LoginSession(
                id=str(uuid.uuid4()),
                account_id=account.id,
                token_hash=cryptokit.sha256_hex(secret),
                token_version=account.token_version,
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.ctx.login_sessions.absolute,
                amr=amr,
            )
            await uow.login_sessions.add(session)
            await uow.commit()
        return StartedSession(secret, session)

    async def current(self, secret: str | None) -> SignedIn | None:
        """Who ``secret`` signs in, if its session still holds (idle, absolute, revoked,
        token version, account status); its idle clock moves forward."""
        if not secret or len(secret) > MAX_SECRET:
            return None
        now = self.ctx.clock()
        async with self.ctx.uow(read_only=True) as uow:
            session = await uow.login_sessions.get_by_token_hash(cryptokit.sha256_hex(secret))
            account = await uow.accounts.get(session.account_id) if session else None
        if session is None or not session.holds(account, now, self.ctx.login_sessions):
            return None
        assert account is not None  # noqa: S101 - holds() checked it
        if session.needs_touch(now):
            async with self.ctx.uow() as uow:
                await uow.login_sessions.touch(session.id, now)
                await uow.commit()
            session = session.touched(now)
        return SignedIn(session, account)

    async def revoke(self, secret: str | None) -> bool:
        """Sign out the session ``secret`` names; False when there was none open."""
        if not secret or len(secret) > MAX_SECRET:
            return False
        async with self.ctx.uow() as uow:
            session = await uow.login_sessions.get_by_token_hash(cryptokit.sha256_hex(secret))
            ended = session is not None and await uow.login_sessions.revoke(
                session.id, self.ctx.clock()
            )
            await uow.commit()
        return ended

    async def revoke_all(self, account_id: str) -> int:
        """Sign the account out of every browser; how many sessions ended."""
        async with self.ctx.uow() as uow:
            ended = await uow.login_sessions.revoke_all(account_id, self.ctx.clock())
            await uow.commit()
        return ended
