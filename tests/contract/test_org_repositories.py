"""The organization repositories, one suite against the SQLite and the PostgreSQL adapters.

The PostgreSQL database is shared by the session: every row carries fresh ids,
and the expiry queries look only at rows this test made.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from regflow.core.invitations import Invitation
from regflow.core.model import Account, JoinPolicy, Membership, MembershipStatus, Organization, Role
from regflow.core.onboarding import AccountProfile
from regflow.core.uploads import Upload
from regflow.errors import UniqueViolation
from regflow.persistence.uow import SqlUnitOfWorkFactory

NOW = datetime.now(UTC).replace(microsecond=0)


def _id() -> str:
    return str(uuid.uuid4())


def organization(slug: str | None = None, code: str | None = None) -> Organization:
    tag = uuid.uuid4().hex[:8]
    return Organization(
        id=_id(),
        name="Test University",
        slug=slug or f"test-{tag}",
        join_code=code or f"IN-TES-2026-{tag.upper()}",
        created_at=NOW,
        settings={"departments": ["Physics"]},
        join_policy=JoinPolicy.OPEN,
    )


def account() -> Account:
    tag = uuid.uuid4().hex[:12]
    return Account(
        id=_id(), email=f"m-{tag}@example.com", password_hash="h", created_at=NOW, first_name="Ada"
    )


async def test_organization_uniqueness_and_update(uows: SqlUnitOfWorkFactory) -> None:
    first = organization()
    async with uows() as uow:
        await uow.organizations.add(first)
        for clash, field in (
            (organization(slug=first.slug), "slug"),
            (organization(code=first.join_code), "join_code"),
        ):
            with pytest.raises(UniqueViolation) as violation:
                await uow.organizations.add(clash)
            assert violation.value.field == field
        second = organization()
        await uow.organizations.add(second)  # the transaction survived the violations
        second.join_code = first.join_code
        with pytest.raises(UniqueViolation) as violation:
            await uow.organizations.update(second)
        assert violation.value.field == "join_code"
        first.join_policy = JoinPolicy.APPROVAL
        first.settings = {"departments": ["Physics", "Chemistry"]}
        first.join_code = f"IN-TES-2026-{uuid.uuid4().hex[:8].upper()}"
        await uow.organizations.update(first)
        await uow.commit()
    async with uows(read_only=True) as uow:
        stored = await uow.organizations.get_by_join_code(first.join_code)
    assert stored is not None and stored.join_policy == "approval"
    assert stored.settings["departments"] == ["Physics", "Chemistry"]


async def test_memberships_queue(uows: SqlUnitOfWorkFactory) -> None:
    org = organization()
    people = [account() for _ in range(3)]
    rows = [
        Membership(
            _id(), p.id, org.id, Role.STUDENT, MembershipStatus(status), NOW + timedelta(seconds=i)
        )
        for i, (p, status) in enumerate(zip(people, ("pending", "active", "pending"), strict=True))
    ]
    async with uows() as uow:
        await uow.organizations.add(org)
        for person in people:
            await uow.accounts.add(person)
        for row in rows:
            await uow.memberships.add(row)
        await uow.commit()
    async with uows() as uow:
        pending = await uow.memberships.for_organization(org.id, "pending", limit=10, offset=0)
        assert [m.id for m in pending] == [rows[0].id, rows[2].id]
        assert pending[0].email == people[0].email and pending[0].first_name == "Ada"
        everyone = await uow.memberships.for_organization(org.id, None, limit=2, offset=1)
        assert [m.id for m in everyone] == [rows[1].id, rows[2].id]
        assert await uow.memberships.set_status(
            rows[0].id, org.id, expected="pending", status="active"
        )
        assert not await uow.memberships.set_status(
            rows[0].id, org.id, expected="pending", status="rejected"
        )
        assert not await uow.memberships.set_status(
            rows[2].id, _id(), expected="pending", status="active"
        )
        assert await uow.memberships.set_status(
            rows[2].id, org.id, expected="pending", status="active", role="admin"
        )
        await uow.commit()
    async with uows(read_only=True) as uow:
        got = await uow.memberships.get(rows[0].id)
        assert got is not None and (got.status, got.role) == ("active", "student")
        got = await uow.memberships.get(rows[2].id)
        assert got is not None and (got.status, got.role) == ("active", "admin")
        assert await uow.memberships.get(_id()) is None
    async with uows() as uow:  # one membership per account and organization
        with pytest.raises(UniqueViolation) as violation:
            await uow.memberships.add(
                Membership(_id(), people[0].id, org.id, Role.ADMIN, MembershipStatus.ACTIVE, NOW)
            )
        assert violation.value.field == "membership"


async def test_active_memberships_come_with_their_organizations(
    uows: SqlUnitOfWorkFactory,
) -> None:
    person, orgs = account(), [organization() for _ in range(3)]
    rows = [
        Membership(_id(), person.id, o.id, Role.MEMBER, MembershipStatus(status), NOW + t)
        for o, status, t in zip(
            orgs,
            ("active", "pending", "active"),
            (timedelta(seconds=2), timedelta(seconds=1), timedelta(seconds=0)),
            strict=True,
        )
    ]
    async with uows() as uow:
        await uow.accounts.add(person)
        for o in orgs:
            await uow.organizations.add(o)
        for row in rows:
            await uow.memberships.add(row)
        await uow.commit()
    async with uows(read_only=True) as uow:
        found = await uow.memberships.active_with_organizations(person.id)
        assert await uow.memberships.active_with_organizations(_id()) == []
    # active only, oldest first, each with its organization as stored
    assert [(m.id, o) for m, o in found] == [(rows[2].id, orgs[2]), (rows[0].id, orgs[0])]
    assert found[0][0] == rows[2]


async def test_invitations_are_accepted_once(uows: SqlUnitOfWorkFactory) -> None:
    org = organization()
    live = Invitation(
        _id(),
        org.id,
        "i@example.com",
        "teacher",
        uuid.uuid4().hex * 2,
        _id(),
        NOW,
        NOW + timedelta(days=1),
    )
    stale = Invitation(
        _id(), org.id, "j@example.com", "student", uuid.uuid4().hex * 2, _id(), NOW, NOW
    )
    spare = replace(live, id=_id(), email="k@example.com", token_hash=uuid.uuid4().hex * 2)
    async with uows() as uow:
        await uow.organizations.add(org)
        for invitation in (live, stale, spare):
            await uow.invitations.add(invitation)
        await uow.commit()
    async with uows() as uow:
        found = await uow.invitations.get_by_token_hash(live.token_hash)
        assert found is not None and found.role == "teacher" and found.accepted_at is None
        assert await uow.invitations.accept(live.id, "reg-1", NOW)
        assert not await uow.invitations.accept(live.id, "reg-2", NOW)
        assert not await uow.invitations.accept(stale.id, "reg-3", NOW)  # expired
        assert await uow.invitations.accept(spare.id, None, NOW)  # by an existing account
        assert not await uow.invitations.accept(spare.id, None, NOW)
        await uow.commit()
    async with uows(read_only=True) as uow:
        found = await uow.invitations.get_by_token_hash(live.token_hash)
        assert found is not None and found.registration_id == "reg-1" and found.accepted_at
        found = await uow.invitations.get_by_token_hash(spare.token_hash)
        assert found is not None and found.registration_id is None and found.accepted_at
        assert await uow.invitations.get_by_token_hash("0" * 64) is None


async def test_uploads_claimed_once_and_swept(uows: SqlUnitOfWorkFactory) -> None:
    org = organization()
    far = datetime(1990, 1, 1, tzinfo=UTC)  # a timeline of its own: no other test's rows

    def upload(expires: datetime) -> Upload:
        key = uuid.uuid4().hex
        return Upload(key, "logo", f"{key}.png", "image/png", 10, 1, 1, far, expires)

    fresh, old, claimed_old = upload(NOW + timedelta(hours=1)), upload(far), upload(far)
    async with uows() as uow:
        await uow.organizations.add(org)
        for u in (fresh, old, claimed_old):
            await uow.uploads.add(u)
        await uow.commit()
    async with uows() as uow:
        assert await uow.uploads.claim(fresh.key, org.id, NOW)
        assert not await uow.uploads.claim(fresh.key, org.id, NOW)
        assert not await uow.uploads.claim(old.key, org.id, NOW)  # expired
        expired = await uow.uploads.expired(far + timedelta(seconds=1), 100)
        assert old.key in [u.key for u in expired] and fresh.key not in [u.key for u in expired]
        assert await uow.uploads.delete(old.key)
        assert not await uow.uploads.delete(fresh.key)  # claimed: kept
        await uow.commit()
    async with uows(read_only=True) as uow:
        got = await uow.uploads.get(fresh.key)
        assert got is not None and got.organization_id == org.id and got.claimed_at is not None
        assert await uow.uploads.get(old.key) is None


async def test_profiles(uows: SqlUnitOfWorkFactory) -> None:
    person = account()
    data = {"subjects": ["Physics"], "date_of_birth": "2006-04-12", "years_of_experience": 7}
    async with uows() as uow:
        await uow.accounts.add(person)
        await uow.profiles.add(AccountProfile(person.id, "teacher", NOW, "fr", data))
        await uow.commit()
    async with uows(read_only=True) as uow:
        got = await uow.profiles.get(person.id)
        assert got == AccountProfile(person.id, "teacher", NOW, "fr", data)
        assert await uow.profiles.get(_id()) is None


async def test_invitations_are_listed_and_revoked(uows: SqlUnitOfWorkFactory) -> None:
    org, other = organization(), organization()
    first = Invitation(
        _id(),
        org.id,
        "a@example.com",
        "teacher",
        uuid.uuid4().hex * 2,
        _id(),
        NOW,
        NOW + timedelta(days=1),
    )
    later = replace(
        first,
        id=_id(),
        email="b@example.com",
        token_hash=uuid.uuid4().hex * 2,
        created_at=NOW + timedelta(minutes=1),
    )
    theirs = replace(first, id=_id(), organization_id=other.id, token_hash=uuid.uuid4().hex * 2)
    async with uows() as uow:
        await uow.organizations.add(org)
        await uow.organizations.add(other)
        for invitation in (first, later, theirs):
            await uow.invitations.add(invitation)
        await uow.commit()
    async with uows() as uow:
        listed = await uow.invitations.for_organization(org.id, 10)
        assert [i.email for i in listed] == ["b@example.com", "a@example.com"]  # newest first
        assert not await uow.invitations.revoke(theirs.id, org.id, NOW)  # not this org's
        assert await uow.invitations.revoke(first.id, org.id, NOW)
        assert not await uow.invitations.revoke(first.id, org.id, NOW)  # ended already
        assert not await uow.invitations.accept(first.id, "reg-1", NOW)  # the link is dead
        assert await uow.invitations.accept(later.id, "reg-2", NOW)
        assert not await uow.invitations.revoke(later.id, org.id, NOW)  # used: nothing to end
        await uow.commit()
