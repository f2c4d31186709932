"""Invitations: issuing, the flow for a role, and admitting an existing account (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from regflow.core import cryptokit, invitations
from regflow.core.flows import BUILT_IN
from regflow.core.flowspec import flow_for_invitee
from regflow.core.model import Account, Membership, MembershipStatus, Role
from regflow.errors import Conflict, Forbidden

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def invitation(email: str = "ada@example.com", role: str = "teacher") -> invitations.Invitation:
    issued = invitations.issue(
        organization_id="org-1",
        email=email,
        role=role,
        invited_by="owner-1",
        now=NOW,
        ttl=timedelta(days=7),
    )
    return issued.invitation


def account(email: str = "ada@example.com") -> Account:
    return Account("acc-1", email, "$argon2id$...", NOW - timedelta(days=30), NOW)


def membership(status: str, organization_id: str = "org-1", role: str = "member") -> Membership:
    return Membership(
        "m-1",
        "acc-1",
        organization_id,
        Role(role),
        MembershipStatus(status),
        NOW - timedelta(days=1),
    )


def test_issued_token_is_stored_only_as_its_hash() -> None:
    issued = invitations.issue(
        organization_id="org-1",
        email="ada@example.com",
        role="admin",
        invited_by="owner-1",
        now=NOW,
        ttl=timedelta(days=7),
    )
    assert issued.invitation.token_hash == cryptokit.sha256_hex(issued.token)
    assert issued.token not in repr(issued.invitation)
    assert issued.invitation.expires_at == NOW + timedelta(days=7)
    with pytest.raises(ValueError, match="owner"):
        invitations.issue(
            organization_id="o",
            email="a@example.com",
            role="owner",
            invited_by="x",
            now=NOW,
            ttl=timedelta(days=1),
        )


def test_a_new_membership_is_active_with_the_invited_role() -> None:
    other_org = membership("active", organization_id="org-2", role="owner")
    admitted = invitations.admit(
        invitation(), account(), [other_org], membership_id="m-new", now=NOW
    )
    assert admitted.previous is None
    assert admitted.membership == Membership(
        "m-new", "acc-1", "org-1", Role.TEACHER, MembershipStatus.ACTIVE, NOW
    )


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_pending_or_rejected_membership_becomes_active(status: str) -> None:
    admitted = invitations.admit(
        invitation(role="sub_admin"),
        account(),
        [membership(status)],
        membership_id="m-new",
        now=NOW,
    )
    assert admitted.previous == status
    found = admitted.membership
    assert (found.id, found.role, found.status) == ("m-1", "sub_admin", "active")
    assert found.created_at == NOW - timedelta(days=1)  # the same row, kept


def test_an_active_member_is_refused() -> None:
    with pytest.raises(Conflict) as raised:
        invitations.admit(
            invitation(), account(), [membership("active")], membership_id="m", now=NOW
        )
    assert raised.value.code == "ALREADY_MEMBER"


@pytest.mark.parametrize(
    ("account_email", "match"),
    [
        ("ada@example.com", True),
        ("Ada@Example.COM", True),
        (" ada@example.com ", True),
        ("ada@example.org", False),
        ("ada+x@example.com", False),
    ],
)
def test_the_account_email_must_be_the_invited_one(account_email: str, match: bool) -> None:
    invited, person = invitation("ada@example.com"), account(account_email)
    if match:
        admitted = invitations.admit(invited, person, [], membership_id="m", now=NOW)
        assert admitted.membership.role == "teacher"
        return
    with pytest.raises(Forbidden) as raised:
        invitations.admit(invited, person, [], membership_id="m", now=NOW)
    assert raised.value.code == "INVITATION_EMAIL_MISMATCH"


def test_flow_for_role_falls_back_to_member() -> None:
    enabled = frozenset({"member", "teacher"})

    def flow_for(role: str, names: frozenset[str]) -> str | None:
        found = flow_for_invitee(role, [f for f in BUILT_IN.values() if f.name in names])
        return found.name if found else None

    assert flow_for("teacher", enabled) == "teacher"
    assert flow_for("student", enabled) == "member"
    assert flow_for("admin", enabled) == "member"
    assert flow_for("admin", frozenset({"teacher"})) is None
