"""Racing organizations: one name registered 20 times at once, one invitation accepted 20 times.

On PostgreSQL the inserts really overlap (the unique indexes make the losers
retry with another slug or code inside their transaction); on SQLite the
writers queue. Either way: distinct slugs and join codes or clear 409s, never
a duplicate, never a 500.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from sqlalchemy import func, select

from regflow.persistence.tables import memberships, organizations
from support.harness import Harness
from support.orgs import ORG, organization_until_complete, register_organization, unique_email

PARALLEL = 20


async def test_same_name_registered_in_parallel(harness: Harness) -> None:
    name = f"Race Academy {uuid.uuid4().hex[:6]}"
    walks = [
        await organization_until_complete(harness, unique_email("racer"), org={**ORG, "name": name})
        for _ in range(PARALLEL)
    ]
    responses = await asyncio.gather(
        *(
            harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)
            for rid, auth in walks
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [(r.status_code, r.text) for r in responses]
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused <= {"ORG_SLUG_EXISTS"}, refused
    created = [r.json()["organization"] for r in responses if r.status_code == 201]
    assert len(created) >= PARALLEL // 2, statuses
    slugs = [o["slug"] for o in created]
    codes = [o["join_code"] for o in created]
    assert len(set(slugs)) == len(slugs) and len(set(codes)) == len(codes)
    async with harness.runtime.engine.connect() as conn:
        stored = await conn.scalar(
            select(func.count()).select_from(organizations).where(organizations.c.name == name)
        )
        owners = await conn.scalar(
            select(func.count())
            .select_from(memberships)
            .where(memberships.c.organization_id.in_([o["id"] for o in created]))
        )
    assert stored == len(created) and owners == len(created)


async def test_invitation_accepted_in_parallel_makes_one_membership(harness: Harness) -> None:
    owner = await register_organization(harness)
    org_id = owner["organization"]["id"]
    bearer = {"Authorization": f"Bearer {owner['access_token']}"}
    invitee = unique_email("invitee")
    r = await harness.client.post(
        f"/v1/organizations/{org_id}/invitations",
        json={"email": invitee, "role": "member"},
        headers=bearer,
    )
    assert r.status_code == 201, r.text
    link = next(
        str(m.context["link"])
        for m in await harness.outbox()
        if m.recipient == invitee and m.template == "invitation"
    )
    token = link.rsplit("/", 1)[1]
    responses = await asyncio.gather(
        *(harness.client.post(f"/v1/invitations/{token}") for _ in range(PARALLEL))
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: PARALLEL - 1}, [(r.status_code, r.text) for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"INVITATION_USED"}
    started = next(r.json() for r in responses if r.status_code == 201)
    rid, auth = started["id"], {"Authorization": f"Bearer {started['token']}"}
    c = harness.client
    r = await c.post(f"/v1/registrations/{rid}/steps/email", json={"email": invitee}, headers=auth)
    assert r.status_code == 200 and r.json()["step"] == "identity", r.text
    await c.post(
        f"/v1/registrations/{rid}/steps/identity",
        json={"first_name": "Ina", "last_name": "Vite", "username": "inv" + uuid.uuid4().hex[:8]},
        headers=auth,
    )
    pw = "correct horse battery staple"
    await c.post(
        f"/v1/registrations/{rid}/steps/credentials",
        json={"password": pw, "password_confirmation": pw},
        headers=auth,
    )
    done = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
    assert done.status_code == 201, done.text
    assert done.json()["membership"] == {"role": "member", "status": "active"}
    async with harness.runtime.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(memberships)
            .where(memberships.c.organization_id == org_id, memberships.c.role == "member")
        )
    assert count == 1
