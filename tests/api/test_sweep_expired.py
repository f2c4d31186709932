"""The sweep deletes short-lived rows that have run out, and nothing that still holds.

Rows of every kind are written through the repositories, half of them run out
and half still good; one pass of the sweep (as ``regflow worker`` runs it)
must leave exactly the good ones, on SQLite and PostgreSQL (a database of its
own, so that it sees every row removed).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from regflow.core.email_change import EmailChange
from regflow.core.login_sessions import LoginSession
from regflow.core.model import Account
from regflow.core.oidc import AuthorizationCode, RefreshToken
from regflow.core.recovery import PasswordReset
from regflow.core.second_factor import ChallengePurpose, MfaChallenge, TotpCredential
from regflow.services.sweep import Sweep
from support.harness import Harness, make_settings, started_app

NOW = datetime.now(UTC).replace(microsecond=0)
AGO = NOW - timedelta(minutes=30)  # run out half an hour ago
SOON = NOW + timedelta(minutes=30)  # still good for half an hour


def h64() -> str:
    return secrets.token_hex(32)


@pytest.fixture
async def h(own_db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    # a database of its own: the sweep deletes every row that ran out, and a shared one may
    # hold more of them than one pass reaches
    async with started_app(make_settings(own_db_url, tmp_path)) as harness:
        harness.runtime.services.ctx.clock = lambda: NOW
        yield harness


async def accounts(h: Harness, n: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    async with h.runtime.uow() as uow:
        for i in ids:
            await uow.accounts.add(
                Account(id=i, email=f"sweep-{i}@example.com", password_hash="x", created_at=AGO)
            )
        await uow.commit()
    return ids


def code(account_id: str, expires_at: datetime, used: bool = False) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=h64(),
        client_id="app",
        account_id=account_id,
        redirect_uri="https://app.test/cb",
        scope="openid",
        created_at=expires_at - timedelta(seconds=60),
        expires_at=expires_at,
        auth_time=AGO,
        used_at=expires_at - timedelta(seconds=30) if used else None,
    )


def refresh(account_id: str, expires_at: datetime, revoked: bool = False) -> RefreshToken:
    return RefreshToken(
        id=str(uuid.uuid4()),
        token_hash=h64(),
        family_id=str(uuid.uuid4()),
        client_id="app",
        account_id=account_id,
        scope="openid",
        token_version=0,
        created_at=AGO - timedelta(days=1),
        expires_at=expires_at,
        auth_time=AGO,
        revoked_at=AGO if revoked else None,
    )


def session(
    account_id: str, expires_at: datetime, last_seen: datetime, revoked: bool = False
) -> LoginSession:
    return LoginSession(
        id=str(uuid.uuid4()),
        account_id=account_id,
        token_hash=h64(),
        token_version=0,
        created_at=last_seen - timedelta(minutes=1),
        last_seen_at=last_seen,
        expires_at=expires_at,
        revoked_at=AGO if revoked else None,
    )


def challenge(account_id: str, expires_at: datetime) -> MfaChallenge:
    return MfaChallenge(
        id=str(uuid.uuid4()),
        token_hash=h64(),
        account_id=account_id,
        purpose=ChallengePurpose.VERIFY,
        organization_id=None,
        created_at=expires_at - timedelta(minutes=5),
        expires_at=expires_at,
    )


def change(account_id: str, expires_at: datetime) -> EmailChange:
    return EmailChange(
        id=str(uuid.uuid4()),
        account_id=account_id,
        new_email=f"new-{account_id}@example.com",
        code_hmac=h64(),
        created_at=expires_at - timedelta(minutes=15),
        expires_at=expires_at,
        resend_available_at=expires_at - timedelta(minutes=14),
    )


def reset(expires_at: datetime, account_id: str | None = None) -> PasswordReset:
    return PasswordReset(
        id=str(uuid.uuid4()),
        email_key=h64(),
        account_id=account_id,
        code_hmac=h64(),
        link_hash=h64(),
        created_at=expires_at - timedelta(minutes=15),
        expires_at=expires_at,
        resend_available_at=expires_at - timedelta(minutes=14),
    )


async def test_one_sweep_deletes_what_ran_out_and_keeps_what_holds(h: Harness) -> None:
    ctx = h.runtime.services.ctx
    idle = ctx.login_sessions.idle
    a = await accounts(h, 8)
    codes = {
        "long expired": code(a[0], NOW - timedelta(hours=2), used=True),
        "just expired": code(a[0], AGO),  # kept an hour: a replay still revokes
        "fresh": code(a[0], SOON),
    }
    tokens = {
        "expired": refresh(a[0], AGO),
        "revoked": refresh(a[0], SOON + timedelta(days=20), revoked=True),
        "good": refresh(a[0], SOON + timedelta(days=20)),
    }
    sessions = {
        "ended": session(a[0], AGO, AGO),
        "idle": session(a[0], SOON, NOW - idle - timedelta(minutes=1)),
        "revoked": session(a[0], SOON, NOW, revoked=True),
        "good": session(a[0], SOON, NOW - timedelta(minutes=5)),
    }
    challenges = {"expired": challenge(a[0], AGO), "good": challenge(a[0], SOON)}
    enrolments = {  # account -> (started, confirmed)
        a[1]: (NOW - timedelta(days=2), None),  # abandoned
        a[2]: (NOW - timedelta(days=2), NOW - timedelta(days=2)),  # on: never touched
        a[3]: (NOW - timedelta(hours=1), None),  # under way
    }
    resets = {"expired": reset(AGO, a[0]), "unknown address": reset(AGO), "good": reset(SOON)}
    async with h.runtime.uow() as uow:
        for c in codes.values():
            await uow.oauth_codes.add(c)
        for t in tokens.values():
            await uow.refresh_tokens.add(t)
        for s in sessions.values():
            await uow.login_sessions.add(s)
        for m in challenges.values():
            await uow.second_factors.add_challenge(m)
        for account_id, (started, confirmed) in enrolments.items():
            credential = TotpCredential(account_id, "sealed", started)
            assert await uow.second_factors.start_totp(credential)
            if confirmed is not None:
                assert await uow.second_factors.confirm_totp(account_id, 1, confirmed)
        # email changes: code expired; code good; confirmed with the undo link still open;
        # confirmed and the undo link closed too
        await uow.email_changes.replace(change(a[4], AGO))
        await uow.email_changes.replace(change(a[5], SOON))
        for account_id, undo_until in ((a[6], SOON), (a[7], AGO)):
            moved = change(account_id, AGO)
            await uow.email_changes.replace(moved)
            assert await uow.email_changes.consume(
                moved.id, AGO - timedelta(minutes=5), "old@example.com", h64(), undo_until
            )
        for r in resets.values():
            assert await uow.resets.save(r, new=True)
        await uow.commit()

    result = await Sweep(ctx, retention=timedelta(days=180), batch=1).run_once()
    # every one that ran out: 1 code, 2 refresh tokens, 3 sessions, 1 challenge, 1 set-up,
    # 2 email changes, 2 resets
    assert result.removed == 12

    async with h.runtime.uow(read_only=True) as uow:
        left_codes = {k for k, c in codes.items() if await uow.oauth_codes.get(c.code_hash)}
        left_tokens = {
            k for k, t in tokens.items() if await uow.refresh_tokens.get_by_hash(t.token_hash)
        }
        left_sessions = {
            k
            for k, s in sessions.items()
            if await uow.login_sessions.get_by_token_hash(s.token_hash)
        }
        left_challenges = {
            k for k, m in challenges.items() if await uow.second_factors.get_challenge(m.token_hash)
        }
        left_enrolments = {i for i in enrolments if await uow.second_factors.get_totp(i)}
        left_changes = {i for i in a[4:8] if await uow.email_changes.get(i)}
        left_resets = {k for k, r in resets.items() if await uow.resets.get(r.email_key)}
    assert left_codes == {"just expired", "fresh"}
    assert left_tokens == {"good"}
    assert left_sessions == {"good"}
    assert left_challenges == {"good"}
    assert left_enrolments == {a[2], a[3]}
    assert left_changes == {a[5], a[6]}
    assert left_resets == {"good"}
