"""Joining by code follows the organization's policy at completion, on every flow."""

from __future__ import annotations

from typing import Any

from support.harness import PASSWORD, Harness
from support.orgs import person_until_complete, register_organization, unique_email


async def set_policy(h: Harness, owner: dict[str, Any], policy: str) -> None:
    r = await h.client.patch(
        f"/v1/organizations/{owner['organization']['id']}",
        json={"join_policy": policy},
        headers={"Authorization": f"Bearer {owner['access_token']}"},
    )
    assert r.status_code == 200 and r.json()["join_policy"] == policy, r.text


async def member_with_code(h: Harness, email: str, code: str) -> tuple[str, dict[str, str]]:
    """The member flow up to completion, its credentials step carrying ``code``."""
    rid, auth = await h.start("member")
    c = h.client
    r = await c.post(f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth)
    assert r.status_code == 200, r.text
    r = await c.post(
        f"/v1/registrations/{rid}/verifications/email/confirm",
        json={"code": await h.last_code(email)},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    identity = {"first_name": "Ada", "last_name": "Byron", "username": "u" + email[5:17]}
    r = await c.post(f"/v1/registrations/{rid}/steps/identity", json=identity, headers=auth)
    assert r.status_code == 200, r.text
    credentials = {"password": PASSWORD, "password_confirmation": PASSWORD, "org_code": code}
    r = await c.post(f"/v1/registrations/{rid}/steps/credentials", json=credentials, headers=auth)
    assert r.status_code == 200 and r.json()["step"] == "complete", r.text
    return rid, auth


async def members(h: Harness, owner: dict[str, Any]) -> set[tuple[str, str]]:
    r = await h.client.get(
        f"/v1/organizations/{owner['organization']['id']}/members",
        headers={"Authorization": f"Bearer {owner['access_token']}"},
    )
    assert r.status_code == 200, r.text
    return {(m["email"], m["status"]) for m in r.json()["members"]}


async def test_member_code_refused_once_invite_only_then_pending_under_approval(
    harness: Harness,
) -> None:
    owner = await register_organization(harness)
    email = unique_email("member")
    rid, auth = await member_with_code(harness, email, owner["organization"]["join_code"].lower())
    await set_policy(harness, owner, "invite_only")

    r = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "ORG_INVITE_ONLY", r.text
    # nothing was written: no account to sign in to, no membership for the admins
    login = await harness.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401
    assert all(found != email for found, _ in await members(harness, owner))

    await set_policy(harness, owner, "approval")
    r = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["membership"] == {"role": "member", "status": "pending"}
    assert (email, "pending") in await members(harness, owner)


async def test_teacher_code_refused_once_invite_only(harness: Harness) -> None:
    owner = await register_organization(harness)
    email = unique_email("teacher")
    code = owner["organization"]["join_code"]
    rid, auth = await person_until_complete(harness, "teacher", email, org_code=code)
    await set_policy(harness, owner, "invite_only")
    r = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "ORG_INVITE_ONLY", r.text
    assert all(found != email for found, _ in await members(harness, owner))

    await set_policy(harness, owner, "open")
    r = await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert r.status_code == 201 and r.json()["membership"]["status"] == "active", r.text
