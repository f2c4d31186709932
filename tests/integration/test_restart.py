"""A registration outlives the process: started in one app, finished in a new one."""

from __future__ import annotations

from pathlib import Path

import jwt

from regflow.core.model import Channel
from support.harness import PASSWORD, make_settings, started_app


async def test_registration_survives_a_restart(
    db_url: str, tmp_path: Path, unique_email: str
) -> None:
    settings = make_settings(db_url, tmp_path)
    async with started_app(settings) as first:
        rid, auth = await first.start("member")
        r = await first.client.post(
            f"/v1/registrations/{rid}/steps/email", json={"email": unique_email}, headers=auth
        )
        assert r.status_code == 200, r.text
        code = await first.last_code(unique_email)
        async with first.runtime.uow(read_only=True) as uow:
            before = await uow.verifications.get_current(rid, Channel.EMAIL)
        first_jwks = (await first.client.get("/.well-known/jwks.json")).json()
    assert before is not None

    async with started_app(make_settings(db_url, tmp_path)) as second:
        assert second.app is not first.app
        c = second.client
        state = await c.get(f"/v1/registrations/{rid}", headers=auth)
        assert state.status_code == 200, state.text
        assert state.json()["step"] == "email"
        assert state.json()["pending_verification"]["channel"] == "email"
        # the new process queued nothing new: the code from before is still the one
        assert await second.last_code(unique_email) == code
        async with second.runtime.uow(read_only=True) as uow:
            after = await uow.verifications.get_current(rid, Channel.EMAIL)
        assert after is not None and after.id == before.id and after.consumed_at is None

        r = await c.post(
            f"/v1/registrations/{rid}/verifications/email/confirm",
            json={"code": code},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        assert r.json()["verified"]["email"] is True
        username = "restart" + rid.replace("-", "")[:10]
        r = await c.post(
            f"/v1/registrations/{rid}/steps/identity",
            json={"first_name": "Ada", "last_name": "Lovelace", "username": username},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        r = await c.post(
            f"/v1/registrations/{rid}/steps/credentials",
            json={"password": PASSWORD, "password_confirmation": PASSWORD},
            headers=auth,
        )
        assert r.status_code == 200 and r.json()["step"] == "complete", r.text
        done = await c.post(f"/v1/registrations/{rid}/complete", headers=auth)
        assert done.status_code == 201, done.text
        assert done.json()["account"]["email"] == unique_email
        # the signing key was kept too: the new token's key is the one published before
        kid = jwt.get_unverified_header(done.json()["access_token"])["kid"]
        assert kid in {k["kid"] for k in first_jwks["keys"]}
        async with second.runtime.uow(read_only=True) as uow:
            account = await uow.accounts.get_by_email(unique_email)
        assert account is not None and account.id == done.json()["account"]["id"]
