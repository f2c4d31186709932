"""The organization admin API and invitations, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from regflow.persistence.tables import accounts, invitations
from support.harness import PASSWORD, Harness
from support.orgs import (
    PROFESSIONAL,
    claims,
    complete,
    confirm,
    indian_mobile,
    person_until_complete,
    register_organization,
    step,
    unique_email,
)

SINGLE = {"structure": "single", "timezone": "UTC"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def invite(
    h: Harness, owner: dict[str, Any], email: str, role: str
) -> tuple[dict[str, Any], str]:
    org_id = owner["organization"]["id"]
    r = await h.client.post(
        f"/v1/organizations/{org_id}/invitations",
        json={"email": email, "role": role},
        headers=bearer(owner["access_token"]),
    )
    assert r.status_code == 201, r.text
    mail = next(m for m in await h.outbox() if m.recipient == email and m.template == "invitation")
    link = str(mail.context["link"])
    # the public URL, not Host; the hosted UI (on by default) serves the page of the link
    assert link.startswith("http://127.0.0.1:8000/invite/")
    return r.json(), link.rsplit("/", 1)[1]


async def test_admin_calls_need_an_admin_token_of_that_organization(harness: Harness) -> None:
    owner = await register_organization(harness)
    other = await register_organization(harness)
    org_id = owner["organization"]["id"]
    url = f"/v1/organizations/{org_id}/members"
    c = harness.client
    for headers in ({}, bearer("not-a-jwt"), {"Authorization": "Basic eDp5"}):
        r = await c.get(url, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN", r.text
    r = await c.get(url, headers=bearer(other["access_token"]))
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    r = await c.get(f"/v1/organizations/{uuid.uuid4()}", headers=bearer(owner["access_token"]))
    assert r.status_code == 403

    teacher_email = unique_email("teacher")
    rid, auth = await person_until_complete(
        harness, "teacher", teacher_email, org_code=owner["organization"]["join_code"]
    )
    teacher = await complete(harness, rid, auth)
    assert claims(teacher["access_token"])["role"] == "teacher"
    r = await c.get(url, headers=bearer(teacher["access_token"]))
    assert r.status_code == 403

    r = await c.get(url, headers=bearer(owner["access_token"]))
    assert r.status_code == 200
    roles = {(m["email"], m["role"], m["status"]) for m in r.json()["members"]}
    assert (teacher_email, "teacher", "active") in roles
    assert any(role == "owner" for _, role, _ in roles)
    r = await c.get(url + "?status=nope", headers=bearer(owner["access_token"]))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "INVALID_CHOICE"

    # bumping the token version revokes every token issued before
    async with harness.runtime.engine.begin() as conn:
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == owner["account"]["id"])
            .values(token_version=accounts.c.token_version + 1)
        )
    r = await c.get(url, headers=bearer(owner["access_token"]))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"


async def test_reject_and_decisions_only_on_pending(harness: Harness) -> None:
    owner = await register_organization(harness, preferences={**SINGLE, "join_policy": "approval"})
    org_id, admin = owner["organization"]["id"], bearer(owner["access_token"])
    email = unique_email("student")
    rid, auth = await person_until_complete(
        harness, "student", email, org_code=owner["organization"]["join_code"]
    )
    assert (await complete(harness, rid, auth))["membership"]["status"] == "pending"
    c = harness.client
    queue = await c.get(f"/v1/organizations/{org_id}/members?status=pending", headers=admin)
    (member,) = queue.json()["members"]
    base = f"/v1/organizations/{org_id}/members"
    r = await c.post(f"{base}/{member['id']}/reject", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    for action in ("approve", "reject"):
        r = await c.post(f"{base}/{member['id']}/{action}", headers=admin)
        assert r.status_code == 409 and r.json()["code"] == "MEMBERSHIP_NOT_PENDING"
    r = await c.post(f"{base}/{uuid.uuid4()}/approve", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "MEMBER_NOT_FOUND"
    mail = [m for m in await harness.outbox() if m.recipient == email]
    assert mail[0].template == "membership_rejected"
    login = await c.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert claims(login.json()["access_token"])["role"] is None


async def test_settings_and_join_code_rotation(harness: Harness) -> None:
    owner = await register_organization(harness)
    org_id, admin = owner["organization"]["id"], bearer(owner["access_token"])
    c = harness.client
    url = f"/v1/organizations/{org_id}"
    r = await c.patch(
        url,
        json={"join_policy": "approval", "departments": ["Biology", " biology ", "Chemistry"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["join_policy"] == "approval"
    assert r.json()["settings"]["departments"] == ["Biology", "Chemistry"]
    r = await c.get(url, headers=admin)
    assert r.json()["join_policy"] == "approval" and r.json()["settings"]["timezone"]
    r = await c.patch(url, json={"join_policy": "closed", "owner": "me"}, headers=admin)
    assert r.status_code == 422
    r = await c.patch(url, json={"join_policy": "closed"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "INVALID_CHOICE"

    old = owner["organization"]["join_code"]
    r = await c.post(f"{url}/join-code/rotate", headers=admin)
    assert r.status_code == 200
    new = r.json()["join_code"]
    assert new != old and new[:12] == old[:12]
    assert (await c.get(f"/v1/organizations/by-code/{old}")).status_code == 404
    assert (await c.get(f"/v1/organizations/by-code/{new}")).status_code == 200


async def test_invited_teacher_skips_code_and_approval(harness: Harness) -> None:
    owner = await register_organization(
        harness, preferences={**SINGLE, "join_policy": "invite_only"}
    )
    email = unique_email("invited")
    sent, token = await invite(harness, owner, email, "teacher")
    assert sent["role"] == "teacher" and sent["email"] == email
    c = harness.client
    preview = await c.get(f"/v1/invitations/{token}")
    assert preview.status_code == 200
    assert preview.json()["organization"] == {"name": "Test University"}
    assert preview.json()["email"] == email[0] + "***@example.com"

    r = await c.post(f"/v1/invitations/{token}")
    assert r.status_code == 201, r.text
    started = r.json()
    assert started["flow"] == "teacher" and started["verified"]["email"] is True
    rid, auth = started["id"], bearer(started["token"])
    assert (await c.post(f"/v1/invitations/{token}")).json()["code"] == "INVITATION_USED"

    national, e164 = indian_mobile()
    basic = {
        "full_name": "Ravi Kumar",
        "email": unique_email("other"),
        "country": "IN",
        "phone": national,
        "city": "Pune",
        "postal_code": "411004",
    }
    r = await c.post(f"/v1/registrations/{rid}/steps/basic", json=basic, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "INVITATION_EMAIL_MISMATCH"
    state = await step(harness, rid, auth, "basic", {**basic, "email": email})
    assert [p["channel"] for p in state["pending_verifications"]] == ["phone"]
    assert not [m for m in await harness.outbox() if m.recipient == email and "code" in m.context]
    state = await step(harness, rid, auth, "professional", PROFESSIONAL)
    assert [s["name"] for s in state["steps"]] == ["basic", "professional", "security"]
    await confirm(harness, rid, auth, "phone", e164)
    await step(
        harness, rid, auth, "security", {"password": PASSWORD, "password_confirmation": PASSWORD}
    )
    out = await complete(harness, rid, auth)
    assert out["membership"] == {"role": "teacher", "status": "active"}
    assert out["organization"]["id"] == owner["organization"]["id"]
    assert claims(out["access_token"])["role"] == "teacher"


async def test_invited_admin_can_administer(harness: Harness) -> None:
    owner = await register_organization(harness)
    org_id = owner["organization"]["id"]
    email = unique_email("admin")
    _, token = await invite(harness, owner, email, "admin")
    c = harness.client
    started = (await c.post(f"/v1/invitations/{token}")).json()
    assert started["flow"] == "member"
    rid, auth = started["id"], bearer(started["token"])
    state = await step(harness, rid, auth, "email", {"email": email})
    assert state["step"] == "identity"
    name = "adm" + uuid.uuid4().hex[:8]
    await step(
        harness, rid, auth, "identity", {"first_name": "Ada", "last_name": "Min", "username": name}
    )
    await step(
        harness, rid, auth, "credentials", {"password": PASSWORD, "password_confirmation": PASSWORD}
    )
    out = await complete(harness, rid, auth)
    assert out["membership"] == {"role": "admin", "status": "active"}
    r = await c.get(f"/v1/organizations/{org_id}/members", headers=bearer(out["access_token"]))
    assert r.status_code == 200


async def test_invitation_rules(harness: Harness) -> None:
    owner = await register_organization(harness)
    org_id, admin = owner["organization"]["id"], bearer(owner["access_token"])
    c = harness.client
    r = await c.post(
        f"/v1/organizations/{org_id}/invitations",
        json={"email": "not-an-email", "role": "owner"},
        headers=admin,
    )
    assert r.status_code == 422
    assert {e["code"] for e in r.json()["errors"]} == {"INVALID_EMAIL", "INVALID_CHOICE"}
    email = unique_email("late")
    _, token = await invite(harness, owner, email, "student")
    async with harness.runtime.engine.begin() as conn:
        await conn.execute(
            update(invitations)
            .where(invitations.c.email == email)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    for method in ("GET", "POST"):
        r = await c.request(method, f"/v1/invitations/{token}")
        assert r.status_code == 410 and r.json()["code"] == "INVITATION_EXPIRED"
    r = await c.post(f"/v1/invitations/{'x' * 43}")
    assert r.status_code == 404 and r.json()["code"] == "INVITATION_NOT_FOUND"
