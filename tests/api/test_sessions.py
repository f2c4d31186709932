"""Logging in: legacy bcrypt hashes upgraded, unverified emails refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import bcrypt

from regflow.core.model import Account, Membership, MembershipStatus, Role
from support import orgs
from support.harness import PASSWORD as HARNESS_PASSWORD
from support.harness import Harness

PASSWORD = "legacy password 42"


async def _account(h: Harness, email: str, password_hash: str, verified: bool) -> None:
    async with h.runtime.uow() as uow:
        await uow.accounts.add(
            Account(
                id=str(uuid.uuid4()),
                email=email,
                password_hash=password_hash,
                created_at=datetime.now(UTC),
                email_verified_at=datetime.now(UTC) if verified else None,
            )
        )
        await uow.commit()


async def test_bcrypt_hash_verifies_and_is_upgraded(harness: Harness, unique_email: str) -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    await _account(harness, unique_email, legacy, verified=True)
    r = await harness.client.post(
        "/v1/sessions", json={"email": unique_email.upper(), "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    async with harness.runtime.uow(read_only=True) as uow:
        account = await uow.accounts.get_by_email(unique_email)
    assert account is not None and account.password_hash.startswith("$argon2id$")
    again = await harness.client.post(
        "/v1/sessions", json={"email": unique_email, "password": PASSWORD}
    )
    assert again.status_code == 200


async def test_unverified_email_is_refused_after_the_password(
    harness: Harness, unique_email: str
) -> None:
    hashed = await harness.runtime.hasher.hash(PASSWORD)
    await _account(harness, unique_email, hashed, verified=False)
    wrong = await harness.client.post(
        "/v1/sessions", json={"email": unique_email, "password": "wrong " * 3}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "INVALID_CREDENTIALS"
    right = await harness.client.post(
        "/v1/sessions", json={"email": unique_email, "password": PASSWORD}
    )
    assert right.status_code == 403 and right.json()["code"] == "EMAIL_NOT_VERIFIED"


async def test_unknown_email_and_malformed_email_answer_like_a_wrong_password(
    harness: Harness,
) -> None:
    for email in ("nobody@example.com", "not an email"):
        r = await harness.client.post("/v1/sessions", json={"email": email, "password": "x" * 9})
        assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"


async def test_a_member_of_several_organizations_chooses_which_the_token_speaks_for(
    harness: Harness,
) -> None:
    owner_email = orgs.unique_email("owner")
    first = (await orgs.register_organization(harness, owner_email))["organization"]["id"]
    second = (await orgs.register_organization(harness))["organization"]["id"]
    third = (await orgs.register_organization(harness))["organization"]["id"]
    async with harness.runtime.uow() as uow:  # later memberships of the same account
        account = await uow.accounts.get_by_email(owner_email)
        assert account is not None
        later = datetime.now(UTC) + timedelta(seconds=1)
        for org, status in ((second, "active"), (third, "pending")):
            await uow.memberships.add(
                Membership(
                    str(uuid.uuid4()),
                    account.id,
                    org,
                    Role.TEACHER,
                    MembershipStatus(status),
                    later,
                )
            )
        await uow.commit()
    login = {"email": owner_email, "password": HARNESS_PASSWORD}

    r = await harness.client.post("/v1/sessions", json=login)
    assert r.status_code == 200, r.text
    listed = r.json()["organizations"]
    assert [(o["id"], o["role"]) for o in listed] == [(first, "owner"), (second, "teacher")]
    assert all(o["name"] == orgs.ORG["name"] for o in listed)
    token = orgs.claims(r.json()["access_token"])
    assert (token["org"], token["role"]) == (first, "owner")  # the oldest by default

    r = await harness.client.post("/v1/sessions", json={**login, "organization_id": second})
    assert r.status_code == 200, r.text
    token = orgs.claims(r.json()["access_token"])
    assert (token["org"], token["role"]) == (second, "teacher")

    for org in (third, str(uuid.uuid4())):  # pending, or not a member at all
        r = await harness.client.post("/v1/sessions", json={**login, "organization_id": org})
        assert r.status_code == 403 and r.json()["code"] == "NOT_A_MEMBER", r.text
    wrong = {"email": owner_email, "password": "not the password", "organization_id": third}
    r = await harness.client.post("/v1/sessions", json=wrong)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"
