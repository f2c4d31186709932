"""An OpenID client's ``organization``: whoever signs up through it joins it at sign-up.

The operator names the organization (id or slug) in ``REGFLOW_OIDC_CLIENTS``
once it exists, so the organizations are made first and the service is then
started again with the clients; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import oidc
from support.harness import Harness, make_settings, started_app
from support.orgs import ORG, PREFERENCES, register_organization, unique_email

CALLBACK = "https://school.test/cb"


@dataclass
class Orgs:
    open: dict[str, Any]
    approval: dict[str, Any]
    invite_only: dict[str, Any]


def client(client_id: str, organization: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "redirect_uris": [CALLBACK],
        "public": True,
        "first_party": True,
        "flows": ["member"],
        "organization": organization,
    }


@pytest.fixture
async def school(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, Orgs]]:
    made = {}
    async with started_app(make_settings(db_url, tmp_path)) as h:
        for policy in ("open", "approval", "invite_only"):
            org = {**ORG, "name": f"School {policy} {secrets.token_hex(3)}"}
            prefs = {**PREFERENCES, "join_policy": policy}
            body = await register_organization(h, org=org, preferences=prefs)
            made[policy] = body["organization"]
    orgs = Orgs(made["open"], made["approval"], made["invite_only"])
    clients = [
        client("by-slug", orgs.open["slug"]),  # a slug
        client("by-id", orgs.approval["id"]),  # or an id
        client("closed", orgs.invite_only["slug"]),
        client("nowhere", "no-such-organization"),
    ]
    settings = make_settings(db_url, tmp_path, public_url="https://id.test", oidc_clients=clients)
    async with started_app(settings) as h:
        h.client.base_url = httpx.URL("https://id.test")
        yield h, orgs


async def sign_up_through(h: Harness, client_id: str) -> dict[str, Any]:
    """prompt=create at ``client_id``, the member flow, back with a code: the ID token."""
    verifier, challenge = oidc.pkce()
    wanted = {
        **oidc.params(challenge, prompt="create"),
        "client_id": client_id,
        "redirect_uri": CALLBACK,
    }
    opened = await h.client.get("/oauth2/authorize", params=wanted)
    assert opened.status_code == 303 and opened.headers["location"] == "/register/member"
    email = unique_email(client_id)
    rid, auth = await h.member_until_complete(email)
    token = auth["Authorization"].removeprefix("Bearer ")
    h.client.cookies.set("__Host-regflow-reg-member", f"{rid}.{token}")
    done = await h.client.post("/register/member/complete", data={"csrf": await oidc.csrf(h)})
    assert done.status_code == 303 and done.headers["location"].startswith("/oauth2/authorize?")
    back = await h.client.get(done.headers["location"])
    assert back.headers["location"].startswith(CALLBACK), back.headers["location"]
    code = oidc.query(back.headers["location"])["code"]
    r = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 200, r.text
    claims = oidc.payload(r.json()["id_token"])
    assert claims["email"] == email
    return claims


async def memberships(h: Harness, account_id: str) -> dict[str, tuple[str, str]]:
    async with h.runtime.services.ctx.uow(read_only=True) as uow:
        held = await uow.memberships.for_account(account_id)
    return {m.organization_id: (str(m.role), str(m.status)) for m in held}


async def test_signing_up_through_a_client_joins_its_organization(
    school: tuple[Harness, Orgs],
) -> None:
    h, orgs = school
    claims = await sign_up_through(h, "by-slug")
    assert (claims["org"], claims["org_slug"], claims["role"]) == (
        orgs.open["id"],
        orgs.open["slug"],
        "member",
    )
    assert await memberships(h, claims["sub"]) == {orgs.open["id"]: ("member", "active")}


async def test_an_organization_that_approves_members_gets_a_request(
    school: tuple[Harness, Orgs],
) -> None:
    h, orgs = school
    claims = await sign_up_through(h, "by-id")
    assert claims["org"] is None and claims["role"] is None  # not a member until approved
    assert await memberships(h, claims["sub"]) == {orgs.approval["id"]: ("member", "pending")}
    async with h.runtime.services.ctx.uow(read_only=True) as uow:
        queued = await uow.memberships.for_organization(
            orgs.approval["id"], "pending", limit=10, offset=0
        )
    assert [m.account_id for m in queued] == [claims["sub"]]  # the admins see the request


@pytest.mark.parametrize("client_id", ["closed", "nowhere"])
async def test_an_invitation_only_or_unknown_organization_is_not_joined(
    school: tuple[Harness, Orgs], client_id: str
) -> None:
    h, _ = school
    claims = await sign_up_through(h, client_id)  # the sign-up itself still ends well
    assert claims["org"] is None
    assert await memberships(h, claims["sub"]) == {}


async def test_a_sign_up_not_opened_by_that_client_joins_nothing(
    school: tuple[Harness, Orgs],
) -> None:
    h, _ = school
    email = unique_email("plain")
    rid, auth = await h.member_until_complete(email)
    body = (await h.client.post(f"/v1/registrations/{rid}/complete", headers=auth)).json()
    assert body["membership"] is None
    assert await memberships(h, body["account"]["id"]) == {}
