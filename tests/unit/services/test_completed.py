"""The idempotency codec of a completion: what is kept rebuilds the same value.

A replay answers from the record alone (plus a fresh token), so every field the
front ends render must survive the round trip with its type: datetimes stay
aware datetimes, roles and statuses stay enums. Records written before the
codec (the first answer's JSON body with ``_replay_guard``) decode too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from regflow.core.model import JoinPolicy, MembershipStatus, Role
from regflow.services.completed import (
    AccountView,
    Made,
    MembershipRef,
    NextStep,
    OrganizationRef,
    decode,
    encode,
)
from regflow.services.organizations import OrganizationView

CREATED = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
ACCOUNT = AccountView(
    id="a-1",
    email="asha@example.com",
    email_verified=True,
    phone="+919812345678",
    phone_verified=False,
    username="asha",
    first_name="Asha",
    last_name=None,
    created_at=CREATED,
)
FOUNDED = OrganizationView(
    id="o-1",
    name="Green Valley School",
    slug="green-valley-school",
    join_code="INGVS26-ABCD",
    join_policy=JoinPolicy.APPROVAL,
    two_factor=True,
    settings={"country": "IN", "departments": ["Maths"]},
    logo_url="https://example.com/v1/uploads/logo/k",
    created_at=CREATED,
)
MADE = [
    Made(ACCOUNT),
    Made(
        ACCOUNT,
        OrganizationRef("o-2", "Hill School", "hill-school"),
        MembershipRef(Role.TEACHER, MembershipStatus.PENDING),
    ),
    Made(
        ACCOUNT,
        OrganizationRef("o-1", FOUNDED.name, FOUNDED.slug),
        MembershipRef(Role.OWNER, MembershipStatus.ACTIVE),
        FOUNDED,
        (NextStep("add_teachers", "Add your first teachers"),),
    ),
]


@pytest.mark.parametrize("made", MADE, ids=["alone", "joined", "founded"])
def test_what_is_kept_rebuilds_the_same_value(made: Made) -> None:
    stored = json.dumps(encode(made, token_version=3))  # as the JSON column keeps it
    assert decode(json.loads(stored)) == (made, 3)


def test_nothing_kept_is_a_token() -> None:
    kept = json.dumps(encode(MADE[2], token_version=0))
    assert "access_token" not in kept and "token" not in json.loads(kept)


def test_a_record_kept_before_the_codec_decodes_to_the_same_value() -> None:
    """The body the first answer carried, as records held it (founded organization under
    ``organization``, the token version under ``_replay_guard``)."""
    legacy = {
        "account": {
            "id": "a-1",
            "email": "asha@example.com",
            "email_verified": True,
            "phone": "+919812345678",
            "phone_verified": False,
            "username": "asha",
            "first_name": "Asha",
            "last_name": None,
            "created_at": "2026-12-07T09:30:15.123456Z",
        },
        "organization": {
            "id": "o-1",
            "name": "Green Valley School",
            "slug": "green-valley-school",
            "join_code": "INGVS26-ABCD",
            "join_policy": "approval",
            "two_factor": True,
            "settings": {"country": "IN", "departments": ["Maths"]},
            "logo_url": "https://example.com/v1/uploads/logo/k",
            "created_at": "2026-12-07T09:30:15.123456Z",
        },
        "membership": {"role": "owner", "status": "active"},
        "next_steps": [{"id": "add_teachers", "text": "Add your first teachers"}],
        "_replay_guard": {"token_version": 2},
    }
    made, version = decode(legacy)
    assert version == 2
    assert made == Made(
        ACCOUNT,
        OrganizationRef("o-1", FOUNDED.name, FOUNDED.slug),
        MembershipRef(Role.OWNER, MembershipStatus.ACTIVE),
        FOUNDED,
        (NextStep("add_teachers", "Add your first teachers"),),
    )
    assert made.account.created_at.utcoffset() is not None


def test_a_legacy_record_without_a_membership() -> None:
    legacy = {
        "account": {**encode(MADE[0], 0)["account"], "created_at": "2026-12-07T09:30:15Z"},
        "organization": None,
        "membership": None,
        "_replay_guard": {"token_version": 0},
    }
    made, version = decode(legacy)
    assert (made.organization, made.membership, made.founded, version) == (None, None, None, 0)
