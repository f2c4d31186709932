"""The hosted UI's login session: who is signed in to regflow's own pages, and until when.

A login session is what lets ``/oauth2/authorize`` (and any later hosted page)
continue without asking for the password again. It is plain data here; the
rules that decide whether it still holds are pure functions of the session,
the account and the clock:

- **idle lifetime**: unused for longer than ``idle`` and it ends;
- **absolute lifetime**: ``absolute`` after sign-in it ends, however active;
- **revocation**: signed out (``revoked_at``), or every session of the account
  revoked at once;
- **token version**: it remembers the account's ``token_version`` at sign-in,
  so bumping the version (password reset, "sign out everywhere") ends it too.

The bearer secret lives only in the browser's cookie; the row keeps its
SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from regflow.core.model import Account

DEFAULT_IDLE = timedelta(hours=2)
DEFAULT_ABSOLUTE = timedelta(hours=12)  # NIST SP 800-63B-4 AAL2: reauthenticate after 12 h
TOUCH_EVERY = timedelta(minutes=1)  # the idle clock is written at most this often


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = DEFAULT_IDLE
    absolute: timedelta = DEFAULT_ABSOLUTE


@dataclass(frozen=True)
class LoginSession:
    """One signed-in browser. ``amr``: how the person authenticated (RFC 8176 values)."""

    id: str
    account_id: str
    token_hash: str
    token_version: int
    created_at: datetime  # the moment of authentication (OIDC ``auth_time``)
    last_seen_at: datetime
    expires_at: datetime  # absolute end
    amr: tuple[str, ...] = ("pwd",)
    revoked_at: datetime | None = None

    def idle_until(self, policy: SessionPolicy) -> datetime:
        return min(self.last_seen_at + policy.idle, self.expires_at)

    def holds(self, account: Account | None, now: datetime, policy: SessionPolicy) -> bool:
        """Whether this session still speaks for ``account`` at ``now``."""
        return (
            self.revoked_at is None
            and account is not None
            and account.id == self.account_id
            and account.status == "active"
            and account.token_version == self.token_version
            and now < self.expires_at
            and now < self.last_seen_at + policy.idle
        )

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY

    def touched(self, now: datetime) -> LoginSession:
        return replace(self, last_seen_at=now)
