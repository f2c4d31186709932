"""Codes and links: attempts counted before comparing, cooldown, single use."""

from __future__ import annotations

import re

from regflow.core.model import Channel
from support.harness import Harness


async def _email_submitted(h: Harness, email: str) -> tuple[str, dict[str, str]]:
    rid, auth = await h.start()
    r = await h.client.post(
        f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth
    )
    assert r.status_code == 200
    return rid, auth


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_five_wrong_codes_kill_the_code_and_resend_keeps_the_count(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await _email_submitted(harness, unique_email)
    code = await harness.last_code(unique_email)
    url = f"/v1/registrations/{rid}/verifications/email/confirm"
    for _ in range(5):
        r = await harness.client.post(url, json={"code": _wrong(code)}, headers=auth)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CODE"
    r = await harness.client.post(url, json={"code": code}, headers=auth)
    assert r.json()["code"] == "ATTEMPTS_EXCEEDED"
    r = await harness.client.post(f"/v1/registrations/{rid}/verifications/email", headers=auth)
    assert r.json()["code"] == "ATTEMPTS_EXCEEDED"


async def test_resend_cooldown_then_new_code_replaces_old(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await _email_submitted(harness, unique_email)
    first = await harness.last_code(unique_email)
    r = await harness.client.post(f"/v1/registrations/{rid}/verifications/email", headers=auth)
    assert r.status_code == 429 and r.json()["code"] == "RESEND_TOO_SOON"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    async with harness.runtime.uow() as uow:  # let the cooldown pass in the database
        v = await uow.verifications.get_current(rid, Channel.EMAIL)
        assert v is not None
        v.resend_available_at = v.created_at
        await uow.verifications.reissue(v)
        await uow.commit()
    r = await harness.client.post(f"/v1/registrations/{rid}/verifications/email", headers=auth)
    assert r.status_code == 202 and r.json()["resend_available_at"]
    second = await harness.last_code(unique_email)
    url = f"/v1/registrations/{rid}/verifications/email/confirm"
    if first != second:
        r = await harness.client.post(url, json={"code": first}, headers=auth)
        assert r.json()["code"] == "INVALID_CODE"
    r = await harness.client.post(url, json={"code": second}, headers=auth)
    assert r.status_code == 200 and r.json()["verified"]["email"] is True


async def test_link_get_changes_nothing_post_confirms_once(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await _email_submitted(harness, unique_email)
    token = await harness.last_link_token(unique_email)
    page = await harness.client.get(f"/v1/verify/{token}")
    assert page.status_code == 200 and 'method="post"' in page.text
    state = await harness.client.get(f"/v1/registrations/{rid}", headers=auth)
    assert state.json()["verified"]["email"] is False
    done = await harness.client.post(f"/v1/verify/{token}")
    assert done.status_code == 200 and "confirmed" in done.text
    state = await harness.client.get(f"/v1/registrations/{rid}", headers=auth)
    assert state.json()["verified"]["email"] is True and state.json()["step"] == "identity"
    again = await harness.client.post(f"/v1/verify/{token}")
    assert again.status_code == 400
    assert re.search(r"no longer valid", again.text)
