"""The cooldown decision: reuse, replace or issue a code, decided in one pure function."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from regflow.core import cryptokit, verification
from regflow.core.model import Channel, Verification
from regflow.core.verification import SendAction, VerificationPolicy, decide_send
from regflow.errors import ErrorCode, TooSoon

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = VerificationPolicy()
SECRET = b"s" * 32


def sent(target: str = "ada@example.com") -> Verification:
    issued = verification.issue(
        secret=SECRET,
        registration_id="r-1",
        channel=Channel.EMAIL,
        target=target,
        now=NOW,
        policy=POLICY,
    )
    return issued.verification


def test_first_code_or_new_address_is_issued() -> None:
    assert decide_send(None, "ada@example.com", NOW, resend=False) is SendAction.ISSUE
    assert decide_send(sent(), "bob@example.com", NOW, resend=False) is SendAction.ISSUE
    used = replace(sent(), consumed_at=NOW)
    assert decide_send(used, "ada@example.com", NOW, resend=True) is SendAction.ISSUE


def test_same_address_within_the_cooldown_reuses_the_code() -> None:
    current = sent()
    assert decide_send(current, current.target, NOW, resend=False) is SendAction.REUSE
    after = current.resend_available_at
    assert decide_send(current, current.target, after, resend=False) is SendAction.REISSUE


@pytest.mark.parametrize("moment", [NOW, NOW + POLICY.cooldown])
def test_a_resend_always_replaces_and_reissue_keeps_the_cooldown(moment: datetime) -> None:
    current = sent()
    assert decide_send(current, current.target, moment, resend=True) is SendAction.REISSUE
    if moment < current.resend_available_at:
        with pytest.raises(TooSoon) as refused:
            verification.reissue(current, secret=SECRET, now=moment, policy=POLICY)
        assert refused.value.code is ErrorCode.RESEND_TOO_SOON
    else:
        fresh = verification.reissue(current, secret=SECRET, now=moment, policy=POLICY)
        assert fresh.verification.id == current.id and fresh.verification.sends == 2
        assert fresh.verification.resend_available_at == moment + POLICY.cooldown
        assert fresh.verification.expires_at > moment + timedelta(seconds=1)


def test_new_uuid_is_a_random_version_4_uuid() -> None:
    ids = [cryptokit.new_uuid() for _ in range(200)]
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert len(set(ids)) == len(ids)
