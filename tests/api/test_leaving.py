"""Leaving: DELETE /v1/account on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import func, select

from regflow.persistence.tables import accounts, registrations
from support.harness import PASSWORD, Harness
from support.orgs import complete, register_organization, unique_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_member_leaves_with_password_and_second_factor(harness: Harness) -> None:
    h = harness
    email = unique_email("leaver")
    rid, auth = await h.member_until_complete(email, locale="hi")
    token = (await complete(h, rid, auth))["access_token"]
    secret = (await h.client.post("/v1/account/totp", headers=bearer(token))).json()["secret"]
    r = await h.client.post(
        "/v1/account/totp/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=bearer(token)
    )
    assert r.status_code == 200
    leave = "/v1/account"
    r = await h.client.request(
        "DELETE", leave, json={"password": "wrong " * 3}, headers=bearer(token)
    )
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"
    r = await h.client.request("DELETE", leave, json={"password": PASSWORD}, headers=bearer(token))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"
    r = await h.client.request(
        "DELETE", leave, json={"password": PASSWORD, "code": "000000"}, headers=bearer(token)
    )
    assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    r = await h.client.request("DELETE", leave, json={"password": PASSWORD})
    assert r.status_code == 401  # no token, no deletion
    code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    r = await h.client.request(
        "DELETE", leave, json={"password": PASSWORD, "code": code}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.json()["status"] == "deleted", r.text

    assert (await h.client.get("/v1/account", headers=bearer(token))).status_code == 401
    login = await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401
    mails = [m for m in await h.outbox() if m.recipient == email]
    assert [m.template for m in mails] == ["account_deleted"]  # nothing else keeps the address
    assert mails[0].locale == "hi"  # the account's language, kept from its sign-up
    async with h.runtime.uow(read_only=True) as uow:
        conn = uow.accounts._conn  # type: ignore[attr-defined]
        left = await conn.scalar(select(func.count()).where(accounts.c.email == email))
        made = await conn.scalar(select(func.count()).where(registrations.c.id == rid))
    assert left == 0 and made == 0


async def test_an_owner_must_hand_the_organization_over_first(harness: Harness) -> None:
    email = unique_email("owner")
    owner = await register_organization(harness, email)
    r = await harness.client.request(
        "DELETE", "/v1/account", json={"password": PASSWORD}, headers=bearer(owner["access_token"])
    )
    assert r.status_code == 409 and r.json()["code"] == "OWNER_MUST_TRANSFER"
    login = await harness.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200  # nothing was deleted
