"""Accepting an invitation with an existing account, on SQLite and PostgreSQL.

The invitee walks the member flow first, the owner invites that email, the
link is read from the outbox, and the invitee logs in and accepts with the
access token from ``POST /v1/sessions``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import jwt
from sqlalchemy import func, select, update

from regflow.persistence.tables import accounts, memberships
from support.harness import PASSWORD, Harness
from support.orgs import complete, person_until_complete, register_organization, unique_email

SINGLE = {"structure": "single", "timezone": "UTC"}
PARALLEL = 20


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def member_account(h: Harness, tag: str = "member") -> tuple[str, dict[str, Any]]:
    """An account made by walking the member flow: its email and completion body."""
    email = unique_email(tag)
    rid, auth = await h.member_until_complete(email)
    return email, await complete(h, rid, auth)


async def log_in(h: Harness, email: str) -> str:
    r = await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def invite(h: Harness, owner: dict[str, Any], email: str, role: str) -> str:
    """Invite ``email``; the link token, read from the invitation mail in the outbox."""
    org_id = owner["organization"]["id"]
    r = await h.client.post(
        f"/v1/organizations/{org_id}/invitations",
        json={"email": email, "role": role},
        headers=bearer(owner["access_token"]),
    )
    assert r.status_code == 201, r.text
    mails = [
        m for m in await h.outbox() if m.recipient == email.lower() and m.template == "invitation"
    ]
    return str(mails[0].context["link"]).rsplit("/", 1)[1]  # newest first


async def verified_claims(h: Harness, token: str) -> dict[str, Any]:
    """The token's claims, its signature checked against the published JWKS."""
    header = jwt.get_unverified_header(token)
    jwks = (await h.client.get("/.well-known/jwks.json")).json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    decoded: dict[str, Any] = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=[key["alg"]], options={"verify_aud": False}
    )
    return decoded


async def members(h: Harness, owner: dict[str, Any]) -> list[dict[str, Any]]:
    org_id = owner["organization"]["id"]
    r = await h.client.get(
        f"/v1/organizations/{org_id}/members", headers=bearer(owner["access_token"])
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["members"]
    return found


async def test_an_existing_account_accepts_and_gets_a_token_for_the_organization(
    harness: Harness,
) -> None:
    owner = await register_organization(
        harness, preferences={**SINGLE, "join_policy": "invite_only"}
    )
    org = owner["organization"]
    email, member = await member_account(harness)
    link = await invite(harness, owner, email.upper(), "teacher")  # stored normalized
    access = await log_in(harness, email)
    assert (await verified_claims(harness, access))["org"] is None

    r = await harness.client.post(f"/v1/invitations/{link}", headers=bearer(access))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["membership"]["role"] == "teacher" and body["membership"]["status"] == "active"
    assert body["organization"] == {"id": org["id"], "name": org["name"], "slug": org["slug"]}
    assert body["account"] == {"id": member["account"]["id"], "email": email}
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    claims = await verified_claims(harness, body["access_token"])
    assert claims["sub"] == member["account"]["id"]
    assert (claims["org"], claims["role"]) == (org["id"], "teacher")

    listed = {(m["email"], m["role"], m["status"], m["id"]) for m in await members(harness, owner)}
    assert (email, "teacher", "active", body["membership"]["id"]) in listed
    # the link is spent; the new token opens nothing an owner's would
    r = await harness.client.post(f"/v1/invitations/{link}", headers=bearer(access))
    assert r.status_code == 409 and r.json()["code"] == "INVITATION_USED"
    r = await harness.client.get(
        f"/v1/organizations/{org['id']}/members", headers=bearer(body["access_token"])
    )
    assert r.status_code == 403
    # a later login lists the organization and may speak for it
    r = await harness.client.post(
        "/v1/sessions", json={"email": email, "password": PASSWORD, "organization_id": org["id"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["organizations"] == [{"id": org["id"], "name": org["name"], "role": "teacher"}]
    claims = await verified_claims(harness, r.json()["access_token"])
    assert (claims["org"], claims["role"]) == (org["id"], "teacher")


async def test_another_account_is_refused_and_the_invitation_stays_usable(
    harness: Harness,
) -> None:
    owner = await register_organization(harness)
    invited, _ = await member_account(harness, "invited")
    stranger, _ = await member_account(harness, "stranger")
    link = await invite(harness, owner, invited, "member")

    r = await harness.client.post(
        f"/v1/invitations/{link}", headers=bearer(await log_in(harness, stranger))
    )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "INVITATION_EMAIL_MISMATCH"
    assert r.headers["content-type"] == "application/problem+json"
    assert not [m for m in await members(harness, owner) if m["email"] == stranger]

    r = await harness.client.post(
        f"/v1/invitations/{link}", headers=bearer(await log_in(harness, invited))
    )
    assert r.status_code == 201, r.text
    assert r.json()["membership"]["role"] == "member"


async def test_an_active_member_is_told_so_and_the_invitation_stays_usable(
    harness: Harness,
) -> None:
    owner = await register_organization(harness)
    email = unique_email("teacher")
    rid, auth = await person_until_complete(
        harness, "teacher", email, org_code=owner["organization"]["join_code"]
    )
    assert (await complete(harness, rid, auth))["membership"]["status"] == "active"
    link = await invite(harness, owner, email, "admin")
    access = await log_in(harness, email)

    r = await harness.client.post(f"/v1/invitations/{link}", headers=bearer(access))
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_MEMBER", r.text
    mine = [m for m in await members(harness, owner) if m["email"] == email]
    assert [(m["role"], m["status"]) for m in mine] == [("teacher", "active")]
    preview = await harness.client.get(f"/v1/invitations/{link}")
    assert preview.status_code == 200  # not used: still there for a registration


async def test_pending_and_rejected_memberships_become_active_with_the_invited_role(
    harness: Harness,
) -> None:
    owner = await register_organization(harness, preferences={**SINGLE, "join_policy": "approval"})
    org_id, admin = owner["organization"]["id"], bearer(owner["access_token"])
    pending, rejected = unique_email("pending"), unique_email("rejected")
    for email in (pending, rejected):
        rid, auth = await person_until_complete(
            harness, "student", email, org_code=owner["organization"]["join_code"]
        )
        assert (await complete(harness, rid, auth))["membership"]["status"] == "pending"
    [queued] = [m for m in await members(harness, owner) if m["email"] == rejected]
    r = await harness.client.post(
        f"/v1/organizations/{org_id}/members/{queued['id']}/reject", headers=admin
    )
    assert r.status_code == 200

    for email, role in ((pending, "sub_admin"), (rejected, "student")):
        link = await invite(harness, owner, email, role)
        r = await harness.client.post(
            f"/v1/invitations/{link}", headers=bearer(await log_in(harness, email))
        )
        assert r.status_code == 201, r.text
        assert r.json()["membership"]["status"] == "active"
        claims = await verified_claims(harness, r.json()["access_token"])
        assert (claims["org"], claims["role"]) == (org_id, role)
        mine = [m for m in await members(harness, owner) if m["email"] == email]
        assert [(m["id"], m["role"], m["status"]) for m in mine] == [
            (r.json()["membership"]["id"], role, "active")
        ]


async def test_bad_access_tokens_are_401_and_leave_the_invitation(harness: Harness) -> None:
    owner = await register_organization(harness)
    email, member = await member_account(harness)
    link = await invite(harness, owner, email, "member")
    access = await log_in(harness, email)
    c = harness.client
    r = await c.post(f"/v1/invitations/{link}", headers=bearer("not-a-jwt"))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN", r.text
    # bumping the token version revokes the token
    async with harness.runtime.engine.begin() as conn:
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == member["account"]["id"])
            .values(token_version=accounts.c.token_version + 1)
        )
    r = await c.post(f"/v1/invitations/{link}", headers=bearer(access))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
    r = await c.post(f"/v1/invitations/{'x' * 43}", headers=bearer(await log_in(harness, email)))
    assert r.status_code == 404 and r.json()["code"] == "INVITATION_NOT_FOUND"
    r = await c.post(f"/v1/invitations/{link}", headers=bearer(await log_in(harness, email)))
    assert r.status_code == 201, r.text


async def test_parallel_accepts_with_one_account_make_one_membership(harness: Harness) -> None:
    owner = await register_organization(harness)
    email, member = await member_account(harness)
    link = await invite(harness, owner, email, "member")
    access = await log_in(harness, email)
    responses = await asyncio.gather(
        *(
            harness.client.post(f"/v1/invitations/{link}", headers=bearer(access))
            for _ in range(PARALLEL)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: PARALLEL - 1}, [(r.status_code, r.text) for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"INVITATION_USED"}
    async with harness.runtime.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(memberships)
            .where(
                memberships.c.organization_id == owner["organization"]["id"],
                memberships.c.account_id == member["account"]["id"],
            )
        )
    assert count == 1
