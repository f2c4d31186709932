"""Listing and revoking invitations, and the settings the console changes, through the API."""

from __future__ import annotations

from support.harness import Harness
from support.images import png
from support.orgs import register_organization, unique_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_invitations_are_listed_and_revoked(harness: Harness) -> None:
    owner = await register_organization(harness)
    other = await register_organization(harness)
    org_id = owner["organization"]["id"]
    auth = bearer(owner["access_token"])
    base = f"/v1/organizations/{org_id}/invitations"
    c = harness.client
    sent = []
    for role in ("teacher", "student"):
        r = await c.post(base, json={"email": unique_email(role), "role": role}, headers=auth)
        assert r.status_code == 201, r.text
        sent.append(r.json())
    r = await c.get(base, headers=auth)
    assert r.status_code == 200
    listed = r.json()["invitations"]
    assert [i["id"] for i in listed] == [sent[1]["id"], sent[0]["id"]]  # newest first
    assert {i["status"] for i in listed} == {"pending"}
    assert (await c.get(base, headers=bearer(other["access_token"]))).status_code == 403
    # another organization's admin cannot revoke it, and learns nothing about it
    theirs = f"/v1/organizations/{other['organization']['id']}/invitations"
    r = await c.post(f"{theirs}/{sent[0]['id']}/revoke", headers=bearer(other["access_token"]))
    assert r.status_code == 404 and r.json()["code"] == "INVITATION_NOT_FOUND"
    r = await c.post(f"{base}/{sent[0]['id']}/revoke", headers=auth)
    assert r.status_code == 204
    r = await c.post(f"{base}/{sent[0]['id']}/revoke", headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "INVITATION_NOT_REVOCABLE"
    r = await c.get(base, headers=auth)
    statuses = {i["id"]: i["status"] for i in r.json()["invitations"]}
    assert statuses == {sent[0]["id"]: "expired", sent[1]["id"]: "pending"}
    link = next(
        str(m.context["link"])
        for m in await harness.outbox()
        if m.recipient == sent[0]["email"] and m.template == "invitation"
    )
    r = await c.get(f"/v1/invitations/{link.rsplit('/', 1)[1]}")
    assert r.status_code == 410  # the revoked link no longer works


async def test_two_factor_and_logo_are_settings(harness: Harness) -> None:
    owner = await register_organization(harness)
    org = f"/v1/organizations/{owner['organization']['id']}"
    auth = bearer(owner["access_token"])
    c = harness.client
    r = await c.patch(org, json={"two_factor": True}, headers=auth)
    assert r.status_code == 200 and r.json()["settings"]["two_factor"] is True
    r = await c.patch(org, json={"logo": "0" * 32}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "LOGO_INVALID"
    upload = await c.post("/v1/uploads/logo", files={"logo": ("logo.png", png(), "image/png")})
    assert upload.status_code == 201, upload.text
    r = await c.patch(org, json={"logo": upload.json()["key"]}, headers=auth)
    assert r.status_code == 200 and r.json()["logo_url"]
    r = await c.patch(org, json={"logo": upload.json()["key"]}, headers=auth)
    assert r.status_code == 422  # an upload is claimed once
