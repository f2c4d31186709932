"""Changing the email address on both databases: a code to the new address, a notice with an
undo link to the old one, the same answer for a taken address, one winner in a race."""

from __future__ import annotations

import asyncio
import re

from support.harness import PASSWORD, Harness
from support.orgs import complete, unique_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def member(h: Harness) -> tuple[str, str]:
    email = unique_email("mover")
    done = await complete(h, *await h.member_until_complete(email))
    return email, str(done["access_token"])


async def mails(h: Harness, recipient: str, template: str) -> list[dict[str, object]]:
    return [
        m.context for m in await h.outbox() if m.recipient == recipient and m.template == template
    ]


async def test_change_confirm_and_undo(harness: Harness) -> None:
    h = harness
    old, token = await member(h)
    new = unique_email("moved")
    body = {"email": new, "password": PASSWORD}
    r = await h.client.post(
        "/v1/account/email", json={**body, "password": "wrong " * 3}, headers=bearer(token)
    )
    assert r.status_code == 401
    r = await h.client.post("/v1/account/email", json=body, headers=bearer(token))
    assert r.status_code == 202 and r.json()["status"] == "code_sent", r.text
    (sent,) = await mails(h, new, "email_change_code")
    r = await h.client.post(
        "/v1/account/email/confirm", json={"code": "000000"}, headers=bearer(token)
    )
    assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    r = await h.client.post(
        "/v1/account/email/confirm", json={"code": sent["code"]}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.json()["email"] == new, r.text
    # every earlier token ends; the new address signs in, the old one does not
    assert (await h.client.get("/v1/account", headers=bearer(token))).status_code == 401
    assert (
        await h.client.post("/v1/sessions", json={"email": old, "password": PASSWORD})
    ).status_code == 401
    fresh = await h.client.post("/v1/sessions", json={"email": new, "password": PASSWORD})
    assert fresh.status_code == 200
    (notice,) = await mails(h, old, "email_changed")
    undo = re.search(r"/account/email/undo/([A-Za-z0-9_-]+)$", str(notice["undo_url"]))
    assert undo
    page = await h.client.get(f"/account/email/undo/{undo.group(1)}")
    assert page.status_code == 200  # a GET changes nothing
    r = await h.client.post("/v1/account/email/undo", json={"token": undo.group(1)})
    assert r.status_code == 200 and r.json()["email"] == old
    again = await h.client.post("/v1/account/email/undo", json={"token": undo.group(1)})
    assert again.status_code == 400
    token = fresh.json()["access_token"]
    assert (await h.client.get("/v1/account", headers=bearer(token))).status_code == 401
    assert (
        await h.client.post("/v1/sessions", json={"email": old, "password": PASSWORD})
    ).status_code == 200


async def test_a_taken_address_gets_the_same_answer_and_no_code(harness: Harness) -> None:
    h = harness
    _, token = await member(h)
    taken, _ = await member(h)
    free = unique_email("free")
    a = await h.client.post(
        "/v1/account/email", json={"email": taken, "password": PASSWORD}, headers=bearer(token)
    )
    _, other = await member(h)
    b = await h.client.post(
        "/v1/account/email", json={"email": free, "password": PASSWORD}, headers=bearer(other)
    )
    assert a.status_code == b.status_code == 202 and set(a.json()) == set(b.json())
    assert await mails(h, taken, "email_change_code") == []
    assert len(await mails(h, taken, "email_change_taken")) == 1


async def test_two_accounts_racing_for_one_address_one_wins(harness: Harness) -> None:
    h = harness
    target = unique_email("contested")
    tokens = [(await member(h))[1] for _ in range(2)]
    codes = []
    for token in tokens:
        r = await h.client.post(
            "/v1/account/email", json={"email": target, "password": PASSWORD}, headers=bearer(token)
        )
        assert r.status_code == 202
        codes.append(str((await mails(h, target, "email_change_code"))[0]["code"]))

    async def confirm(token: str, code: str) -> int:
        r = await h.client.post(
            "/v1/account/email/confirm", json={"code": code}, headers=bearer(token)
        )
        return r.status_code

    # each account confirms its own code at once (the newest mail was each one's)
    statuses = await asyncio.gather(*(confirm(t, c) for t, c in zip(tokens, codes, strict=True)))
    assert sorted(statuses) == [200, 409], statuses


async def test_the_mails_speak_the_accounts_language(harness: Harness) -> None:
    h = harness
    old = unique_email("french")
    token = str(
        (await complete(h, *await h.member_until_complete(old, locale="fr")))["access_token"]
    )
    taken, _ = await member(h)  # an English account holds this address
    body = {"email": taken, "password": PASSWORD}
    assert (
        await h.client.post("/v1/account/email", json=body, headers=bearer(token))
    ).status_code == 202
    new = unique_email("nouveau")
    body = {"email": new, "password": PASSWORD}
    assert (
        await h.client.post("/v1/account/email", json=body, headers=bearer(token))
    ).status_code == 202
    found = {(m.recipient, m.template): m for m in await h.outbox()}
    assert found[(taken, "email_change_taken")].locale == "en"  # its owner's language
    code = found[(new, "email_change_code")]
    assert code.locale == "fr"  # the asking account's
    r = await h.client.post(
        "/v1/account/email/confirm", json={"code": code.context["code"]}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    notice = {(m.recipient, m.template): m for m in await h.outbox()}[(old, "email_changed")]
    assert notice.locale == "fr" and str(notice.context["undo_url"]).endswith("?lang=fr")
    undo = re.search(
        r"/account/email/undo/([A-Za-z0-9_-]+)\?lang=fr$", str(notice.context["undo_url"])
    )
    assert undo
    page = await h.client.get(f"/account/email/undo/{undo.group(1)}?lang=fr")
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert (
        await h.client.post("/v1/account/email/undo", json={"token": undo.group(1)})
    ).status_code == 200
    undone = {(m.recipient, m.template): m for m in await h.outbox()}[(old, "email_change_undone")]
    assert undone.locale == "fr" and str(undone.context["reset_url"]).endswith("?lang=fr")
